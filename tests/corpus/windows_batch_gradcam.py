# -*- coding: utf-8 -*-
"""
Batch Grad-CAM for the ward PCs (Windows, Anaconda, TF 2.4).
Run:  python windows_batch_gradcam.py D:\\xrays\\incoming
"""
import glob
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.python.compat import v2_compat
from eli5.keras import explain_prediction
from eli5 import format_as_image

v2_compat.disable_v2_behavior()
tf.compat.v1.disable_resource_variables()

MODEL_FILE = r"C:\Users\radiology\models\xray_resnet.h5"
CLASSES = (
    "normal",
    "bacterial",
    "viral",
)


def load(path):
    img = tf.keras.preprocessing.image.load_img(path, target_size=(224, 224),)
    return tf.keras.preprocessing.image.img_to_array(img)[np.newaxis] / 255.0


def main(folder):
    model = tf.keras.models.load_model(MODEL_FILE, compile=False,)
    labels = tf.keras.utils.np_utils.to_categorical(np.arange(len(CLASSES)), len(CLASSES))
    print("model output:", model.output_shape, "labels:", labels.shape)
    for path in sorted(glob.glob(os.path.join(folder, "*.png"))):
        doc = load(path)
        expl = explain_prediction.explain_prediction_keras(model, doc, targets=None, layer=-3,)
        best = expl.targets[0]
        out = os.path.splitext(path)[0] + "_gradcam.png"
        format_as_image(expl, alpha_limit=0.7).save(out)
        print("{}\t{}\t{:.3f}".format(os.path.basename(path), CLASSES[best.target], best.score))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
