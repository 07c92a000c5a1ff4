"""Deletion and insertion (Petsiuk et al., "RISE: Randomized Input Sampling for Explanation of
Black-box Models", BMVC 2018, https://arxiv.org/abs/1806.07421).

The image's pixels (spatial positions, all channels together) are ranked by the heatmap,
upsampled bilinearly to the image's size, from the most to the least salient (ties keep their
row-major order). Over ``steps`` equal steps, deletion replaces them with a baseline, and
insertion puts them back into the baseline. The target's probability is measured after every
step (``steps + 1`` forward passes per image, ``batch_size`` at a time). The score is the area
under that curve over the fraction of pixels changed in [0, 1] (trapezoid rule). For deletion,
lower is better; for insertion, higher is better.

Baselines, as in RISE: deletion uses 0 (black for images in [0, 1]), insertion a Gaussian blur
of the image (sigma ``blur_sigma`` = 5 pixels, borders reflected). ``baseline`` may also be a
number, or an array of one image's or all images' shape.
"""
from __future__ import annotations

from typing import Any, Union

import numpy as np

from ..cam._template import positive_int
from ._prepare import Heatmaps, Prepared, prepare

Baseline = Union[float, np.ndarray, str]


def deletion(model: Any, images: Any, heatmaps: Heatmaps, targets: Any = None, *, steps: int = 50,
             baseline: Baseline = 0.0, blur_sigma: float = 5.0, output: Any = None,
             batch_size: int = 64) -> np.ndarray:
    """Deletion AUC per image (N,): lower means the heatmap found what the model needs."""
    return _curve_areas(prepare(model, images, heatmaps, targets, output, batch_size), steps, baseline,
                        blur_sigma, batch_size, insert=False)


def insertion(model: Any, images: Any, heatmaps: Heatmaps, targets: Any = None, *, steps: int = 50,
              baseline: Baseline = "blur", blur_sigma: float = 5.0, output: Any = None,
              batch_size: int = 64) -> np.ndarray:
    """Insertion AUC per image (N,): higher means the heatmap found what the model needs."""
    return _curve_areas(prepare(model, images, heatmaps, targets, output, batch_size), steps, baseline,
                        blur_sigma, batch_size, insert=True)


def _curve_areas(prepared: Prepared, steps: int, baseline: Baseline, sigma: float, batch_size: int,
                 insert: bool) -> np.ndarray:
    positive_int("steps", steps)
    images = prepared.images
    backgrounds = _baselines(images, baseline, sigma, prepared.spatial_rank)
    areas = np.empty(len(images))
    for n in range(len(images)):
        order = np.argsort(-prepared.saliency[n].reshape(-1), kind="stable")
        start, end = (backgrounds[n], images[n]) if insert else (images[n], backgrounds[n])
        curve = prepared.probabilities(n, _path(start, end, order, steps), batch_size)
        areas[n] = (curve.sum() - (curve[0] + curve[-1]) / 2) / steps  # the trapezoid rule
    return areas


def _path(start: np.ndarray, end: np.ndarray, order: np.ndarray, steps: int) -> np.ndarray:
    """steps + 1 images: step k has the first round(k * P / steps) ranked pixels of ``end``, the rest of ``start``."""
    pixels = len(order)
    spatial = order.size
    flat_start = start.reshape(spatial, -1)
    flat_end = end.reshape(spatial, -1)
    rank = np.empty(pixels, dtype=np.int64)
    rank[order] = np.arange(pixels)
    counts = np.rint(np.arange(steps + 1) * pixels / steps).astype(np.int64)
    changed = rank[np.newaxis, :] < counts[:, np.newaxis]  # (steps + 1, P)
    path = np.where(changed[:, :, np.newaxis], flat_end[np.newaxis], flat_start[np.newaxis])
    return path.reshape((steps + 1,) + start.shape).astype(start.dtype)


def _baselines(images: np.ndarray, baseline: Baseline, sigma: float, spatial_rank: int) -> np.ndarray:
    if isinstance(baseline, str):
        if baseline != "blur":
            raise ValueError("baseline must be a number, an array or 'blur', got: {!r}".format(baseline))
        return gaussian_blur(images, sigma, spatial_rank)
    value = np.asarray(baseline, dtype=images.dtype)
    try:
        return np.broadcast_to(value, images.shape)
    except ValueError:
        raise ValueError("baseline of shape {} does not fit images of shape {}: give a number, one image or "
                         "one baseline per image".format(value.shape, images.shape)) from None


def gaussian_blur(images: np.ndarray, sigma: float, spatial_rank: int = 2) -> np.ndarray:
    """Images (N, *spatial[, channels]) blurred by a Gaussian of ``sigma`` pixels (reflected borders)."""
    if not sigma > 0:
        raise ValueError("blur_sigma must be positive, got: {!r}".format(sigma))
    result = np.asarray(images, dtype=np.float64)
    for axis in range(1, 1 + spatial_rank):
        matrix = _blur_matrix(result.shape[axis], sigma)
        result = np.moveaxis(np.tensordot(result, matrix, axes=([axis], [1])), -1, axis)
    return result.astype(images.dtype)


def _blur_matrix(size: int, sigma: float) -> np.ndarray:
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    matrix = np.zeros((size, size))
    for i in range(size):
        source = i + offsets
        # reflect about the edges ("symmetric": the edge pixel repeats), as often as needed
        period = 2 * size
        source = np.mod(source, period)
        source = np.where(source >= size, period - 1 - source, source)
        np.add.at(matrix[i], source, kernel)
    return matrix
