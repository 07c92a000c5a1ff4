"""Which backend Keras is configured for, and what ``eli5_compat.keras`` needs installed for it:
TensorFlow, unless Keras 3 runs on JAX or PyTorch."""
from __future__ import annotations

import importlib
import os
from typing import Any

_NON_TF_BACKENDS = ("jax", "torch")


def without_tensorflow() -> bool:
    """True when Keras 3 is configured for JAX or PyTorch (``KERAS_BACKEND`` or keras.json)."""
    return os.environ.get("KERAS_BACKEND", _configured_backend()) in _NON_TF_BACKENDS


def configured_keras() -> Any:
    """The Keras a user's code reaches: ``tensorflow.keras`` (Keras 3, or tf-keras with
    ``TF_USE_LEGACY_KERAS=1``), or ``keras`` itself when it runs on JAX or PyTorch."""
    if without_tensorflow():
        return importlib.import_module("keras")
    require_backend()
    return importlib.import_module("tensorflow").keras


def require_backend() -> None:
    """Import TensorFlow, or (with ``KERAS_BACKEND=jax`` or ``torch``) Keras 3 alone; otherwise
    raise a ModuleNotFoundError that says what to install."""
    if without_tensorflow():
        return  # Keras 3 on JAX or PyTorch: TensorFlow is neither needed nor imported
    try:
        importlib.import_module("tensorflow")  # any distribution: tensorflow, tensorflow-cpu, tensorflow-macos, ...
    except ModuleNotFoundError as missing:
        if missing.name != "tensorflow":
            raise
        raise ModuleNotFoundError(
            "eli5_compat.keras needs TensorFlow, and no TensorFlow is installed in this environment "
            "({}). Install it with `pip install \"eli5-compat[tensorflow]\"`, or install the TensorFlow "
            "distribution for your platform (tensorflow, tensorflow-cpu, tensorflow-macos, ...): any "
            "of them works. Or run Keras 3 on JAX or PyTorch: set KERAS_BACKEND=jax (or torch) before "
            "importing keras.".format(missing),
            name="tensorflow",
        ) from missing


def _configured_backend() -> str:
    """The backend in Keras 3's config file (~/.keras/keras.json, or $KERAS_HOME), if any."""
    import json

    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as handle:
            return str(json.load(handle).get("backend", ""))
    except (OSError, ValueError, AttributeError):
        return ""
