"""What the data of ``fit_generator`` / ``predict_generator`` / ``evaluate_generator`` yields.

Keras 2's generator methods took a Python generator that yields a bare array or a list; Keras 3's
``fit`` / ``predict`` / ``evaluate`` raise ``ValueError: When passing a Python generator to a Keras
model, the generator must return a tuple`` for both (measured on Keras 3.15). A
``keras.utils.Sequence`` / ``PyDataset`` is accepted whatever its items are. So the data is
"certain" only when it is a call of a generator function of the document whose every ``yield``
is a tuple, or an instance of a ``Sequence`` / ``PyDataset`` subclass of the document (directly
or through a name bound once); otherwise the caller adds a WARNING with the hand fix. The
``.flow*(...)`` iterators of ``ImageDataGenerator`` (Sequences in Keras 2) get no WARNING: Keras 3
has no ImageDataGenerator, which is reported with its replacement where it is imported or used.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

import libcst as cst

from ._names import CodeState, callee, code, dotted, expression

# ImageDataGenerator's iterators were Sequences; Keras 3 has no ImageDataGenerator (reported on its own).
_IMAGE_ITERATORS = {".flow", ".flow_from_directory", ".flow_from_dataframe"}
_SEQUENCE = re.compile(r"keras\.utils\.(?:data_utils\.)?(?:Sequence|PyDataset)$")


class GeneratorScan(cst.CSTVisitor):
    """Records in ``state`` each function's non-tuple ``yield`` values and each class's bases."""

    def __init__(self, state: CodeState) -> None:
        super().__init__()
        self.state = state
        self._open: List[List[Tuple[str, str]]] = []  # per enclosing function: (non-tuple yield, its fix)
        self._yields: List[int] = []  # per enclosing function: its yields, -1 once a `yield from` is seen

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._open.append([])
        self._yields.append(0)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        loose, count = self._open.pop(), self._yields.pop()
        name = node.name.value
        known = count > 0 and name not in self.state.generators
        self.state.generators[name] = list(loose) if known else None

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> None:
        if not self._open:
            return
        value = node.value
        if isinstance(value, cst.From) or self._yields[-1] < 0:
            self._yields[-1] = -1
            return
        self._yields[-1] += 1
        if not _is_tuple(value):
            self._open[-1].append(_tuple_fix(value))

    def visit_Param(self, node: cst.Param) -> None:
        name = node.name.value  # a parameter is another binding: the name is not bound once
        self.state.bound_literals[name] = self.state.bound_calls[name] = None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        bases = [dotted(b.value) or "" for b in node.bases if b.keyword is None]
        self.state.classes[name] = None if name in self.state.classes else bases


def _is_tuple(value: Optional[cst.BaseExpression]) -> bool:
    return isinstance(value, cst.Tuple) or (isinstance(value, cst.Call) and dotted(value.func) == "tuple")


def _made_by(state: CodeState, data: cst.BaseExpression) -> Optional[str]:
    """The name of the document's function/class that made ``data`` (called here or bound once)."""
    if isinstance(data, cst.Name):
        return state.bound_calls.get(data.value)
    return callee(data) if isinstance(data, cst.Call) else None


def data_warning(state: CodeState, data: cst.BaseExpression, new_method: str) -> Optional[str]:
    """None when Keras 3's ``new_method`` certainly accepts ``data`` as Keras 2 did, else the hand fix.

    A tuple or list written out (``validation_data=(x, y)``) or ``None`` is no generator: None.
    """
    if isinstance(data, (cst.Tuple, cst.List)) or (isinstance(data, cst.Name) and data.value == "None"):
        return None
    shown = code(data)
    maker = _made_by(state, data)
    if maker in _IMAGE_ITERATORS:
        return None
    bases = state.classes.get(maker or "")
    if bases and any(_SEQUENCE.search(state.resolve(expression(b)) or "") for b in bases if b):
        return None
    loose = state.generators.get(maker or "")
    if maker is not None and loose is not None and maker not in state.classes:
        if not loose:
            return None
        return ("`{}()` yields {}, not a tuple: Keras 3's `{}()` rejects that (\"the generator must return a "
                "tuple\"), Keras 2 took it. Yield a tuple instead: {}.".format(
                    maker, ", ".join("`{}`".format(shown) for shown, _ in loose), new_method,
                    "; ".join(fix for _, fix in loose)))
    return ("If `{}` is a Python generator, Keras 3's `{}()` needs it to yield tuples (\"the generator must "
            "return a tuple\"); Keras 2 also took a bare array or a list: yield `(x,)` instead of an array `x`, "
            "`(x, y)` instead of a list `[x, y]`. A keras.utils.Sequence or a tf.data.Dataset works "
            "unchanged.".format(shown, new_method))


def _tuple_fix(value: Optional[cst.BaseExpression]) -> Tuple[str, str]:
    """(the yielded code, the hand fix that yields what Keras 2 made of it)."""
    shown = "None" if value is None else code(value)
    if shown == "None":
        return shown, "yield a batch, not `None`"
    if isinstance(value, cst.List) and not any(isinstance(e, cst.StarredElement) for e in value.elements):
        items = [code(e.value) for e in value.elements]
        return shown, "`yield ({}{})` for `yield {}`".format(", ".join(items), "," if len(items) == 1 else "", shown)
    return shown, "`yield ({0},)` if `{0}` is an array, `yield tuple({0})` if it is a list".format(shown)
