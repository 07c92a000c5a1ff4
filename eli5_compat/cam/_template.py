"""The template every CAM method fills in: one extension point, :meth:`CamMethod.raw_maps`.

A method receives one batch's terms from the compiled core (activations, gradients, targets,
scores) and a scorer for extra forward passes, and returns unnormalised maps. The template
then normalises them like eli5 0.11's Grad-CAM: ReLU, then division by ``max + 1e-7``.
Everything here is NumPy, so the methods work with whatever backend produced the terms.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Iterator, List, Optional

import numpy as np

EPSILON = 1e-7  # Keras' epsilon, which eli5 0.11 added to the map's maximum
_CHUNK_VALUES = 1 << 18  # activations per float64 product in channel_weighted_sum (2 MB)
_PART_VALUES = 1 << 16  # activations per sub-batch a method works on (temporaries stay in cache)

# Scores of a batch of model inputs for the given target classes: (inputs, targets) -> (N,).
Scorer = Callable[[List[np.ndarray], np.ndarray], np.ndarray]


@dataclass
class CamBatch:
    """What a method may use for a batch of N images (arrays may be read-only)."""

    activations: np.ndarray  # (N, *spatial, C) float32
    gradients: Optional[np.ndarray]  # (N, *spatial, C), L2-normalised per image (None: see needs_gradients)
    raw_gradients: Optional[np.ndarray]  # (N, *spatial, C): the gradients before normalisation
    weights: np.ndarray  # (N, C): Grad-CAM's weights, the spatial mean of the gradients
    targets: np.ndarray  # (N,) int64: the explained classes (never -1)
    inputs: List[np.ndarray]  # the model's input arrays, in its input order
    image_index: int  # which of ``inputs`` is the image
    probabilities: Scorer  # class probabilities of perturbed inputs, for gradient-free methods
    max_channels: Optional[int] = None
    batch_size: int = 32

    def parts(self, values: int = _PART_VALUES) -> Iterator["CamBatch"]:
        """The batch as consecutive sub-batches of about ``values`` activations (at least one image)."""
        count = len(self.activations)
        step = max(1, values // max(1, self.activations[0].size)) if count else 1
        for start in range(0, count, step):
            window = slice(start, start + step)
            yield replace(self, activations=self.activations[window], gradients=_window(self.gradients, window),
                          raw_gradients=_window(self.raw_gradients, window), weights=self.weights[window],
                          targets=self.targets[window], inputs=[a[window] for a in self.inputs])


class CamMethod:
    """A class activation map method: subclasses set ``name`` and ``label`` and implement
    :meth:`raw_maps`."""

    name: ClassVar[str]  # what users pass as method=
    label: ClassVar[str]  # what Explanation.method says
    needs_gradients: ClassVar[bool] = True  # False: batch.gradients and raw_gradients may be None

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        """The unnormalised maps, (N, *spatial), before ReLU."""
        raise NotImplementedError

    def heatmaps(self, batch: CamBatch) -> np.ndarray:
        """The normalised heatmaps: ReLU, then divided by ``max + 1e-7`` per image (float64).

        The method runs on sub-batches of a few images, so that its full-size temporaries stay
        small (allocating and paging in fresh batch-sized arrays costs more than the arithmetic).
        """
        if len(batch.activations) <= 1:  # one image: one part
            return normalise_maps(self.raw_maps(batch))
        return normalise_maps(np.concatenate([self.raw_maps(part) for part in batch.parts()]))


def _window(values: Optional[np.ndarray], window: slice) -> Optional[np.ndarray]:
    return None if values is None else values[window]


def normalise_maps(lmaps: np.ndarray) -> np.ndarray:
    """ReLU, then each map divided by its maximum plus 1e-7, so that values lie in [0, 1)."""
    lmaps = np.maximum(np.asarray(lmaps, dtype=np.float64), 0)
    if not lmaps.size:
        return lmaps
    flat = lmaps.reshape(len(lmaps), -1)  # a view: one reduction axis is quicker than several
    top = flat.max(axis=1, keepdims=True)
    top += EPSILON
    flat /= top
    return lmaps


def channel_weighted_sum(weights: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """sum_c weights[n, c] * activations[n, ..., c] in float64: (N, C), (N, ..., C) -> (N, ...)."""
    count, channels = weights.shape
    # float64 products (eli5 0.11 multiplied in float32 and summed in float64; the difference is
    # about 1e-7), a few images at a time: one whole-batch product of 256 MobileNetV2 maps spent
    # most of its time allocating a 128 MB float64 temporary, one product per image costs a
    # Python round trip per image on small maps.
    flat = activations.reshape(count, -1, channels)
    weights64 = np.asarray(weights).astype(np.float64)[:, :, np.newaxis]
    step = max(1, _CHUNK_VALUES // max(1, flat[0].size))
    if step >= count:  # matmul casts the activations to float64 itself
        return np.matmul(flat, weights64)[..., 0].reshape(activations.shape[:-1])
    lmaps = np.empty(flat.shape[:2], dtype=np.float64)
    for start in range(0, count, step):
        stop = start + step
        np.matmul(flat[start:stop].astype(np.float64), weights64[start:stop], out=lmaps[start:stop, :, np.newaxis])
    return lmaps.reshape(activations.shape[:-1])


def spatial_sum(values: np.ndarray, other: Optional[np.ndarray] = None) -> np.ndarray:
    """Sum over the spatial axes of (N, *spatial, C), of ``values * other`` if given: -> (N, C) float64."""
    # einsum: numpy's sum over a middle axis is several times slower on these shapes.
    shape = (len(values), -1, values.shape[-1])
    if other is None:
        return np.einsum("npc->nc", values.reshape(shape), dtype=np.float64)
    return np.einsum("npc,npc->nc", values.reshape(shape), other.reshape(shape), dtype=np.float64)


def channel_sum(values: np.ndarray, other: np.ndarray) -> np.ndarray:
    """sum_c values * other per position, in float64: (N, *spatial, C) twice -> (N, *spatial)."""
    return np.einsum("n...c,n...c->n...", values, other, dtype=np.float64)


def with_image_variants(inputs: List[np.ndarray], which: int, n: int, images: np.ndarray) -> List[np.ndarray]:
    """Model inputs for ``images`` (variants of image n of input ``which``), the other inputs of
    sample n repeated alongside."""
    return [images if i == which else np.repeat(a[n:n + 1], len(images), axis=0) for i, a in enumerate(inputs)]


def positive_int(name: str, value: Any, allow_none: bool = False) -> Optional[int]:
    """``value`` checked to be a positive int (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError("{} must be a positive int{}, got: {!r}".format(
            name, " or None" if allow_none else "", value))
    return int(value)
