"""eli5 0.11's ``eli5.keras``: Grad-CAM for Keras image classifiers (Keras 3, tf-keras, Keras 2).

Beyond eli5 0.11: :func:`explain_predictions` / :func:`iter_explanations` for many images,
``method=`` for the other CAM methods (:mod:`eli5_compat.cam`), and :func:`clear_cache`.
"""
try:
    import tensorflow as _tensorflow  # noqa: F401  (any distribution: tensorflow, tensorflow-cpu, tensorflow-macos, ...)
except ModuleNotFoundError as _missing:
    if _missing.name != "tensorflow":
        raise
    raise ModuleNotFoundError(
        "eli5_compat.keras needs TensorFlow, and no TensorFlow is installed in this environment "
        "({}). Install it with `pip install \"eli5-compat[tensorflow]\"`, or install the TensorFlow "
        "distribution for your platform (tensorflow, tensorflow-cpu, tensorflow-macos, ...): any "
        "of them works.".format(_missing),
        name="tensorflow",
    ) from _missing

from ._engine import clear_cache
from .batch import explain_predictions, iter_explanations
from .explain_prediction import explain_prediction_keras
from .gradcam import gradcam, gradcam_backend

__all__ = ["explain_prediction_keras", "gradcam", "gradcam_backend", "explain_predictions",
           "iter_explanations", "clear_cache"]
