"""Linear (bilinear for 2-D) resizing of maps with aligned corners: the first and last cells of
the output sit on the first and last cells of the input, as in ``scipy.ndimage.zoom(order=1)``,
which tf-keras-vis uses. Done as one small interpolation matrix per spatial axis."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def resize_maps(maps: np.ndarray, size: Sequence[int], channels_last: bool = False) -> np.ndarray:
    """Resize (N, *spatial) maps, or (N, *spatial, C) with ``channels_last``, to ``size``."""
    result = np.asarray(maps, dtype=np.float64)
    spatial = result.ndim - 1 - int(channels_last)
    if len(size) != spatial:
        raise ValueError("size {} does not match maps with {} spatial axes".format(tuple(size), spatial))
    for axis, new in enumerate(size, start=1):
        old = result.shape[axis]
        if old != new:
            result = np.moveaxis(np.tensordot(result, _matrix(old, int(new)), axes=([axis], [1])), -1, axis)
    return result


def _matrix(old: int, new: int) -> np.ndarray:
    """(new, old) weights: output i samples input coordinate i * (old - 1) / (new - 1)."""
    position = np.arange(new) * ((old - 1) / (new - 1) if new > 1 else 0.0)
    low = np.floor(position).astype(int)
    low = np.minimum(low, old - 1)
    high = np.minimum(low + 1, old - 1)
    frac = position - low
    matrix = np.zeros((new, old))
    np.add.at(matrix, (np.arange(new), low), 1 - frac)
    np.add.at(matrix, (np.arange(new), high), frac)
    return matrix
