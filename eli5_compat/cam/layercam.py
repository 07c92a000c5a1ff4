"""Layer-CAM.

Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for Localization",
IEEE Transactions on Image Processing 30, 2021, https://doi.org/10.1109/TIP.2021.3089943.

Each activation is weighted by its own positive gradient: map = ReLU(sum_c ReLU(g_c) * A_c),
element-wise over the spatial positions.
"""
from __future__ import annotations

import numpy as np

from ._template import CamBatch, CamMethod, channel_sum


class LayerCam(CamMethod):
    name = "layercam"
    label = "Layer-CAM"

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        return channel_sum(np.maximum(batch.gradients, 0), batch.activations)
