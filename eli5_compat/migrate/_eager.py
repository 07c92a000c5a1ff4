"""Turning eager execution off, in every spelling: removed with a comment where it stands alone, else reported.

A statement that only calls a switch (own line, one of several joined by ``;``, in any block) is
removed and a ``# eli5-compat migrate: removed ...`` comment takes its place: its own line, or the
end of the line that keeps the other statements, or ``pass  # ...`` when a block would be left
empty, so line numbers do not change. ``from ... import disable_eager_execution`` goes too once nothing else uses
the name, also when a call comes before the import (in a function defined above it, or an earlier
cell). ``tf.compat.v1`` reached through another compat module (``tf.compat.v2.compat.v1.x``) counts as
``tf.compat.v1.x``; a star import of a module with a switch binds it. A stand-alone ``disable_...()`` call
of a name bound nowhere in the document is kept with a WARNING. Any other use of a switch (its value used, passed around, ``with ...graph_mode():``) is
an ERROR with the hand fix. ``disable_resource_variables()`` is removed only in code that also turns
eager execution off (there it only mattered for graph mode); elsewhere it is kept with a WARNING.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from ._names import CodeState, code, dotted

EAGER_OFF = {
    "tensorflow.compat.v1.disable_eager_execution", "tensorflow.compat.v1.disable_v2_behavior",
    "tensorflow.disable_eager_execution", "tensorflow.disable_v2_behavior",
    "tensorflow.python.framework.ops.disable_eager_execution",
    "tensorflow.python.compat.v2_compat.disable_v2_behavior",
}
RESOURCE_OFF = {
    "tensorflow.compat.v1.disable_resource_variables", "tensorflow.disable_resource_variables",
    "tensorflow.python.ops.variable_scope.disable_resource_variables",
}
GRAPH_BLOCKS = {"tensorflow.python.eager.context.graph_mode"}
_GRAPHS = {"tensorflow.Graph", "tensorflow.compat.v1.Graph"}
_DEFAULT_GRAPHS = {"tensorflow.compat.v1.get_default_graph", "tensorflow.get_default_graph",
                   "tensorflow.python.framework.ops.get_default_graph"}
# What a name assigned once to a call must have called (its callee) to hold a graph.
_GRAPH_CALLEES = {".Graph", ".get_default_graph", "get_default_graph"}
_SWITCH_NAMES = {path.rpartition(".")[2] for path in EAGER_OFF}
_SWITCHES = EAGER_OFF | RESOURCE_OFF
_DOUBLED = re.compile(r"^tensorflow\.compat\.v[12](?:\.compat\.v[12])*\.compat\.v1\.")
_COMMENT = "# eli5-compat migrate: removed {} ({})"


def switch_path(path: Optional[str]) -> Optional[str]:
    """``path`` with a doubled compat prefix reduced: ``tensorflow.compat.v2.compat.v1.x`` -> ``tensorflow.compat.v1.x``."""
    return None if path is None else _DOUBLED.sub("tensorflow.compat.v1.", path)


class EagerScan(cst.CSTVisitor):
    """Counts in ``state``, per bare name, its references and its stand-alone ``name()`` statements, and
    records what each ``from`` import and ``def`` binds (``state.switches``)."""

    def __init__(self, state: CodeState) -> None:
        super().__init__()
        self.state = state
        self._skip: set = set()

    def _bind(self, name: str, path: str) -> None:
        if self.state.switches.setdefault(name, path) != path:
            self.state.switches[name] = ""

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = "" if node.relative else dotted(node.module) or ""
        if isinstance(node.names, cst.ImportStar):
            for path in _SWITCHES:
                name = path.rpartition(".")[2]
                if switch_path(module + "." + name) == path:
                    self._bind(name, path)
            return False
        for alias in node.names:
            path = switch_path(module + "." + (dotted(alias.name) or "")) or ""
            self._bind(alias.asname.name.value if alias.asname else dotted(alias.name) or "",  # type: ignore[union-attr]
                       path if module and path in _SWITCHES else "")
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name.value, "")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name.value, "")

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._skip.add(id(node.attr))
        if node.attr.value in _SWITCH_NAMES:
            self.state.eager_off = True

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._skip:
            self.state.references[node.value] += 1
            self.state.eager_off = self.state.eager_off or node.value in _SWITCH_NAMES

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and not call.args:
            self.state.statements[call.func.value] += 1


class EagerSwitch:
    """Mixin for the migrating transformer; the host provides ``state``, ``keras3`` and ``_note``."""

    state: CodeState
    keras3: bool

    def _eager_setup(self) -> None:
        self._removable: Dict[int, str] = {}  # id(original Call) -> the comment that replaces it
        self._removed_funcs: set = set()
        self._dropped: Dict[int, Tuple[cst.CSTNode, List[cst.EmptyLine]]] = {}  # removed lines -> comments
        self._attr_names: set = set()
        self._in_import = 0

    @property
    def _why_eager(self) -> str:
        return "Keras 3 needs eager execution" if self.keras3 else "eli5_compat runs in eager mode"

    def _resolve(self, node: cst.CSTNode) -> Optional[str]:
        """What ``node`` refers to; a bare name not imported yet (in visit order) may be a switch imported
        further on (a function defined above the import, an earlier cell)."""
        path = self.state.resolve(node)
        if path is None and isinstance(node, cst.Name):
            path = self.state.switches.get(node.value) or None
        return switch_path(path)

    def _switch_call(self, small: cst.BaseSmallStatement) -> Optional[Tuple[cst.Call, str]]:
        """(the call, its resolved path) when ``small`` is a stand-alone call of a switch."""
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and not small.value.args):
            return None
        func = small.value.func
        path = self._resolve(func)
        if path in EAGER_OFF or (path in RESOURCE_OFF and self.state.eager_off):
            return small.value, path  # type: ignore[return-value]
        if path is None and isinstance(func, cst.Name) and func.value in _SWITCH_NAMES \
                and func.value not in self.state.switches:
            self._note(small, "WARNING", "`{0}()` kept: migrate cannot tell where `{0}` comes from. If it is "
                                         "TensorFlow's (e.g. from a star import), delete this call ({1}).".format(
                                             func.value, self._why_eager))
        return None

    def _classify(self, body: Sequence[cst.BaseSmallStatement]) -> None:
        for small in body:  # imports joined on this line bind before the calls after them
            if isinstance(small, cst.Import):
                for alias in small.names:
                    self.state.bind_import(alias)
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                    and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    self.state.bind_from(dotted(small.module) or "", alias)
        for small in body:
            found = self._switch_call(small)
            if not found:
                continue
            call, path = found
            shown = (dotted(call.func) or path) + "()"
            why = "it only mattered in graph mode" if path in RESOURCE_OFF else self._why_eager
            self._removable[id(call)] = _COMMENT.format(shown, why)
            self._removed_funcs.add(id(call.func))
            if path in RESOURCE_OFF:
                self._note(small, "INFO", "Removed `{}`: it only changed how graph-mode code creates variables, and "
                                          "this code turned eager execution off (now removed); in eager mode every "
                                          "variable is a resource variable.".format(shown))
            elif self.keras3:
                self._note(small, "INFO", "Removed `{}`: Keras 3 cannot run with eager execution disabled, and "
                                          "eli5_compat runs in eager mode.".format(shown))
            else:
                self._note(small, "INFO", "Removed `{}`: eli5_compat runs in eager mode.".format(shown))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._classify(node.body)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._classify(node.body)

    def _eager_reference(self, node: cst.CSTNode) -> None:
        """Report a switch used where it cannot be removed (from visit_Name / visit_Attribute)."""
        if self._in_import or id(node) in self._attr_names:
            return
        if isinstance(node, cst.Attribute):
            self._attr_names.add(id(node.attr))
        path = self._resolve(node)
        if path is None or id(node) in self._removed_funcs:
            return
        if path in EAGER_OFF:
            self._note(node, "ERROR", "`{}` turns eager execution off here, where migrate cannot remove it without "
                                      "changing the code around it: delete this use by hand ({}).".format(
                                          dotted(node), self._why_eager))
        elif path in RESOURCE_OFF and self.keras3:
            self._note(node, "WARNING", "`{}` kept: this code does not turn eager execution off, and in eager mode "
                                        "variables are resource variables anyway; it only affects tf.compat.v1 "
                                        "graph code. Remove it unless such code needs reference variables.".format(
                                            dotted(node)))
        elif path in GRAPH_BLOCKS:
            self._note(node, "ERROR", "`{}` runs its block with eager execution off, which Keras 3 and eli5_compat "
                                      "cannot do: remove the `with` line and dedent its block.".format(dotted(node)))

    def _graph_block(self, node: cst.Call) -> None:
        """Report ``tf.Graph().as_default()``, ``graph.as_default()`` with ``graph = tf.compat.v1.get_default_graph()``
        (from visit_Call): its block runs in graph mode; and the ``get_default_graph()`` call itself."""
        func = node.func
        if self.state.resolve(func) in _DEFAULT_GRAPHS:
            self._note(node, "WARNING", "`{}` is graph-mode code: with eager execution on, a `with ....as_default():` "
                                        "block on this graph turns it off again. Remove this line and every `with "
                                        "....as_default():` line on its graph (dedent their blocks).".format(
                                            code(node)))
        if not (isinstance(func, cst.Attribute) and func.attr.value == "as_default"):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call):
            graph = self.state.resolve(receiver.func) in _GRAPHS | _DEFAULT_GRAPHS
        else:
            graph = isinstance(receiver, cst.Name) and self.state.bound_calls.get(receiver.value) in _GRAPH_CALLEES
        if graph:
            self._note(node, "ERROR", "`{}` runs its block in graph mode, where Keras 3 models cannot be built, "
                                      "trained or explained: remove the `with` line and dedent its block (keep "
                                      "it only for code without Keras or eli5).".format(
                                          code(node)))

    # removal ----------------------------------------------------------------------------------
    def _prune(self, original: Sequence[cst.BaseSmallStatement], updated: Sequence[cst.BaseSmallStatement]):
        kept: List[cst.BaseSmallStatement] = []
        comments: List[str] = []
        for before, small in zip(original, updated):
            if isinstance(before, cst.Expr) and id(before.value) in self._removable:
                comments.append(self._removable[id(before.value)])
                continue
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                small, comment = self._prune_import(before, small)
                if comment:
                    comments.append(comment)
                if small is None:
                    continue
            kept.append(small)
        if comments and kept:
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return kept, comments

    def _prune_import(self, original: cst.CSTNode, node: cst.ImportFrom):
        module = dotted(node.module) or ""
        names = list(node.names)  # type: ignore[arg-type]
        gone = []
        for alias in names:
            bound = alias.asname.name.value if alias.asname else dotted(alias.name)  # type: ignore[union-attr]
            path = switch_path(module + "." + (dotted(alias.name) or ""))
            removable = path in EAGER_OFF or (path in RESOURCE_OFF and self.state.eager_off)
            # every use is a stand-alone call, removed as the name is bound to this switch alone
            if removable and self.state.switches.get(bound) == path \
                    and self.state.references[bound] == self.state.statements[bound]:
                gone.append(alias)
        if not gone:
            return node, None
        left = [a for a in names if a not in gone]
        shown = ", ".join(code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in gone)
        self._note(original, "INFO", "Removed the import of `{}` from {}: nothing uses it once eager execution stays "
                                 "on.".format(shown, module))
        comment = "# eli5-compat migrate: removed the import of {} (unused now)".format(shown)
        if not left:
            return None, comment
        left[-1] = left[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return node.with_changes(names=left), comment

    def _leave_line(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        kept, comments = self._prune(original.body, updated.body)
        if not comments:
            return updated
        trailing = updated.trailing_whitespace.comment
        if kept:  # the comment goes at the end of the line, so line numbers stay
            text = "; ".join(comments) + ("  " + trailing.value if trailing is not None else "")
            return updated.with_changes(body=kept, trailing_whitespace=updated.trailing_whitespace.with_changes(
                whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(text)))
        if trailing is not None:
            comments[-1] += "  " + trailing.value
        lines = [cst.EmptyLine(comment=cst.Comment(text)) for text in comments]
        marker = updated.with_changes(body=[cst.Pass()])
        self._dropped[id(marker)] = (marker, [*updated.leading_lines, *lines])  # type: ignore[list-item]
        return marker

    def _leave_suite(self, original: cst.SimpleStatementSuite, updated: cst.SimpleStatementSuite) -> cst.SimpleStatementSuite:
        kept, comments = self._prune(original.body, updated.body)
        if not comments:
            return updated
        old = updated.trailing_whitespace.comment
        text = "; ".join(comments) + ("  " + old.value if old is not None else "")
        whitespace = updated.trailing_whitespace.with_changes(
            whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(text))
        return updated.with_changes(body=kept or [cst.Pass()], trailing_whitespace=whitespace)

    def _strip(self, body: Sequence[cst.BaseStatement]):
        kept: List[cst.BaseStatement] = []
        pending: List[cst.EmptyLine] = []
        for statement in body:
            if id(statement) in self._dropped:
                pending.extend(self._dropped[id(statement)][1])  # type: ignore[arg-type]
                continue
            if pending:
                statement = statement.with_changes(leading_lines=[*pending, *statement.leading_lines])  # type: ignore[attr-defined]
                pending = []
            kept.append(statement)
        return kept, pending

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        kept, pending = self._strip(updated.body)
        return updated.with_changes(body=kept, footer=[*pending, *updated.footer])

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        kept, pending = self._strip(updated.body)
        if not kept:  # `pass` takes the place (and the comment) of the last removed line
            last = pending.pop()
            kept = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=pending, trailing_whitespace=cst.TrailingWhitespace(
                whitespace=cst.SimpleWhitespace("  "), comment=last.comment))]
            pending = []
        return updated.with_changes(body=kept, footer=[*pending, *updated.footer])
