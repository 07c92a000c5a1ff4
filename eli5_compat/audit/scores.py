"""The two numbers per image: the energy-based pointing game and the pointing game.

Both are computed on the heatmap upsampled to the original image's size with Pillow's bilinear
filter (pixel centres aligned, edges repeated: the geometry of the overlays, which Pillow resizes
too), against a boolean object mask of that size.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
from PIL import Image


def upsample(heatmap: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``heatmap`` (rows, cols) resized bilinearly to ``size`` = (width, height), as float64."""
    resized = Image.fromarray(np.asarray(heatmap, dtype=np.float32)).resize(size, Image.BILINEAR)
    return np.asarray(resized, dtype=np.float64)


def energy_share(heatmap: np.ndarray, region: np.ndarray) -> float:
    """Share of the heatmap's mass inside ``region`` (Wang et al. 2020's energy-based pointing game).

    NaN when the heatmap has no mass (all zero). Negative values are not expected (eli5's heatmaps
    lie in [0, 1]); ValueError if there are any or the shapes differ.
    """
    _check(heatmap, region)
    if heatmap.min() < 0:
        raise ValueError("the heatmap has negative values ({}); the energy share needs a non-negative map".format(
            heatmap.min()))
    total = float(heatmap.sum())
    return float(heatmap[region].sum()) / total if total > 0 else float("nan")


def pointing_hit(heatmap: np.ndarray, region: np.ndarray, tolerance: float = 0.0) -> bool:
    """Whether the heatmap's peak lies in ``region`` (Zhang et al. 2016's pointing game).

    Ties: every pixel at the maximum value must lie in the region (so a flat map only hits a
    region covering the whole image). ``tolerance``: a peak within this many pixels (Euclidean,
    between pixel centres) of the region still hits; Zhang et al. used 15.
    """
    _check(heatmap, region)
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0 pixels, got {}".format(tolerance))
    peaks = heatmap == heatmap.max()
    if tolerance == 0:
        return bool(np.all(region[peaks]))
    rows, cols = np.nonzero(peaks)
    reach = int(np.floor(tolerance))
    top, left = max(rows.min() - reach, 0), max(cols.min() - reach, 0)  # only the window around the peaks matters
    bottom, right = rows.max() + reach + 1, cols.max() + reach + 1
    grown = _dilate(region[top:bottom, left:right], tolerance)
    return bool(np.all(grown[rows - top, cols - left]))


def _dilate(region: np.ndarray, radius: float) -> np.ndarray:
    """Pixels within ``radius`` of the region (a disk-shaped dilation by shifted copies)."""
    reach = int(np.floor(radius))
    grown = region.copy()
    height, width = region.shape
    for dy in range(-min(reach, height - 1), min(reach, height - 1) + 1):  # larger shifts leave nothing
        for dx in range(-min(reach, width - 1), min(reach, width - 1) + 1):
            if (dy or dx) and dy * dy + dx * dx <= radius * radius + 1e-9:  # sqrt(3) ** 2 < 3 in floats
                src = region[max(0, -dy):height - max(0, dy), max(0, -dx):width - max(0, dx)]
                grown[max(0, dy):height - max(0, -dy), max(0, dx):width - max(0, -dx)] |= src
    return grown


def _check(heatmap: np.ndarray, region: np.ndarray) -> None:
    if heatmap.shape != region.shape:
        raise ValueError("heatmap {} and region {} must have the same (height, width): upsample the heatmap "
                         "first".format(heatmap.shape, region.shape))
