"""Eigen-CAM (gradient-free).

Muhammad and Yeasin, "Eigen-CAM: Class Activation Map using Principal Components", IJCNN 2020,
https://arxiv.org/abs/2008.00299.

The map is the activations projected on their first principal direction: with the
activations as a (positions x channels) matrix O = U S V^T (no centring, as in the paper),
map = O v_1. The SVD leaves the sign open; it is chosen so that the map sums to a positive
value (for non-negative activations, the map that is non-negative). The map does not depend
on the target class; the Explanation still records the target and its score.
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod


class EigenCam(CamMethod):
    name = "eigencam"
    label = "Eigen-CAM"
    needs_gradients = False

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        activations = batch.activations
        count, channels = activations.shape[0], activations.shape[-1]
        flat = activations.reshape(count, -1, channels).astype(np.float64)
        positions = flat.shape[1]
        # The first eigenvector of the smaller Gram matrix gives the same projection as the SVD,
        # cheaper: O v_1 = sqrt(l_1) u_1 from O O^T, or O v_1 directly from O^T O (eigh sorts
        # eigenvalues in ascending order).
        if positions <= channels:
            values, vectors = np.linalg.eigh(flat @ flat.transpose(0, 2, 1))
            projection = vectors[:, :, -1] * np.sqrt(np.maximum(values[:, -1:], 0))
        else:
            _, vectors = np.linalg.eigh(flat.transpose(0, 2, 1) @ flat)
            projection = np.einsum("npc,nc->np", flat, vectors[:, :, -1])
        signs = np.where(projection.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
        return (projection * signs).reshape(activations.shape[:-1])
