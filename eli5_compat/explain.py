"""``explain_prediction``: dispatch on the estimator's type, as eli5 does."""
from __future__ import annotations

import abc
from functools import singledispatch
from typing import Any

from ._keras_classes import keras_root
from .base import Explanation


class _AnyKerasModel(abc.ABC):
    """Matches Keras 3, tf-keras and Keras 2 models without importing any of them."""

    @classmethod
    def __subclasshook__(cls, candidate: type) -> Any:
        return True if keras_root(candidate, "Model") else NotImplemented


@singledispatch
def explain_prediction(estimator: Any, doc: Any, *args: Any, **kwargs: Any) -> Explanation:
    """Explain one prediction of ``estimator`` on ``doc``.

    Keras models get a Grad-CAM explanation (see
    :func:`eli5_compat.keras.explain_prediction.explain_prediction_keras`); as in eli5 0.11,
    its ``targets``, ``layer`` and ``image`` may also be given by position. Other
    estimators are passed on to an installed ``eli5``; without one an ImportError says so.
    """
    from ._fallback import legacy_attribute

    return legacy_attribute("explain_prediction")(estimator, doc, *args, **kwargs)


@explain_prediction.register(_AnyKerasModel)
def _explain_keras(*args: Any, **kwargs: Any) -> Explanation:
    # eli5 0.11 registered explain_prediction_keras itself: every argument, positional or
    # not, reaches it unchanged, and its own TypeErrors (too many, duplicates) reach the caller.
    from .keras.explain_prediction import explain_prediction_keras

    return explain_prediction_keras(*args, **kwargs)
