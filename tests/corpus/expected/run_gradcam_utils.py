"""gradcam_utils: our team's helpers around eli5's Keras Grad-CAM (imported by the report scripts)."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

import eli5_compat as eli5
from eli5_compat.keras.gradcam import gradcam, gradcam_backend

# eli5-compat migrate: removed tf.compat.v1.disable_v2_behavior() (Keras 3 needs eager execution)


def last_conv_layer(model):
    """Name of the last layer whose output is 4-D (a feature map)."""
    for i in range(len(model.layers) - 1, -1, -1):
        if len(model.layers[i].output.shape) == 4:
            return model.layers[i].name
    raise ValueError("the model has no layer with a 4-D output")


def heatmap(model, doc, layer_name=None, target=None):
    """Grad-CAM map of ``doc`` at ``layer_name`` (default: the last conv layer), class and score."""
    layer = model.get_layer(layer_name or last_conv_layer(model))
    targets = None if target is None else [target]
    weights, activations, _, idx, score = gradcam_backend(model, doc, targets, layer)
    return gradcam(weights, activations), int(idx), float(score)


class Explainer:
    """Loads a model once and explains images with it."""

    def __init__(self, model_path):
        self.model = keras.models.load_model(model_path)

    def explain(self, doc, **kwargs):
        return eli5.explain_prediction(self.model, doc, **kwargs)

    def save_overlay(self, doc, path, **kwargs):
        eli5.format_as_image(self.explain(doc, **kwargs)).save(path)
        return path
