"""What names mean in the code being migrated: import bindings, shared by a notebook's cells in order."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import libcst as cst

# Names notebooks use without importing them in the same cell (the import sits in an earlier cell).
_CONVENTIONAL = {"tf": "tensorflow", "tensorflow": "tensorflow", "keras": "keras"}


def dotted(node: Optional[cst.CSTNode]) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else base + "." + node.attr.value
    return None


def callee(call: cst.Call) -> Optional[str]:
    """``f`` for ``f(...)``, ``.m`` for ``anything.m(...)``, else None."""
    if isinstance(call.func, cst.Name):
        return call.func.value
    return "." + call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def code(node: cst.CSTNode) -> str:
    """The source text of ``node``."""
    return cst.Module([]).code_for_node(node)


def expression(path: str) -> Union[cst.Name, cst.Attribute]:
    """The Name/Attribute chain for ``a.b.c``."""
    return cst.parse_expression(path)  # type: ignore[return-value]


@dataclass
class CodeState:
    """Facts that carry from one cell to the next (a script is one cell).

    ``bindings`` maps a bound name to the dotted path it was imported as. ``path_uses`` counts,
    for each string literal of the whole document, its uses as a path of ``save``/``load`` calls
    and anywhere ``other``; ``name_uses`` does the same for names, ``bound_literals`` maps a name
    assigned exactly once, to a string literal, to that string (None when assigned otherwise), and
    ``bound_calls`` a name assigned exactly once to a call to its :func:`callee`. ``generators`` maps each
    function defined once with ``yield`` to its non-tuple yields (code, hand fix), else None;
    ``classes`` each class defined once to its bases (None when defined more than once).
    ``references`` / ``statements`` count each bare name's uses and its stand-alone ``name()``
    statements; ``eager_off`` says the document turns eager execution off somewhere. ``switches`` maps
    each bare name that a ``from`` import or ``def`` anywhere in the document binds to the eager switch
    it imports, or to "" when it binds anything else.
    """

    bindings: Dict[str, str] = field(default_factory=lambda: dict(_CONVENTIONAL))
    eager_off: bool = False
    path_uses: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    name_uses: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    bound_literals: Dict[str, Optional[str]] = field(default_factory=dict)
    bound_calls: Dict[str, Optional[str]] = field(default_factory=dict)
    generators: Dict[str, Optional[List[Tuple[str, str]]]] = field(default_factory=dict)
    classes: Dict[str, Optional[List[str]]] = field(default_factory=dict)
    references: Counter = field(default_factory=Counter)
    statements: Counter = field(default_factory=Counter)
    switches: Dict[str, str] = field(default_factory=dict)

    def bind_import(self, alias: cst.ImportAlias) -> None:
        """Record what ``import a.b [as c]`` binds."""
        module = dotted(alias.name) or ""
        if alias.asname is not None:
            self.bindings[alias.asname.name.value] = module  # type: ignore[union-attr]
        else:
            root = module.split(".")[0]
            self.bindings[root] = root

    def bind_from(self, module: str, alias: cst.ImportAlias) -> None:
        """Record what ``from module import x [as y]`` binds."""
        name = dotted(alias.name) or ""
        bound = alias.asname.name.value if alias.asname is not None else name  # type: ignore[union-attr]
        self.bindings[bound] = module + "." + name

    def resolve(self, node: Optional[cst.CSTNode]) -> Optional[str]:
        """The full dotted path a Name/Attribute chain refers to, if its first name is imported."""
        path = dotted(node)
        if path is None:
            return None
        first, _, rest = path.partition(".")
        if first not in self.bindings:
            return None
        return self.bindings[first] + ("." + rest if rest else "")
