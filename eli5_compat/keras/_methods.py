"""The bridge from the Keras core to the CAM methods: the method's options, checked once, and
a batch's heatmaps from the core's terms."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np

from ..cam import CamBatch, CamMethod, get_method
from ..cam._template import positive_int
from ._engine import GradcamTerms, compute_scores


@dataclass(frozen=True)
class MethodChoice:
    """A CAM method with its options (``max_channels`` and ``batch_size`` are Score-CAM's)."""

    method: CamMethod
    max_channels: Optional[int] = None
    batch_size: int = 32

    @property
    def label(self) -> str:
        return self.method.label


def choose_method(method: Any, max_channels: Any = None, batch_size: Any = 32) -> MethodChoice:
    """Check ``method=`` and its options; a ValueError names the problem."""
    chosen = get_method(method)
    max_channels = positive_int("max_channels", max_channels, allow_none=True)
    if max_channels is not None and chosen.name != "scorecam":
        raise ValueError("max_channels applies to method='scorecam' only (got method={!r})".format(method))
    return MethodChoice(chosen, max_channels, positive_int("batch_size", batch_size))


def method_heatmaps(model: Any, choice: MethodChoice, terms: GradcamTerms, arrays: List[np.ndarray],
                    image_index: int, output_index: int) -> np.ndarray:
    """The normalised heatmaps of a batch, (N, *spatial) float64."""

    def probabilities(inputs: List[np.ndarray], targets: np.ndarray) -> np.ndarray:
        return compute_scores(model, inputs, targets, output_index, "probability")

    batch = CamBatch(
        activations=terms.activations, gradients=terms.gradients, raw_gradients=terms.raw_gradients,
        weights=terms.weights, targets=terms.targets, inputs=list(arrays), image_index=image_index,
        probabilities=probabilities, max_channels=choice.max_channels, batch_size=choice.batch_size,
    )
    return choice.method.heatmaps(batch)
