"""Grad-CAM (the default; eli5 0.11's own output).

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization", ICCV 2017, https://arxiv.org/abs/1610.02391.

Channel weights are the spatial mean of the gradient of the target's score with respect to
the layer's activations (eli5 0.11 first divides the gradient by its L2 norm, which the final
normalisation makes irrelevant); the map is ReLU(sum_c w_c A_c).
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod, channel_weighted_sum


class GradCam(CamMethod):
    name = "gradcam"
    label = "Grad-CAM"
    needs_gradients = False

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        return channel_weighted_sum(batch.weights, batch.activations)
