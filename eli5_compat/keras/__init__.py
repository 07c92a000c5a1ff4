"""eli5 0.11's ``eli5.keras``: Grad-CAM for Keras image classifiers (Keras 3, tf-keras, Keras 2)."""
from ._engine import clear_cache
from .explain_prediction import explain_prediction_keras
from .gradcam import gradcam, gradcam_backend

__all__ = ["explain_prediction_keras", "gradcam", "gradcam_backend", "clear_cache"]
