"""Explain many images at once: ``explain_predictions`` and its streaming twin ``iter_explanations``."""
from __future__ import annotations

import numbers
import threading
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Union

import numpy as np

from ..base import Deferred, Explanation
from . import _inputs, _model
from ._engine import compute_terms
from ._methods import MethodChoice, choose_method, method_heatmaps
from .explain_prediction import (LayerSpec, OutputSpec, _maybe_image, choose_layer,
                                 explain_prediction_keras_not_supported, image_explanation)

Targets = Union[None, int, Sequence[int], np.ndarray]


def explain_predictions(
    model: Any,
    docs: Any,
    targets: Targets = None,
    layer: LayerSpec = None,
    batch_size: int = 64,
    *,
    output: OutputSpec = None,
    logits: bool = False,
    progress: bool = True,
    method: str = "gradcam",
    max_channels: Optional[int] = None,
) -> List[Explanation]:
    """Explain every image in ``docs``; one Explanation per image, as ``explain_prediction`` gives.

    ``docs``: an array of images (batch axis first; a list or dict of arrays for a
    multi-input model), or an iterable of such batches (a ``tf.data.Dataset`` too; ``(x, y)``
    elements use ``x``). ``targets``: None (each image's top class), one class for all, or
    one class per image. ``batch_size`` applies to arrays; iterables keep their batches.
    ``progress`` shows a progress bar when a run takes more than two seconds. ``method`` and
    ``max_channels``: as for ``explain_prediction`` (Score-CAM's masked images also go through
    the model ``batch_size`` at a time).
    """
    return list(iter_explanations(model, docs, targets, layer, batch_size, output=output, logits=logits,
                                  progress=progress, method=method, max_channels=max_channels))


def iter_explanations(
    model: Any,
    docs: Any,
    targets: Targets = None,
    layer: LayerSpec = None,
    batch_size: int = 64,
    *,
    output: OutputSpec = None,
    logits: bool = False,
    progress: bool = True,
    method: str = "gradcam",
    max_channels: Optional[int] = None,
) -> Iterator[Explanation]:
    """Like :func:`explain_predictions`, but yields explanations one by one.

    Memory stays bounded by one batch, whatever the number of images. Arguments are checked
    at the call, before the first explanation is asked for.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError("batch_size must be a positive int, got: {!r}".format(batch_size))
    choice = choose_method(method, max_channels, batch_size)
    index = _model.output_index(model, output)
    total = _count(model, docs)
    per_image = _TargetSource(targets, total)
    if total is None and (not isinstance(docs, Iterable) or isinstance(docs, (str, bytes))):
        raise TypeError("docs must be a numpy array of images or an iterable of batches, got: {}".format(
            type(docs).__name__))
    return _stream(model, _batches(model, docs, batch_size), per_image, layer, index, logits, total, progress,
                   choice)


def _stream(model: Any, batches: Iterator[List[np.ndarray]], per_image: "_TargetSource", layer: LayerSpec,
            index: int, logits: bool, total: Optional[int], progress: bool,
            choice: MethodChoice) -> Iterator[Explanation]:
    plan = None
    bar = _progress_bar(total, progress, choice.label)
    try:
        for parts in batches:
            count = len(parts[0])
            if plan is None:
                plan = _Plan(model, parts, layer, index, choice)
            chosen = np.array([per_image.next(plan.n_classes) for _ in range(count)], dtype=np.int64)
            yield from plan.explain(parts, chosen, logits)
            bar.update(count)
        per_image.finish()
    finally:
        bar.close()


class _Plan:
    """What stays the same for every batch: the layer, the output, the image input."""

    def __init__(self, model: Any, parts: List[np.ndarray], layer: LayerSpec, index: int,
                 choice: MethodChoice) -> None:
        self.model, self.index, self.choice = model, index, choice
        first = [p[:1] for p in parts]
        self.is_image = _maybe_image(model, first if len(first) > 1 else first[0])
        self.which = _inputs.image_index(parts)
        self.shapes = _inputs.input_shapes(model)
        if self.is_image:
            self._validate(parts)
            self.layer = choose_layer(model, first, self.which, layer)
            self.n_classes = _model.output_shape(model, index, first)[-1]
        else:
            self.n_classes = None

    def _validate(self, parts: List[np.ndarray]) -> None:
        for i, part in enumerate(parts):
            _inputs.validate_single(self.model, part[:1], self.shapes[i] if self.shapes else None)

    def explain(self, parts: List[np.ndarray], chosen: np.ndarray, logits: bool) -> Iterator[Explanation]:
        count = len(parts[0])
        if not self.is_image:
            for _ in range(count):
                yield explain_prediction_keras_not_supported(self.model, parts[0])
            return
        self._validate(parts)
        arrays = _inputs.as_model_arrays(self.model, parts)
        terms = compute_terms(self.model, self.layer, arrays, chosen, self.index, logits,
                              gradients=self.choice.method.needs_gradients)
        # The images are built from a private copy of the pixels; the model's copy serves when
        # it has the doc's dtype (one copy of the batch fewer).
        own = arrays[self.which] if arrays[self.which].dtype == parts[self.which].dtype else None
        images = _BatchImages(parts[self.which] if own is None else own, self.model, copy=own is None)
        heatmaps = method_heatmaps(self.model, self.choice, terms, arrays, self.which, self.index)
        for i in range(count):
            image = Deferred(lambda i=i: images.get(i))
            yield image_explanation(self.model, image, terms.targets[i], terms.scores[i], heatmaps[i],
                                    self.choice.label)


class _BatchImages:
    """The PIL images of one batch, built together when the first of them is read.

    Building a PIL image per input costs as much as a tenth of the Grad-CAM itself on small
    models, and many batch users read only the heatmaps. The pixels are a private copy (made
    here unless ``copy=False`` says the caller's array already is one), so a caller reusing
    its buffer changes nothing; they are released once the images exist.
    """

    def __init__(self, pixels: np.ndarray, model: Any, copy: bool = True) -> None:
        self._pixels: Optional[np.ndarray] = np.array(pixels, copy=True) if copy else pixels
        self._model: Any = model
        self._images: List[Any] = []
        self._lock = threading.Lock()

    def get(self, i: int) -> Any:
        with self._lock:
            if self._pixels is not None:
                self._images = _inputs.docs_to_images(self._pixels, self._model)
                self._pixels = self._model = None
            return self._images[i]


class _TargetSource:
    """Hands out one target per image: -1 (top class), a fixed class, or the next of a sequence."""

    def __init__(self, targets: Targets, total: Optional[int]) -> None:
        self.fixed: Optional[int] = None
        self.sequence: Optional[List[Any]] = None
        self.used = 0
        if targets is None:
            self.fixed = -1
        elif isinstance(targets, numbers.Integral) and not isinstance(targets, bool):
            self.fixed = int(targets)
        else:
            self.sequence = list(np.asarray(targets).reshape(-1).tolist())
            if total is not None and len(self.sequence) != total:
                raise ValueError("targets has {} entries but there are {} images; give one class per "
                                 "image, one class for all, or None.".format(len(self.sequence), total))

    def next(self, n_classes: Optional[int]) -> int:
        if self.sequence is None:
            value = self.fixed
        elif self.used >= len(self.sequence):
            raise ValueError("targets has {} entries but there are more images.".format(len(self.sequence)))
        else:
            value = self.sequence[self.used]
        self.used += 1
        if value == -1 and self.sequence is None:
            return -1
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)
        return _model.check_target(value, n_classes)

    def finish(self) -> None:
        if self.sequence is not None and self.used != len(self.sequence):
            raise ValueError("targets has {} entries but there were {} images.".format(len(self.sequence), self.used))


def _count(model: Any, docs: Any) -> Optional[int]:
    arrays = _as_arrays(model, docs)
    return None if arrays is None else len(arrays[0])


def _as_arrays(model: Any, docs: Any) -> Optional[List[np.ndarray]]:
    """The docs as whole arrays (one per model input), or None for an iterable of batches."""
    if isinstance(docs, np.ndarray):
        return [docs]
    if _inputs.is_multi_input(model) and isinstance(docs, (dict, list, tuple)):
        parts = _inputs.split_doc(model, docs)
        if all(isinstance(p, np.ndarray) for p in parts):
            return parts
    return None


def _batches(model: Any, docs: Any, batch_size: int) -> Iterator[List[np.ndarray]]:
    arrays = _as_arrays(model, docs)
    if arrays is not None:
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError("All inputs must hold the same number of images, got {}".format(sorted(lengths)))
        for start in range(0, len(arrays[0]), batch_size):
            yield [a[start:start + batch_size] for a in arrays]
        return
    for element in docs:
        if isinstance(element, tuple) and len(element) in (2, 3) and not _inputs.is_multi_input(model):
            element = element[0]  # (x, y) or (x, y, sample_weight), as Keras datasets yield
        parts = _inputs.split_doc(model, element)
        yield [np.asarray(p) for p in parts]


class _NoBar:
    def update(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: Optional[int], show: bool, label: str = "Grad-CAM") -> Any:
    if not show:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="image", desc=label, delay=2.0, leave=False)
