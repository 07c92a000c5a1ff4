"""What eli5_compat does not implement comes from an installed ``eli5`` package, if there is one."""
from __future__ import annotations

import importlib
from typing import Any


def legacy_attribute(name: str) -> Any:
    """``eli5.<name>`` from an installed eli5, or an ImportError that says what to install."""
    try:
        eli5 = importlib.import_module("eli5")
    except ImportError as exc:
        raise ImportError(
            "eli5_compat.{0} is not part of eli5_compat, which implements eli5's Keras "
            "Grad-CAM API. For {0} on other models (scikit-learn, XGBoost, ...) install "
            "eli5 as well (`pip install eli5`); eli5_compat then passes the call on to it.".format(name)
        ) from exc
    try:
        return getattr(eli5, name)
    except AttributeError:
        raise AttributeError("module 'eli5_compat' has no attribute {!r} (nor has eli5)".format(name)) from None
