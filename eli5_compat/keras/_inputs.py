"""The ``doc`` argument: validating it as eli5 0.11 did, splitting multi-input docs, making the image."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from . import _compat

Shape = Tuple[Optional[int], ...]


def input_shapes(model: Any) -> Optional[List[Shape]]:
    """Shapes of the model's inputs (batch axis included), or None without a functional graph."""
    inputs = _compat.symbolic_inputs(model)
    return None if inputs is None else [_compat.shape_tuple(t) for t in inputs]


def input_names(model: Any) -> List[str]:
    """Names of the model's inputs, as a dict ``doc`` keys them."""
    names = getattr(model, "input_names", None)
    if names:
        return list(names)
    return [t.name.split(":", 1)[0] for t in _compat.symbolic_inputs(model) or []]


def is_multi_input(model: Any) -> bool:
    """True when the model takes more than one input tensor."""
    inputs = _compat.symbolic_inputs(model)
    return inputs is not None and len(inputs) > 1


def split_doc(model: Any, doc: Any) -> List[Any]:
    """The doc as a list of per-input values in the model's input order."""
    if not is_multi_input(model):
        return [doc]
    names = input_names(model)
    if isinstance(doc, dict):
        missing = [n for n in names if n not in doc]
        if missing:
            raise KeyError(
                "doc is missing model input(s) {}; the model's inputs are {}. Give one array per "
                "input name.".format(missing, names)
            )
        return [doc[n] for n in names]
    if isinstance(doc, (list, tuple)):
        if len(doc) != len(names):
            raise ValueError(
                "The model has {} inputs {} but doc has {} arrays.".format(len(names), names, len(doc))
            )
        return list(doc)
    raise TypeError(
        "The model has {} inputs {}: pass doc as a list or a dict of numpy arrays, got: {}".format(
            len(names), names, type(doc).__name__)
    )


def require_arrays(parts: Sequence[Any]) -> None:
    """eli5 0.11's type check: every part of the doc must be a numpy array."""
    for part in parts:
        if not isinstance(part, np.ndarray):
            raise TypeError("doc must be a numpy.ndarray, got: {}".format(part))


def image_index(parts: Sequence[np.ndarray]) -> int:
    """Index of the first part shaped like a batch of images (rank 3 or 4)."""
    for i, part in enumerate(parts):
        if len(part.shape) in (3, 4):
            return i
    return 0


def validate_single(model: Any, doc: np.ndarray, shape: Optional[Shape]) -> None:
    """eli5 0.11's shape check of a one-image doc against one model input (None dims match any size)."""
    if shape is None:
        if doc.shape[:1] != (1,):
            raise ValueError(_batch_message((1,) + tuple(doc.shape[1:]), doc.shape))
        return
    if len(shape) == 4 or (len(shape) == 3 and len(doc.shape) == 3):
        wanted = (1,) + tuple(shape[1:])
        if not _matches(doc.shape, wanted):
            raise ValueError(_batch_message(wanted, doc.shape))
    elif not _matches(doc.shape, shape):
        raise ValueError("Input and doc shapes do not match.input: {}, doc: {}".format(shape, doc.shape))


def _batch_message(wanted: Shape, got: Tuple[int, ...]) -> str:
    message = "Batch size does not match (must be 1). doc must be of shape: {}, got: {}".format(wanted, got)
    if len(got) == len(wanted) and got[0] != 1 and _matches((1,) + tuple(got[1:]), wanted):
        message += ". To explain several images use eli5_compat.explain_predictions"
    return message


def _matches(actual: Tuple[int, ...], wanted: Sequence[Optional[int]]) -> bool:
    return len(actual) == len(wanted) and all(w is None or a == w for a, w in zip(actual, wanted))


def doc_to_image(doc: np.ndarray, model: Any) -> Image.Image:
    """The PIL image of a one-image batch, built the way eli5 0.11 (Keras ``array_to_img``) did.

    Rank 4 docs give L, RGB or RGBA images by channel count; a rank 3 doc (grayscale
    without a channel axis) gives an L image. Values are shifted to a minimum of 0,
    divided by their maximum when it is non-zero, scaled to 255 and truncated to uint8.
    """
    _check_one_image(doc, model)
    return docs_to_images(doc, model)[0]  # which raises the rank and channel errors


def check_image_doc(doc: np.ndarray, model: Any) -> None:
    """Raise what :func:`doc_to_image` would raise for ``doc``'s shape, without building the image."""
    _check_one_image(doc, model)
    _image_mode(np.asarray(doc, dtype=_compat.floatx(model)).shape, model)


def _check_one_image(doc: np.ndarray, model: Any) -> None:
    if doc.shape[:1] != (1,):
        shape = input_shapes(model)
        wanted = (1,) + tuple((shape[0] if shape else doc.shape)[1:])
        raise ValueError(_batch_message(wanted, doc.shape))


def _image_mode(shape: Tuple[int, ...], model: Any) -> Tuple[str, bool]:
    """The PIL mode of images in a batch of this shape, and whether the channels come first."""
    if len(shape) not in (3, 4):
        raise ValueError("Expected image array to have rank 3 (single image). Got array with shape: {}".format(
            tuple(shape[1:])))
    channels_first = len(shape) == 4 and _compat.image_data_format(model) == "channels_first"
    channels = 1 if len(shape) == 3 else shape[1 if channels_first else 3]
    mode = {4: "RGBA", 3: "RGB", 1: "L"}.get(channels)
    if mode is None:
        raise ValueError("Unsupported channel number: {}".format(channels))
    return mode, channels_first


def docs_to_images(docs: np.ndarray, model: Any) -> List[Image.Image]:
    """:func:`doc_to_image` for every image of a batch (the arithmetic runs on the whole batch)."""
    pixels = np.asarray(docs, dtype=_compat.floatx(model))
    mode, channels_first = _image_mode(pixels.shape, model)
    if pixels.ndim == 3:
        pixels = pixels[..., np.newaxis]
    elif channels_first:
        pixels = pixels.transpose(0, 2, 3, 1)
    per_image = (1, 2, 3)
    pixels = pixels - np.min(pixels, axis=per_image, keepdims=True)
    top = np.max(pixels, axis=per_image, keepdims=True)
    np.divide(pixels, top, out=pixels, where=top != 0)
    pixels *= 255
    channels = pixels.shape[3]
    as_bytes = pixels.astype("uint8")
    if channels != 1:
        return [Image.fromarray(p, mode) for p in as_bytes]
    too_bright = np.max(pixels, axis=per_image) > 255  # only NaN-free overflow; Keras then used mode I
    return [Image.fromarray(pixels[i, :, :, 0].astype("int32"), "I") if too_bright[i]
            else Image.fromarray(as_bytes[i, :, :, 0], "L") for i in range(len(pixels))]


def as_model_arrays(model: Any, parts: Sequence[Any], dtypes: Optional[Sequence[str]] = None) -> List[np.ndarray]:
    """Copies of the doc parts in the dtypes the model's inputs expect (the doc is never changed);
    ``dtypes``: those dtypes, when the caller knows them already."""
    if dtypes is None:
        dtypes = [_compat.input_dtype(model, i) for i in range(len(parts))]
    return [np.array(p, dtype=d) for p, d in zip(parts, dtypes)]
