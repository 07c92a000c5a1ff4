"""Explanation containers: attrs classes with the fields, defaults and positional order of eli5 0.11.

They are built with ``attrs`` as eli5's own are (slotted, with attrs' ``__init__``,
``__repr__``, equality and ordering), so eli5's formatters and ``attr.asdict`` accept them.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional

import attr


@attr.s(slots=True)
class TargetExplanation:
    """What the model said about one target class, and where in the image it looked.

    Fields, in positional order: ``target``, ``feature_weights``, ``proba``, ``score``,
    ``weighted_spans``, ``heatmap`` (for image models the Grad-CAM map, a 2-D array).
    """

    target = attr.ib()
    feature_weights = attr.ib(default=None)
    proba = attr.ib(default=None)
    score = attr.ib(default=None)
    weighted_spans = attr.ib(default=None)
    heatmap = attr.ib(default=None)


@attr.s(slots=True)
class Explanation:
    """An explanation of one prediction (or of weights, for non-Keras estimators).

    Fields, in positional order: ``estimator``, ``description``, ``error``, ``method``,
    ``is_regression``, ``targets``, ``feature_importances``, ``decision_tree``,
    ``highlight_spaces``, ``transition_features``, ``image``. For image models ``image``
    holds the input as a PIL image and ``targets`` one :class:`TargetExplanation` whose
    ``heatmap`` is the Grad-CAM map.
    """

    estimator = attr.ib()
    description = attr.ib(default=None)
    error = attr.ib(default=None)
    method = attr.ib(default=None)
    is_regression = attr.ib(default=False)
    targets = attr.ib(default=None)
    feature_importances = attr.ib(default=None)
    decision_tree = attr.ib(default=None)
    highlight_spaces = attr.ib(default=None)
    transition_features = attr.ib(default=None)
    image = attr.ib(default=None)

    def _repr_png_(self) -> Optional[bytes]:
        """Notebook display: the heatmap overlaid on the image, as PNG bytes."""
        from .ipython import _explanation_png

        return _explanation_png(self)

    def _repr_html_(self) -> Optional[str]:
        """Notebook display: the overlay with its target and score, or the error text."""
        from .ipython import _explanation_html

        return _explanation_html(self)


class Deferred:
    """A value built by ``build()`` on first use, once, whichever thread asks first.

    An :class:`Explanation` given ``image=Deferred(...)`` builds its image when ``image``
    is first read (by attribute access, equality, repr, ``attr.asdict``, pickling or eli5's
    formatters); after that the built value is stored in the field.
    """

    __slots__ = ("_build", "_lock", "_value")

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build: Optional[Callable[[], Any]] = build
        self._lock = threading.Lock()
        self._value: Any = None

    def get(self) -> Any:
        """The value, built on the first call."""
        with self._lock:
            if self._build is not None:
                self._value = self._build()
                self._build = None
            return self._value


def _deferred_field(cls: type, name: str) -> None:
    # Replace the attrs slot ``name`` by a property over the same slot that resolves a Deferred.
    slot = cls.__dict__[name]

    def read(self: Any) -> Any:
        value = slot.__get__(self, cls)
        if isinstance(value, Deferred):
            value = value.get()
            slot.__set__(self, value)
        return value

    setattr(cls, name, property(read, slot.__set__, doc=slot.__doc__))


_deferred_field(Explanation, "image")
