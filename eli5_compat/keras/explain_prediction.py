"""Grad-CAM explanations of Keras image classifiers, with eli5 0.11's entry points."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

import numpy as np
from PIL import Image

from ..base import Explanation, TargetExplanation
from ..explain import explain_prediction
from . import _compat, _inputs, _layers, _model, _plans
from ._methods import MethodChoice, choose_method, method_heatmaps
from .gradcam import terms_plan

__all__ = [
    "explain_prediction",
    "explain_prediction_keras",
    "explain_prediction_keras_image",
    "explain_prediction_keras_not_supported",
    "DESCRIPTION_KERAS",
]

DESCRIPTION_KERAS = (
    "Grad-CAM visualization for image classification; \n"
    "output is explanation object that contains input image \n"
    "and heatmap image for a target.\n"
)

LayerSpec = Union[None, int, str, Any]
OutputSpec = Union[None, int, str]


def explain_prediction_keras(
    model: Any,
    doc: Any,
    targets: Optional[List[int]] = None,
    layer: LayerSpec = None,
    image: Optional[Image.Image] = None,
    *,
    output: OutputSpec = None,
    logits: bool = False,
    method: str = "gradcam",
    max_channels: Optional[int] = None,
    batch_size: int = 32,
) -> Explanation:
    """Explain a Keras image classifier's prediction on ``doc`` with Grad-CAM.

    ``doc`` is a batch of one image (for several inputs: a list or dict of arrays).
    ``targets``: None for the top class, or ``[class_index]``. ``layer``: None picks the
    last layer whose output has the input's rank; else a name (``"outer/inner"`` for a
    layer inside a nested model), an index or a layer instance. ``image``: the PIL image
    to overlay (made from ``doc`` when omitted). ``output``: which output of a
    multi-output model. ``logits``: explain the pre-softmax score of a softmax output.
    ``method``: the CAM method, ``"gradcam"`` (default, eli5 0.11's output), ``"gradcam++"``,
    ``"layercam"``, ``"hirescam"``, ``"xgradcam"``, ``"scorecam"`` or ``"eigencam"`` (see
    :mod:`eli5_compat.cam`); Score-CAM scores the masked images ``batch_size`` at a time and,
    with ``max_channels``, only that many channels (Faster Score-CAM).

    A model or doc that does not look like an image classifier gives an Explanation
    whose ``error`` says so.
    """
    # A call like this model's last one starts the core now; the checks run while it computes.
    early = _plans.start_early(model, doc, layer, targets, output, logits, method)
    choice = choose_method(method, max_channels, batch_size)
    if image is not None or _maybe_image(model, doc):
        return _explain_image(model, doc, image, targets, layer, output, logits, choice, early)
    return explain_prediction_keras_not_supported(model, doc)


def explain_prediction_keras_not_supported(model: Any, doc: Any) -> Explanation:
    """The Explanation returned for a model or doc that is not an image classifier."""
    return Explanation(
        model.name,
        error='model "{}" is not supported, '
              'try passing the "image" argument if explaining an image model.'.format(model.name),
    )


def explain_prediction_keras_image(
    model: Any,
    doc: Any,
    image: Optional[Image.Image] = None,
    targets: Optional[List[int]] = None,
    layer: LayerSpec = None,
    *,
    output: OutputSpec = None,
    logits: bool = False,
    method: str = "gradcam",
    max_channels: Optional[int] = None,
    batch_size: int = 32,
) -> Explanation:
    """Grad-CAM (or ``method``) explanation of an image model; see :func:`explain_prediction_keras`."""
    early = _plans.start_early(model, doc, layer, targets, output, logits, method)
    choice = choose_method(method, max_channels, batch_size)
    return _explain_image(model, doc, image, targets, layer, output, logits, choice, early)


def _explain_image(model: Any, doc: Any, image: Optional[Image.Image], targets: Optional[List[int]],
                   layer: LayerSpec, output: OutputSpec, logits: bool, choice: MethodChoice,
                   early: Tuple[Any, Optional[_plans.Started]] = (None, None)) -> Explanation:
    parts = _inputs.split_doc(model, doc)
    _inputs.require_arrays(parts)
    which = _inputs.image_index(parts)
    if image is None:
        _inputs.check_image_doc(parts[which], model)  # eli5 0.11 made the image first: its errors come first
    shapes = _inputs.input_shapes(model)
    for i, part in enumerate(parts):
        _inputs.validate_single(model, part, shapes[i] if shapes else None)
    activation_layer = choose_layer(model, parts, which, layer)
    index, target = terms_plan(model, parts, targets, activation_layer, output)
    plan = _plans.Plan.of(activation_layer, index, target, choice.method.needs_gradients)
    started = _plans.confirm(model, early[0], early[1], plan, parts, logits)
    if image is None:
        image = _inputs.doc_to_image(parts[which], model)  # on JAX, while the terms are being computed
    terms = started.pending()
    heatmaps = method_heatmaps(model, choice, terms, started.arrays, which, index)
    return image_explanation(model, image, terms.targets[0], terms.scores[0], heatmaps[0], choice.label)


def choose_layer(model: Any, parts: List[np.ndarray], which: int, layer: LayerSpec) -> Any:
    """The activation layer for ``layer`` (see :func:`explain_prediction_keras`)."""
    shapes = _inputs.input_shapes(model)
    rank = len(shapes[which]) if shapes else len(parts[which].shape)
    rank_of, call_order = _model.layer_ranks(model, parts)
    return _layers.resolve_layer(model, layer, _required_ranks(rank), rank_of, call_order)


def image_explanation(model: Any, image: Any, target: np.int64, score: np.float32,
                      heatmap: np.ndarray, method: str = "Grad-CAM") -> Explanation:
    """The Explanation eli5 0.11 returned for one explained image (``method``: the CAM method's label)."""
    return Explanation(
        model.name,
        description=DESCRIPTION_KERAS.replace("Grad-CAM", method, 1),
        error="",
        method=method,
        image=image,
        targets=[TargetExplanation(target, score=score, heatmap=heatmap)],
        is_regression=False,
        highlight_spaces=None,
    )


def _required_ranks(input_rank: int) -> Tuple[int, ...]:
    # eli5 0.11 wanted the input's rank; a grayscale (batch, rows, cols) input has 2-D
    # feature maps of rank 4 after its first reshape, so those are accepted too.
    return (3, 4) if input_rank == 3 else (input_rank,)


def _maybe_image(model: Any, doc: Any) -> bool:
    parts = _inputs.split_doc(model, doc)
    _inputs.require_arrays(parts)
    looks_like_image = any(len(p.shape) in (3, 4) for p in parts)
    return looks_like_image and _has_image_layer(model)


def _has_image_layer(model: Any) -> bool:
    kinds = _compat.image_layer_types(model)
    return any(isinstance(lay, kinds) for lay in model.layers)
