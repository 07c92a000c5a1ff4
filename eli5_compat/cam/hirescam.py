"""HiResCAM.

Draelos and Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
convolutional neural networks", 2020, https://arxiv.org/abs/2011.08891.

The gradient multiplies the activations element-wise, with no spatial averaging:
map = ReLU(sum_c g_c * A_c).
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod


class HiResCam(CamMethod):
    name = "hirescam"
    label = "HiResCAM"

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        return np.einsum("n...c,n...c->n...", batch.gradients.astype(np.float64),
                         batch.activations.astype(np.float64))
