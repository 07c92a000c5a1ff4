"""Record what layers return during one forward pass, without touching the model.

While a model is traced (inside ``tf.function`` or a TF1 graph) a thread-local profile
hook watches calls to ``Layer.__call__`` and keeps the value returned by the outermost
call of each watched layer. The values are graph tensors, so the caller can differentiate
with respect to them. ``on_output`` sees each value the moment the layer returns it, before
any later layer consumes it: the place to ``tape.watch`` it so that a ``tf.GradientTape``
records everything computed from it, also through frozen layers. Nothing is set on the
model or on Keras, and other threads are not affected: ``sys.setprofile`` is per thread.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

_CALL = "__call__"


class LayerCalls:
    """What the watched layers returned, in call order: a list of ``(layer, output)``."""

    def __init__(self) -> None:
        self.calls: List[Tuple[Any, Any]] = []

    def outputs_of(self, layer: Any) -> List[Any]:
        """Every value ``layer`` returned during the pass."""
        return [out for lay, out in self.calls if lay is layer]


@contextmanager
def record_layer_calls(watch: Callable[[Any], bool],
                       on_output: Optional[Callable[[Any], None]] = None) -> Iterator[LayerCalls]:
    """Within the block, record the outputs of every layer for which ``watch(layer)`` is true.

    ``on_output(value)`` (optional) is called with each recorded value as the layer returns it.
    """
    record = LayerCalls()
    open_frames: Dict[int, List[Any]] = {}

    def hook(frame: Any, event: str, arg: Any) -> None:
        if frame.f_code.co_name != _CALL:
            return
        if event == "call":
            owner = frame.f_locals.get("self")
            if owner is not None and _safe_watch(watch, owner):
                open_frames.setdefault(id(owner), []).append((frame, owner))
        elif event == "return":
            owner = frame.f_locals.get("self")
            stack = open_frames.get(id(owner)) if owner is not None else None
            if stack and stack[-1][0] is frame:
                stack.pop()
                if not stack:
                    record.calls.append((owner, arg))
                    if on_output is not None:
                        on_output(arg)

    with _profiled(hook):
        yield record


def _safe_watch(watch: Callable[[Any], bool], owner: Any) -> bool:
    try:
        return bool(watch(owner))
    except Exception:  # a foreign object whose comparison misbehaves is simply not watched
        return False


class FunctionCalls:
    """What the watched functions were given (their first argument) and returned: a list of
    ``(function name, argument, result)``."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Any, Any]] = []

    def producer_of(self, value: Any) -> Optional[Tuple[str, Any]]:
        """``(function name, argument)`` of the last watched call that returned ``value`` itself."""
        for name, argument, result in reversed(self.calls):
            if result is value:
                return name, argument
        return None


@contextmanager
def record_function_calls(functions: Sequence[Callable[..., Any]], argument: str) -> Iterator[FunctionCalls]:
    """Within the block, record every call of ``functions``: the argument named ``argument`` as
    it was passed, and the value returned (nothing is wrapped or patched; per thread)."""
    record = FunctionCalls()
    codes = {getattr(fn, "__code__", None): fn.__name__ for fn in functions}
    open_frames: Dict[int, Any] = {}

    def hook(frame: Any, event: str, arg: Any) -> None:
        name = codes.get(frame.f_code)
        if name is None:
            return
        if event == "call":
            open_frames[id(frame)] = frame.f_locals.get(argument)
        elif event == "return" and id(frame) in open_frames:
            record.calls.append((name, open_frames.pop(id(frame)), arg))

    with _profiled(hook):
        yield record


@contextmanager
def _profiled(hook: Callable[[Any, str, Any], None]) -> Iterator[None]:
    """``hook`` as this thread's profile function within the block, after any one already set."""
    previous = sys.getprofile()

    def chained(frame: Any, event: str, arg: Any) -> None:
        if previous is not None:
            previous(frame, event, arg)
        hook(frame, event, arg)

    sys.setprofile(chained)
    try:
        yield
    finally:
        sys.setprofile(previous)
