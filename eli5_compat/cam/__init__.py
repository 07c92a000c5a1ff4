"""The CAM family over eli5-compat's core: one small module per method, one shared template.

``method=`` names: ``"gradcam"`` (default), ``"gradcam++"``, ``"layercam"``, ``"hirescam"``,
``"xgradcam"``, ``"scorecam"`` and ``"eigencam"``. Each module's docstring gives the paper and
the formula.
"""
from __future__ import annotations

from typing import Dict, Tuple

from ._template import CamBatch, CamMethod, normalise_maps
from .eigencam import EigenCam
from .gradcam import GradCam
from .gradcam_plus_plus import GradCamPlusPlus
from .hirescam import HiResCam
from .layercam import LayerCam
from .scorecam import ScoreCam
from .xgradcam import XGradCam

METHODS: Dict[str, CamMethod] = {m.name: m for m in (
    GradCam(), GradCamPlusPlus(), LayerCam(), HiResCam(), XGradCam(), ScoreCam(), EigenCam())}
METHOD_NAMES: Tuple[str, ...] = tuple(METHODS)

__all__ = ["CamBatch", "CamMethod", "METHODS", "METHOD_NAMES", "get_method", "normalise_maps"]


def get_method(name: str) -> CamMethod:
    """The method called ``name``; a ValueError lists the valid names otherwise."""
    if not isinstance(name, str) or name.lower() not in METHODS:
        raise ValueError("method must be one of {}, got: {!r}".format(", ".join(repr(m) for m in METHOD_NAMES), name))
    return METHODS[name.lower()]
