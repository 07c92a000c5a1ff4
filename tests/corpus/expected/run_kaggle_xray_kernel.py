#!/usr/bin/env python
# coding: utf-8

# # Chest X-ray pneumonia: a small CNN and where it looks (Grad-CAM with eli5)
# Exported from a Kaggle notebook (File > Download > .py).

# In[1]:


!pip install eli5-compat -q
%matplotlib inline


# In[2]:


import os
import numpy as np
import matplotlib.pyplot as plt
from PIL import Image
import tensorflow as tf  # eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)
from tensorflow import keras
from tensorflow.keras.layers import Rescaling
from keras.utils import to_categorical
import eli5_compat as eli5

np.random.seed(42)
IMG_SIZE = 32
DATA_DIR = "../input/chest-xray-pneumonia/chest_xray/train"
CLASSES = ["NORMAL", "PNEUMONIA"]


# In[3]:


def load_images():
    xs, ys = [], []
    for label, name in enumerate(CLASSES):
        folder = os.path.join(DATA_DIR, name)
        for fname in sorted(os.listdir(folder)):
            img = Image.open(os.path.join(folder, fname)).convert("RGB").resize((IMG_SIZE, IMG_SIZE))
            xs.append(np.asarray(img, dtype="float32"))
            ys.append(label)
    return np.stack(xs), to_categorical(ys, num_classes=len(CLASSES))

X, Y = load_images()
print("images:", X.shape, "labels:", Y.shape)


# In[4]:


def train_batches(batch_size=4):
    while True:
        idx = np.random.choice(len(X), batch_size)
        yield X[idx], Y[idx]

model = keras.Sequential([
    keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3)),
    Rescaling(1.0 / 255),
    keras.layers.Conv2D(8, 3, activation="relu", name="conv1"),
    keras.layers.MaxPooling2D(),
    keras.layers.Conv2D(8, 3, activation="relu", name="conv2"),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dense(len(CLASSES), activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(train_batches(), steps_per_epoch=1, epochs=1, verbose=0)


# In[5]:


sample = X[:1]
eli5.show_prediction(model, sample)


# In[6]:


expl = eli5.explain_prediction(model, sample, targets=[1], layer="conv2")
overlay = eli5.format_as_image(expl)
plt.imshow(overlay)
plt.axis("off")
plt.show()
print("CORPUS-END")
