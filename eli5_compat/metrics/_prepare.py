"""What every metric needs: the model's input arrays, the image input, the heatmaps at the
image's size, the explained classes, and a batched scorer of perturbed images."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Union

import numpy as np

from ..base import Explanation
from ..cam._resize import resize_maps
from ..cam._template import positive_int, with_image_variants

Heatmaps = Union[np.ndarray, Sequence[Explanation]]


@dataclass
class Prepared:
    """One metric call's inputs, checked."""

    arrays: List[np.ndarray]  # the model's inputs, in its dtypes (private copies)
    which: int  # the image input
    saliency: np.ndarray  # (N, *image spatial) float64: the heatmaps upsampled to the image
    targets: np.ndarray  # (N,) int64
    score: Callable[[List[np.ndarray], np.ndarray], np.ndarray]  # probabilities of the targets

    @property
    def images(self) -> np.ndarray:
        return self.arrays[self.which]

    def with_image(self, n: int, images: np.ndarray) -> List[np.ndarray]:
        """Model inputs for ``images`` (variants of image n), the other inputs repeated."""
        return with_image_variants(self.arrays, self.which, n, images)

    def probabilities(self, n: int, images: np.ndarray, batch_size: int) -> np.ndarray:
        """The target's probability for each of ``images`` (variants of image n), batched."""
        return self.probabilities_of(self.with_image(n, images), np.full(len(images), self.targets[n]), batch_size)

    def probabilities_of(self, inputs: List[np.ndarray], targets: np.ndarray, batch_size: int) -> np.ndarray:
        """Each input's probability of its target, ``batch_size`` inputs at a time."""
        targets = np.asarray(targets, dtype=np.int64)
        out = [self.score([a[s:s + batch_size] for a in inputs], targets[s:s + batch_size])
               for s in range(0, len(targets), batch_size)]
        return np.concatenate(out).astype(np.float64)

    @property
    def spatial_rank(self) -> int:
        return self.saliency.ndim - 1


def prepare(model: Any, images: Any, heatmaps: Heatmaps, targets: Any, output: Any, batch_size: int) -> Prepared:
    """Check the arguments shared by every metric; a ValueError names what is wrong."""
    from ..keras import _inputs, _model
    from ..keras._engine import compute_scores

    positive_int("batch_size", batch_size)
    parts = _inputs.split_doc(model, images)
    _inputs.require_arrays(parts)
    which = _inputs.image_index(parts)
    arrays = _inputs.as_model_arrays(model, parts)
    count = len(arrays[which])
    if len({len(a) for a in arrays}) != 1:
        raise ValueError("every model input needs the same number of images, got {}".format([len(a) for a in arrays]))
    maps, from_explanations = _heatmap_array(heatmaps, count)
    image_axes, map_axes = arrays[which].ndim - 1, maps.ndim - 1
    if map_axes < 1 or map_axes not in (image_axes - 1, image_axes):  # without or with the channel axis
        raise ValueError("heatmaps of shape {} do not fit images of shape {}: give one map per image over the "
                         "image's spatial axes (any size, it is upsampled), e.g. shape {}".format(
                             maps.shape, arrays[which].shape, (count,) + arrays[which].shape[1:-1]))
    spatial = arrays[which].shape[1:maps.ndim]
    index = _model.output_index(model, output)

    def score(inputs: List[np.ndarray], chosen: np.ndarray) -> np.ndarray:
        return compute_scores(model, inputs, chosen, index, "probability")

    if targets is None:
        targets = from_explanations
    if targets is None:  # each image's top class, fixed before any pixel changes
        predictions = model.predict(arrays if len(arrays) > 1 else arrays[0], batch_size=batch_size, verbose=0)
        if isinstance(predictions, dict):
            predictions = list(predictions.values())
        predictions = predictions[index] if isinstance(predictions, (list, tuple)) else predictions
        targets = np.argmax(np.asarray(predictions), axis=-1)
    targets = np.asarray(targets).reshape(-1)
    if len(targets) != count or not np.issubdtype(targets.dtype, np.integer):
        raise ValueError("targets must hold one class index per image ({}), got: {!r}".format(count, targets))
    return Prepared(arrays, which, resize_maps(maps, spatial), targets.astype(np.int64), score)


def _heatmap_array(heatmaps: Heatmaps, count: int) -> "tuple[np.ndarray, Optional[np.ndarray]]":
    targets = None
    if isinstance(heatmaps, np.ndarray):
        maps = heatmaps
    else:
        explanations = list(heatmaps)
        if not all(isinstance(e, Explanation) and e.targets for e in explanations):
            raise ValueError("heatmaps must be an array (images, rows, cols) or a list of explanations with a target")
        maps = np.stack([np.asarray(e.targets[0].heatmap) for e in explanations])
        targets = np.array([int(e.targets[0].target) for e in explanations], dtype=np.int64)
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2 or len(maps) != count:
        raise ValueError("heatmaps must hold one map per image: {} images, heatmaps of shape {}".format(
            count, maps.shape))
    return maps, targets
