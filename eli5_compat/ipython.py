"""Showing explanations: ``show_prediction`` and how an Explanation displays itself in Jupyter."""
from __future__ import annotations

import base64
import html
import io
from typing import Any, Dict, Optional, Tuple

from .base import Explanation
from .explain import _AnyKerasModel, explain_prediction
from .formatters.image import format_as_image

# Keyword arguments eli5 0.11 routed to the formatter rather than to explain_prediction.
_FORMAT_KWARGS = frozenset({
    "include_styles", "force_weights", "show", "preserve_density", "highlight_spaces",
    "horizontal_layout", "show_feature_values", "resampling_filter", "colormap", "alpha_limit",
})


def show_prediction(estimator: Any, doc: Any, **kwargs: Any) -> Any:
    """Explain a prediction and return it ready to display.

    For Keras image models this returns the PIL image of :func:`format_as_image`
    (formatter keywords such as ``colormap`` or ``alpha_limit`` go to it, the rest to
    :func:`explain_prediction`). An explanation with an error comes back as
    ``IPython.display.HTML`` when IPython is installed. Other estimators are passed on
    to an installed ``eli5``.
    """
    if not isinstance(estimator, _AnyKerasModel):
        from ._fallback import legacy_attribute

        return legacy_attribute("show_prediction")(estimator, doc, **kwargs)
    format_kwargs, explain_kwargs = _split_kwargs(kwargs)
    expl = explain_prediction(estimator, doc, **explain_kwargs)
    if expl.image is not None:
        return format_as_image(expl, **format_kwargs)
    try:
        from IPython.display import HTML
    except ImportError:
        return expl
    return HTML(_explanation_html(expl))


def _split_kwargs(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    formatting = {k: v for k, v in kwargs.items() if k in _FORMAT_KWARGS}
    explaining = {k: v for k, v in kwargs.items() if k not in _FORMAT_KWARGS}
    return formatting, explaining


def _explanation_png(expl: Explanation) -> Optional[bytes]:
    if expl.image is None or not expl.targets or len(expl.targets) != 1:
        return None
    buffer = io.BytesIO()
    format_as_image(expl).save(buffer, format="PNG")
    return buffer.getvalue()


def _caption(expl: Explanation) -> str:
    target = expl.targets[0]
    parts = ["target {}".format(target.target)]
    if target.score is not None:
        parts.append("score {:.4g}".format(float(target.score)))
    return ", ".join(parts)


def _explanation_html(expl: Explanation) -> Optional[str]:
    if expl.error:
        return "<pre>{}</pre>".format(html.escape(expl.error))
    png = _explanation_png(expl)
    if png is None:
        return None
    data = base64.b64encode(png).decode("ascii")
    return (
        '<figure style="display:inline-block;margin:0">'
        '<img src="data:image/png;base64,{}" style="image-rendering:pixelated;min-width:160px"/>'
        "<figcaption>{} ({})</figcaption></figure>".format(
            data, html.escape(_caption(expl)), html.escape(expl.method or ""))
    )
