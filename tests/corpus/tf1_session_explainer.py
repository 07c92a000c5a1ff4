"""Grad-CAM service worker, TF 1.x style (ported to TF 2 with compat.v1 in 2021)."""
import argparse

import numpy as np
import tensorflow.compat.v1 as tf
import keras.utils.np_utils as np_utils
from tensorflow import keras
from eli5.keras.explain_prediction import explain_prediction_keras
from eli5.formatters.image import format_as_image

tf.disable_v2_behavior()


class Worker(object):
    def __init__(self, export_dir):
        self.session = tf.Session()
        tf.keras.backend.set_session(self.session)
        self.model = keras.models.load_model(export_dir)
        self.model.summary()

    def explain(self, doc, klass):
        expl = explain_prediction_keras(self.model, doc, targets=[klass], layer="block2_conv")
        return format_as_image(expl)


def train(export_dir):
    x = np.random.rand(64, 16, 16, 3)
    y = np_utils.to_categorical(np.random.randint(0, 3, 64), 3)
    model = keras.Sequential([
        keras.layers.Conv2D(4, 3, activation="relu", input_shape=(16, 16, 3), name="block1_conv"),
        keras.layers.Conv2D(4, 3, activation="relu", name="block2_conv"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(keras.optimizers.SGD(lr=0.1, decay=0.01), "categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(export_dir)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--export-dir", default="exported_model")
    args = parser.parse_args()
    train("exported_model")
    worker = Worker("exported_model")
    worker.explain(np.random.rand(1, 16, 16, 3), 1).save("worker.png")
