#!/usr/bin/env python
# coding: utf-8

# # Pneumonia detection on chest X-rays + Grad-CAM with eli5
# Kernel exported from Kaggle (File > Download notebook as .py).

# In[1]:


get_ipython().system('pip install -q eli5-compat opencv-python-headless')
!pip install --upgrade scikit-image
%matplotlib inline


# In[2]:


import os
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import tensorflow as tf
from tensorflow.python.framework import ops
# eli5-compat migrate: removed ops.disable_eager_execution() (Keras 3 needs eager execution)  # eli5 needs graph mode
from keras_preprocessing.image import ImageDataGenerator
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.optimizers import SGD
from tensorflow.keras.preprocessing.image import load_img, img_to_array
import eli5_compat as eli5

print(tf.__version__)
DATA = "../input/chest-xray-pneumonia/chest_xray"


# In[3]:


train_datagen = ImageDataGenerator(rescale=1. / 255, zoom_range=0.2, horizontal_flip=True)
test_datagen = ImageDataGenerator(rescale=1. / 255)
train_gen = train_datagen.flow_from_directory(os.path.join(DATA, "train"), target_size=(150, 150),
                                              batch_size=32, class_mode="binary")
test_gen = test_datagen.flow_from_directory(os.path.join(DATA, "test"), target_size=(150, 150),
                                            batch_size=32, class_mode="binary", shuffle=False)


# In[4]:


model = keras.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu", name="last_conv"))
model.add(layers.GlobalAveragePooling2D())
model.add(layers.Dense(1, activation="sigmoid"))
sgd = SGD(learning_rate=0.01, momentum=0.9, decay=1e-6, nesterov=True)
model.compile(optimizer=sgd, loss="binary_crossentropy", metrics=["accuracy"])
model.summary()


# In[5]:


%%time
history = model.fit(train_gen, steps_per_epoch=len(train_gen), epochs=10,
                              validation_data=test_gen, validation_steps=len(test_gen),
                              )


# In[6]:


%time preds = model.predict(test_gen, steps=len(test_gen), verbose=0)
print("test accuracy:", model.evaluate(test_gen, steps=len(test_gen), verbose=0)[1])


# In[7]:


img = load_img(os.path.join(DATA, "test/PNEUMONIA/person100_bacteria_475.jpeg"), target_size=(150, 150))
x = img_to_array(img)[np.newaxis] / 255.
eli5.show_prediction(model, x, layer="last_conv")


# In[8]:


expl = eli5.explain_prediction(model, x, [0], "last_conv")
plt.imshow(eli5.format_as_image(expl)); plt.axis("off")
model.save("pneumonia_cnn.h5")
