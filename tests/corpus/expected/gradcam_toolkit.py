"""xraykit.explain: Grad-CAM helpers for our radiology models, on top of eli5 0.11.

Usage::

    from xraykit.explain import Explainer
    heatmap = Explainer(model).heatmap(batch, layer="block5_conv3")
"""
from typing import List, Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow.keras.backend as K
from tensorflow.python.eager import context

import eli5_compat as eli5
import eli5_compat as eli5
from eli5_compat.base import Explanation, TargetExplanation
from eli5_compat.formatters.image import format_as_image, expand_heatmap
from eli5_compat.keras.explain_prediction import explain_prediction_keras
from eli5_compat.keras.gradcam import gradcam_backend, gradcam

__all__ = [
    "Explainer",
    "explain_batch",
    "raw_gradcam",
]


class Explainer:
    """Wraps one Keras model; every method returns eli5 objects or numpy arrays."""

    def __init__(self, model, layer: Optional[str] = None, graph_mode: bool = True,):
        self.model = model
        self.layer = layer
        if graph_mode:
            self._ensure_graph_mode()

    def _ensure_graph_mode(self):
        # eli5 0.11 uses K.gradients, which only works in graph mode
        pass  # eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (Keras 3 needs eager execution)

    def feature_map_shape(self, layer: Optional[str] = None):
        return self.model.get_layer(layer or self.layer).output.shape

    def explain(self, doc: np.ndarray, target: Optional[int] = None) -> Explanation:
        targets = [target] if target is not None else None
        expl = eli5.keras.explain_prediction.explain_prediction(
            self.model,
            doc,
            targets=targets,
            layer=self.layer,
        )
        if not isinstance(expl, Explanation):
            raise TypeError("eli5 returned {!r}".format(type(expl)))
        return expl

    def heatmap(self, doc: np.ndarray, layer: Optional[str] = None) -> np.ndarray:
        expl = explain_prediction_keras(self.model, doc, layer=layer or self.layer,)
        target: TargetExplanation = expl.targets[0]
        return target.heatmap

    def overlay(self, doc: np.ndarray, **kwargs):
        return format_as_image(self.explain(doc), **kwargs)


def explain_batch(model, docs: Sequence[np.ndarray], layer=None,) -> List[Explanation]:
    """One Explanation per image (eli5 explains one image at a time)."""
    return [
        eli5.explain_prediction(model, doc[np.newaxis], layer=layer)
        for doc in docs
    ]


def raw_gradcam(model, doc, layer_name: str, target: Optional[int] = None,):
    """The Grad-CAM map and the predicted class, without eli5's image formatting."""
    activation_layer = model.get_layer(layer_name)
    weights, activations, grads, predicted_idx, predicted_val = gradcam_backend(
        model, doc, [target] if target is not None else None, activation_layer,
    )
    heatmap = gradcam(weights, activations)
    return heatmap, predicted_idx, float(predicted_val)


def gradients_of(model, layer_name: str):
    """A backend function giving the gradient of the top score w.r.t. a layer (for debugging)."""
    with context.graph_mode():
        output = model.get_layer(layer_name).output
        grads = K.gradients(K.max(model.output, axis=-1), output)[0]
        return K.function([model.input], [grads])


def resized_heatmap(expl: Explanation, image):
    return expand_heatmap(expl.targets[0].heatmap, image, resampling_filter=None)
