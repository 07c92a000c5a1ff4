"""Starting the core before the checks, for a call like the model's previous one.

On JAX the core runs in the background once started, while Python goes on. A one-image
explanation first checks its arguments (the doc's shape, the layer, the output, the target)
and only then knows what to compute. This module remembers, per model, what the last call's
checks decided (a :class:`Plan`) under a key made of the arguments that decide it. When the
next call's key is the same, the core is started at once with that plan and the checks run
while it computes; if a check raises, that is the call's error (the computation already
started is dropped), and if the checks decide otherwise (the model was changed), the core is
started again with their plan. Results and errors are those of checking first: nothing is
skipped, only reordered, and the core's computation has no effects to undo.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Hashable, List, Optional, Sequence, Tuple

import numpy as np

from . import _compat, _engine, _inputs
from ._engine import GradcamTerms

_LOCK = threading.Lock()
_LAST: "weakref.WeakKeyDictionary[Any, _Remembered]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Plan:
    """What the checks decided: the layer (held weakly), the output index, the target (-1: top
    class) and whether the method reads gradients."""

    layer: "weakref.ref[Any]"
    index: int
    target: int
    gradients: bool

    @classmethod
    def of(cls, layer: Any, index: int, target: int, gradients: bool) -> "Plan":
        return cls(weakref.ref(layer), index, target, gradients)

    def same(self, other: "Plan") -> bool:
        return self.layer() is other.layer() is not None and \
            (self.index, self.target, self.gradients) == (other.index, other.target, other.gradients)


@dataclass(frozen=True)
class Started:
    """The core started for a plan: the wait for its terms, and the model's arrays it reads."""

    plan: Plan
    pending: Callable[[], GradcamTerms]
    arrays: List[np.ndarray]


@dataclass(frozen=True)
class _Remembered:
    """A model's last plan, under its call's key, with the core made ready for such docs."""

    key: Hashable
    plan: Plan
    launch: Callable[[Sequence[np.ndarray]], Callable[[], GradcamTerms]]
    dtypes: Tuple[str, ...]  # the model's input dtypes
    generation: int  # _engine.generation() when it was made ready


def start_early(model: Any, doc: Any, layer: Any, targets: Any, output: Any, logits: Any,
                method: Any) -> Tuple[Optional[Hashable], Optional[Started]]:
    """The call's key, and the core started with the plan remembered under it: None when there
    is no such plan, or when anything about the arguments is amiss (the checks will say what)."""
    try:
        parts = _inputs.split_doc(model, doc)
        for part in parts:
            if not isinstance(part, np.ndarray):
                return None, None
        call_key = _key(parts, layer, targets, output, logits, method)
        found = _recall(model, call_key)
        if found is None:
            return call_key, None
        arrays = _inputs.as_model_arrays(model, parts, found.dtypes)
        return call_key, Started(found.plan, found.launch(arrays), arrays)
    except Exception:  # noqa: BLE001 - the checks and the ordinary start raise what is due
        return None, None


def confirm(model: Any, call_key: Optional[Hashable], started: Optional[Started], plan: Plan,
            parts: Sequence[np.ndarray], logits: bool) -> Started:
    """``started`` if it runs ``plan`` (what the checks decided); else the core started with ``plan``,
    which is remembered as the model's last under ``call_key``."""
    if started is not None and started.plan.same(plan):
        return started
    generation = _engine.generation()
    arrays = _inputs.as_model_arrays(model, parts)
    targets = np.full(len(arrays[0]), plan.target, np.int64)
    launch = _engine.prepare_terms(model, plan.layer(), arrays, targets, plan.index, logits, plan.gradients)
    fresh = Started(plan, launch(arrays), arrays)
    if call_key is not None:
        with _LOCK:
            _LAST[model] = _Remembered(call_key, plan, launch, tuple(a.dtype.name for a in arrays), generation)
    return fresh


def _key(parts: Sequence[np.ndarray], layer: Any, targets: Any, output: Any, logits: Any,
         method: Any) -> Optional[Hashable]:
    """The key of a call's arguments, or None for arguments of kinds that are not remembered."""
    if not (_plain(output) and type(logits) is bool and type(method) is str):
        return None
    if not (targets is None or (type(targets) is list and len(targets) == 1 and type(targets[0]) is int)):
        return None
    if _plain(layer):
        layer_key: Hashable = (type(layer), layer)
    elif _compat.is_keras_layer(layer):  # a layer instance (the checks confirm it is the same one)
        layer_key = ("instance", id(layer))
    else:
        return None
    return (tuple((p.shape, p.dtype) for p in parts), layer_key, None if targets is None else targets[0],
            (type(output), output), logits, method)


def _recall(model: Any, call_key: Optional[Hashable]) -> Optional[_Remembered]:
    if call_key is None:
        return None
    with _LOCK:
        found = _LAST.get(model)
    if found is None or found.key != call_key or found.generation != _engine.generation() \
            or found.plan.layer() is None:
        return None
    return found


def _plain(value: Any) -> bool:
    return value is None or type(value) in (int, str)
