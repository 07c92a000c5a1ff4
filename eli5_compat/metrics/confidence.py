"""Average drop and increase in confidence (Chattopadhay et al., "Grad-CAM++", WACV 2018,
https://arxiv.org/abs/1710.11063, section 4.1).

The explanation map E is the image multiplied by its heatmap (upsampled bilinearly to the
image's size; eli5's heatmaps lie in [0, 1]). With Y the target's probability on the image and
O on E, an image's drop is max(0, Y - O) / Y (0 when Y is 0), and its increase is 1 when
O > Y, else 0. The paper's percentages are 100 times the means over images: lower average drop
and higher increase are better.
"""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ._prepare import Heatmaps, prepare


def average_drop(model: Any, images: Any, heatmaps: Heatmaps, targets: Any = None, *, output: Any = None,
                 batch_size: int = 64) -> np.ndarray:
    """Per-image drop in confidence (N,): max(0, Y - O) / Y; its mean is the average drop."""
    before, after = _confidences(model, images, heatmaps, targets, output, batch_size)
    return np.where(before > 0, np.maximum(before - after, 0) / np.where(before > 0, before, 1), 0.0)


def increase_in_confidence(model: Any, images: Any, heatmaps: Heatmaps, targets: Any = None, *,
                           output: Any = None, batch_size: int = 64) -> np.ndarray:
    """Per-image increase (N,): 1.0 where the explanation map scores higher than the image, else 0.0."""
    before, after = _confidences(model, images, heatmaps, targets, output, batch_size)
    return (after > before).astype(np.float64)


def _confidences(model: Any, images: Any, heatmaps: Heatmaps, targets: Any, output: Any,
                 batch_size: int) -> Tuple[np.ndarray, np.ndarray]:
    prepared = prepare(model, images, heatmaps, targets, output, batch_size)
    originals = prepared.images
    weights = prepared.saliency if originals.ndim == prepared.saliency.ndim else prepared.saliency[..., np.newaxis]
    explained = list(prepared.arrays)
    explained[prepared.which] = (originals * weights).astype(originals.dtype)
    before = prepared.probabilities_of(prepared.arrays, prepared.targets, batch_size)
    return before, prepared.probabilities_of(explained, prepared.targets, batch_size)
