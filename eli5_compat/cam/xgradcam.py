"""XGrad-CAM.

Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs",
BMVC 2020, https://arxiv.org/abs/2008.02312.

Channel weights are the gradients averaged with the activations' own spatial distribution:
w_c = sum_{ij} (A_c^{ij} / sum_{ab} A_c^{ab}) g_c^{ij}; map = ReLU(sum_c w_c A_c). Open choice:
1e-7 is added to the denominator (a channel whose activations sum to zero gets weight zero).
"""
from __future__ import annotations

import numpy as np

from ._template import EPSILON, CamBatch, CamMethod, channel_weighted_sum, spatial_sum


class XGradCam(CamMethod):
    name = "xgradcam"
    label = "XGrad-CAM"

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        weighted = spatial_sum(batch.activations, batch.gradients)
        weights = weighted / (spatial_sum(batch.activations) + EPSILON)
        return channel_weighted_sum(weights, batch.activations)
