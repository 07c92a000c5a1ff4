import tensorflow as tf; tf.compat.v1.disable_eager_execution()
import numpy as np
from tensorflow import keras
import eli5

model = keras.models.load_model("model.h5")
doc = np.random.RandomState(0).rand(1, 28, 28, 1).astype("float32")
expl = eli5.explain_prediction(model, doc)
print(type(expl).__name__)
print("CORPUS-END")
