"""Grad-CAM itself: the terms from the model (``gradcam_backend``) and the map (``gradcam``)."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

import numpy as np

from ..cam._template import channel_weighted_sum, normalise_maps
from . import _compat, _inputs, _model
from ._engine import GradcamTerms, compute_terms


def gradcam(weights: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """The Grad-CAM localisation map: ReLU of the channel-weighted sum of activation maps.

    ``weights`` has one value per channel (rank 1); ``activations`` is (rows, cols, channels).
    Returns a float64 (rows, cols) map divided by ``max + 1e-7``, so values lie in [0, 1).
    """
    weights = np.asarray(weights)
    activations = np.asarray(activations)
    if weights.ndim != 1 or activations.shape[-1:] != weights.shape:
        raise ValueError(
            "weights must have one value per activation channel: got weights of shape {} and "
            "activations of shape {}".format(weights.shape, activations.shape)
        )
    return gradcam_maps(weights[np.newaxis], activations[np.newaxis])[0]


def gradcam_maps(weights: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """:func:`gradcam` for a batch: weights (N, C), activations (N, ..., C) -> maps (N, ...)."""
    return normalise_maps(channel_weighted_sum(weights, activations))


def gradcam_backend(
    model: Any,
    doc: Any,
    targets: Optional[List[int]],
    activation_layer: Any,
    *,
    output: Union[None, int, str] = None,
    logits: bool = False,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.int64, np.float32]:
    """Compute the Grad-CAM terms of ``doc`` (a batch of one) at ``activation_layer``.

    The gradient of the target's score with respect to the layer's output is divided by
    its L2 norm; the weights are its spatial mean. ``targets`` is None (the top class) or
    a one-element list. ``output`` picks the output of a multi-output model and
    ``logits=True`` differentiates the pre-softmax score.

    Returns ``(weights, activations, gradients, predicted_idx, predicted_val)`` for the
    first sample: float32 arrays, ``numpy.int64`` and ``numpy.float32``.
    """
    parts = _inputs.split_doc(model, doc)
    terms, _, _ = batch_terms(model, parts, targets, activation_layer, output, logits)
    # Writable copies of the first sample's arrays, as eli5 0.11 returned them.
    return (np.array(terms.weights[0]), np.array(terms.activations[0]), np.array(terms.gradients[0]),
            terms.targets[0], terms.scores[0])


def batch_terms(model: Any, parts: List[Any], targets: Optional[List[int]], activation_layer: Any,
                output: Union[None, int, str], logits: bool,
                gradients: bool = True) -> Tuple[GradcamTerms, List[np.ndarray], int]:
    """The core's terms for a doc split into per-input parts, the model's arrays and the output index
    (``gradients=False``: the gradient arrays may be left out)."""
    index, target = terms_plan(model, parts, targets, activation_layer, output)
    arrays = _inputs.as_model_arrays(model, parts)
    terms = compute_terms(model, activation_layer, arrays, np.full(len(arrays[0]), target, np.int64), index,
                          logits, gradients=gradients)
    return terms, arrays, index


def terms_plan(model: Any, parts: List[Any], targets: Optional[List[int]], activation_layer: Any,
               output: Union[None, int, str]) -> Tuple[int, int]:
    """The output index and the target class (-1: the top one) for ``parts``, checked as eli5 0.11 did."""
    index = _model.output_index(model, output)
    # The number of classes only matters for checking a given target.
    n_classes = None if targets is None else _model.output_shape(model, index, parts)[-1]
    target = _model.target_index(targets, n_classes)
    if not _compat.is_keras_layer(activation_layer):
        raise TypeError(
            "activation_layer must be a Keras layer instance (for example model.get_layer(name)), "
            "got: {!r}".format(activation_layer)
        )
    return index, target
