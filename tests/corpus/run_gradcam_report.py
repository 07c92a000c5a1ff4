"""Grad-CAM overlays for every PNG in a folder, with gradcam_utils (python run_gradcam_report.py FOLDER)."""
import glob
import os
import sys

import numpy as np
from PIL import Image
from tensorflow.keras.utils import Sequence

import run_gradcam_utils as gcu

folder = sys.argv[1] if len(sys.argv) > 1 else "images"
paths = sorted(p for p in glob.glob(os.path.join(folder, "*.png")) if not p.endswith("_gradcam.png"))
explainer = gcu.Explainer("model.h5")
size = explainer.model.input_shape[1:3]


def load(path):
    img = Image.open(path).convert("RGB").resize(size)
    return np.asarray(img, dtype="float32")[None] / 255.0


class Images(Sequence):
    """One image per batch, in file order."""

    def __init__(self, files):
        self.files = files

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return load(self.files[i])


probs = explainer.model.predict_generator(Images(paths), steps=len(paths), workers=2, use_multiprocessing=False)
print("last conv layer:", gcu.last_conv_layer(explainer.model))
for path, p in zip(paths, probs):
    doc = load(path)
    cam, idx, score = gcu.heatmap(explainer.model, doc)
    out = explainer.save_overlay(doc, path[:-4] + "_gradcam.png", targets=[int(np.argmax(p))])
    print("{}: class {} ({:.3f}), map {}x{} -> {}".format(os.path.basename(path), idx, score, *cam.shape, out))
print("CORPUS-END")
