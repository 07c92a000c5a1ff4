"""eli5 0.11's ``eli5.keras``: Grad-CAM for Keras image classifiers (Keras 3, tf-keras, Keras 2).

Beyond eli5 0.11: :func:`explain_predictions` / :func:`iter_explanations` for many images,
``method=`` for the other CAM methods (:mod:`eli5_compat.cam`), and :func:`clear_cache`.
"""
from ._backend_check import require_backend as _require_backend

_require_backend()

from ._engine import clear_cache
from .batch import explain_predictions, iter_explanations
from .explain_prediction import explain_prediction_keras
from .gradcam import gradcam, gradcam_backend

__all__ = ["explain_prediction_keras", "gradcam", "gradcam_backend", "explain_predictions",
           "iter_explanations", "clear_cache"]
