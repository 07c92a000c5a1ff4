"""Explanation containers with the fields, defaults and positional order of eli5 0.11."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Union

import numpy as np


@dataclass(eq=True, repr=True, slots=True)
class TargetExplanation:
    """What the model said about one target class, and where in the image it looked."""

    target: Union[str, int, Any]
    feature_weights: Any = None
    proba: Optional[float] = None
    score: Optional[float] = None
    weighted_spans: Any = None
    heatmap: Optional[np.ndarray] = None


@dataclass(eq=True, repr=True, slots=True)
class Explanation:
    """An explanation of one prediction (or of weights, for non-Keras estimators).

    For image models ``image`` holds the input as a PIL image and ``targets`` one
    :class:`TargetExplanation` whose ``heatmap`` is the Grad-CAM map.
    """

    estimator: str
    description: Optional[str] = None
    error: Optional[str] = None
    method: Optional[str] = None
    is_regression: bool = False
    targets: Optional[List[TargetExplanation]] = None
    feature_importances: Any = None
    decision_tree: Any = None
    highlight_spaces: Optional[bool] = None
    transition_features: Any = None
    image: Any = None

    def _repr_png_(self) -> Optional[bytes]:
        """Notebook display: the heatmap overlaid on the image, as PNG bytes."""
        from .ipython import _explanation_png

        return _explanation_png(self)

    def _repr_html_(self) -> Optional[str]:
        """Notebook display: the overlay with its target and score, or the error text."""
        from .ipython import _explanation_html

        return _explanation_html(self)
