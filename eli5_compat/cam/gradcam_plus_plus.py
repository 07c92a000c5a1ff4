"""Grad-CAM++.

Chattopadhay et al., "Grad-CAM++: Improved Visual Explanations for Deep Convolutional
Networks", WACV 2018, https://arxiv.org/abs/1710.11063.

With g = dS/dA (S the target's score) and the paper's assumption that the class output is
exp(S), the higher derivatives are powers of g and

    alpha_c^{ij} = g^2 / (2 g^2 + sum_{ab} A_c^{ab} g^3)     (0 where g = 0)
    w_c = sum_{ij} alpha_c^{ij} ReLU(g_c^{ij}),  map = ReLU(sum_c w_c A_c).

The factor exp(S) cancels in alpha and scales every weight of an image alike, so the
normalised map does not depend on it. Where g != 0, alpha = 1 / (2 + g sum_{ab} A_c^{ab}),
which is how it is computed. Open choice, as tf-keras-vis 0.8.7 and the authors'
code make it: each channel's alphas are divided by their spatial sum (when it is not zero).
Not scale-invariant in g: the raw gradients (before eli5's L2 normalisation) are used.
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod, channel_weighted_sum

# Below this many channels, scaling each channel by a per-image factor is a diagonal matmul:
# numpy's broadcast multiply runs an inner loop of length C, slow for C of a few.
_DIAGONAL_MAX_CHANNELS = 64


class GradCamPlusPlus(CamMethod):
    name = "gradcam++"
    label = "Grad-CAM++"

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        # Where g != 0, alpha = g^2 / (2 g^2 + g^3 sum A) = 1 / (2 + g sum A); 0 where g = 0.
        # All in float64 (2 + g sum A may come near 0); spatial sums as matmuls with a row of ones.
        count, channels = len(batch.raw_gradients), batch.raw_gradients.shape[-1]
        grads = np.asarray(batch.raw_gradients).reshape(count, -1, channels).astype(np.float64)
        ones = np.ones((1, grads.shape[1]))
        alphas = _scale_channels(grads, ones @ np.asarray(batch.activations).reshape(grads.shape).astype(np.float64))
        alphas += 2
        np.reciprocal(alphas, out=alphas)
        np.copyto(alphas, 0, where=grads == 0)
        alpha_sums = (ones @ alphas)[:, 0]
        np.maximum(grads, 0, out=grads)
        grads *= alphas
        weights = (ones @ grads)[:, 0]
        weights /= np.where(alpha_sums == 0, 1.0, alpha_sums)
        return channel_weighted_sum(weights, batch.activations)


def _scale_channels(values: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """values (N, P, C) times factors (N, 1, C), channel by channel."""
    channels = values.shape[-1]
    if channels > _DIAGONAL_MAX_CHANNELS:
        return values * factors
    diagonal = np.zeros((len(values), channels, channels))
    index = np.arange(channels)
    diagonal[:, index, index] = factors[:, 0, :]
    return values @ diagonal
