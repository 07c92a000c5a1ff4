"""eli5-compat: eli5 0.11's Keras Grad-CAM API, rebuilt for TensorFlow 2.16+ (Keras 3 and tf-keras).

Use it as ``import eli5_compat as eli5``. TensorFlow is imported only when a Keras
model is explained (or ``eli5_compat.keras`` is used). ``explain_predictions`` and
``iter_explanations`` explain many images at once; ``method=`` picks another CAM method
(:mod:`eli5_compat.cam`) and :mod:`eli5_compat.metrics` measures how faithful each is. Names that eli5_compat does not
implement (``show_weights``, ``explain_weights``, ...) come from an installed ``eli5``.
"""
from importlib import import_module
from typing import Any

from .base import Explanation, TargetExplanation
from .explain import explain_prediction
from .formatters import format_as_image, plot_explanations
from .ipython import show_prediction

__version__ = "0.1.0"

__all__ = [
    "Explanation", "TargetExplanation", "explain_prediction", "format_as_image",
    "show_prediction", "plot_explanations", "explain_predictions", "iter_explanations", "__version__",
]

_LAZY_SUBMODULES = ("keras", "cam", "metrics", "audit", "ray")
_FROM_KERAS = ("explain_predictions", "iter_explanations")


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return import_module("." + name, __name__)
    if name in _FROM_KERAS:
        return getattr(import_module(".keras", __name__), name)
    if name.startswith("_"):
        raise AttributeError("module {!r} has no attribute {!r}".format(__name__, name))
    from ._fallback import legacy_attribute

    try:
        return legacy_attribute(name)
    except ImportError as exc:  # hasattr() and from-imports expect AttributeError here
        raise AttributeError(str(exc)) from exc
