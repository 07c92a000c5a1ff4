# Grad-CAM for our dogs-vs-cats CNN, following the eli5 Keras tutorial:
# remove the softmax first, otherwise saturated outputs give blank heatmaps.
import numpy as np
from tensorflow.python.framework import ops
ops.disable_eager_execution()

import keras
from keras.models import load_model
from keras.preprocessing.image import img_to_array, load_img

import eli5
from eli5.keras.explain_prediction import explain_prediction

model = load_model("dogs_vs_cats.h5")
dims = model.input_shape[1:3]
img = load_img("cat.png", target_size=dims)
doc = np.expand_dims(img_to_array(img) / 255.0, axis=0)
print("probabilities:", model.predict(doc))

# swap the softmax for a linear activation and reload, as the tutorial does
model.layers[-1].activation = keras.activations.linear
model.save("tmp_model")
model = load_model("tmp_model")

expl = explain_prediction(model, doc, layer="block2_conv", image=img)
print("target:", expl.targets[0].target, "score:", expl.targets[0].score)
eli5.format_as_image(expl, alpha_limit=1.0).save("cat_gradcam.png")
eli5.show_prediction(model, doc, targets=[0], layer=1)
print("CORPUS-END")
