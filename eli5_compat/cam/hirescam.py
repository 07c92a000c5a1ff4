"""HiResCAM.

Draelos and Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
convolutional neural networks", 2020, https://arxiv.org/abs/2011.08891.

The gradient multiplies the activations element-wise, with no spatial averaging:
map = ReLU(sum_c g_c * A_c).
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod, channel_sum


class HiResCam(CamMethod):
    name = "hirescam"
    label = "HiResCAM"

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        return channel_sum(batch.gradients, batch.activations)
