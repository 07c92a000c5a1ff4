"""Grad-CAM++.

Chattopadhay et al., "Grad-CAM++: Improved Visual Explanations for Deep Convolutional
Networks", WACV 2018, https://arxiv.org/abs/1710.11063.

With g = dS/dA (S the target's score) and the paper's assumption that the class output is
exp(S), the higher derivatives are powers of g and

    alpha_c^{ij} = g^2 / (2 g^2 + sum_{ab} A_c^{ab} g^3)     (0 where g = 0)
    w_c = sum_{ij} alpha_c^{ij} ReLU(g_c^{ij}),  map = ReLU(sum_c w_c A_c).

The factor exp(S) cancels in alpha and scales every weight of an image alike, so the
normalised map does not depend on it. Open choice, as tf-keras-vis 0.8.7 and the authors'
code make it: each channel's alphas are divided by their spatial sum (when it is not zero).
Not scale-invariant in g: the raw gradients are used.
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod, channel_weighted_sum, spatial_sum


class GradCamPlusPlus(CamMethod):
    name = "gradcam++"
    label = "Grad-CAM++"

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        grads = batch.raw_gradients()
        activations = batch.activations.astype(np.float64)
        spatial = tuple(range(1, grads.ndim - 1))
        second = grads ** 2
        third = second * grads
        denominator = 2.0 * second + third * activations.sum(axis=spatial, keepdims=True)
        alphas = second / np.where(second == 0.0, denominator + 1.0, denominator)
        alpha_sums = alphas.sum(axis=spatial, keepdims=True)
        alphas = alphas / np.where(alpha_sums == 0.0, 1.0, alpha_sums)
        weights = spatial_sum(alphas * np.maximum(grads, 0.0))
        return channel_weighted_sum(weights, batch.activations)
