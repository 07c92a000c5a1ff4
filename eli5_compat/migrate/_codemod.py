"""The Python rewrites, on a concrete syntax tree (libcst) so comments and formatting survive."""
from __future__ import annotations

from typing import List, Optional, Sequence, Set, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ._report import Finding

# eli5 modules that eli5_compat provides under the same path.
_OURS = {"eli5", "eli5.keras", "eli5.keras.explain_prediction", "eli5.keras.gradcam", "eli5.formatters",
         "eli5.formatters.image", "eli5.base", "eli5.explain", "eli5.ipython"}
_DISABLERS = ("disable_eager_execution", "disable_v2_behavior")
_BACKENDS = {"keras.backend", "tensorflow.keras.backend", "tf.keras.backend", "tf_keras.backend",
             "tensorflow.compat.v1.keras.backend", "tf.compat.v1.keras.backend"}
_KERAS_ROOTS = {"keras", "tensorflow.keras", "tf.keras", "tf_keras", "tensorflow.compat.v1.keras"}
# Keras 2's compile(): the order positional arguments meant there.
_COMPILE_ORDER = ("optimizer", "loss", "metrics", "loss_weights", "weighted_metrics", "run_eagerly",
                  "steps_per_execution")
_BACKEND_FIXES = {
    "gradients": "does not exist with eager execution (Keras 3 removed it): compute gradients with "
                 "tf.GradientTape, or let eli5_compat compute Grad-CAM.",
    "function": "builds a graph-mode function: call the model (or a keras.Model over the outputs you "
                "need) directly, or wrap the computation in tf.function.",
    "get_session": "has no eager equivalent: remove it; read values with .numpy() or model.predict().",
    "set_session": "has no eager equivalent: remove it.",
}


def dotted(node: Optional[cst.CSTNode]) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else base + "." + node.attr.value
    return None


def _expr(path: str) -> Union[cst.Name, cst.Attribute]:
    return cst.parse_expression(path)  # type: ignore[return-value]


def _compat_path(module: str) -> str:
    return "eli5_compat" + module[len("eli5"):]


class _Migrator(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, target: str = "keras3") -> None:
        super().__init__()
        self.keras3 = target == "keras3"
        self._why_eager = "Keras 3 needs eager execution" if self.keras3 else "eli5_compat runs in eager mode"
        self.findings: List[Finding] = []
        self.backend_aliases: Set[str] = set(_BACKENDS)
        self.disabler_names: Set[str] = set()
        self.v1_aliases: Set[str] = set()  # names bound to tensorflow.compat.v1

    def _note(self, node: cst.CSTNode, level: str, message: str) -> None:
        start = self.get_metadata(PositionProvider, node).start
        self.findings.append(Finding(start.line, start.column + 1, level, message))

    # imports -------------------------------------------------------------------------------
    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        names: List[cst.ImportAlias] = []
        seen: Set[str] = set()
        for alias in updated.names:
            module = dotted(alias.name) or ""
            bound = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
            if module in _BACKENDS and bound:
                self.backend_aliases.add(bound)
            if module.endswith("compat.v1") and bound:
                self.v1_aliases.add(bound)
            if module in _OURS:
                alias = self._compat_alias(original, module, bound)
            elif module.startswith("eli5."):
                self._note(original, "WARNING", "`import {}` is not part of eli5_compat: it imports the installed "
                                                "eli5, and binds the name `eli5` to it.".format(module))
            key = cst.Module([]).code_for_node(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            if key not in seen:
                seen.add(key)
                names.append(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return updated.with_changes(names=names)

    def _compat_alias(self, original: cst.CSTNode, module: str, bound: Optional[str]) -> cst.ImportAlias:
        if bound:
            new = cst.ImportAlias(name=_expr(_compat_path(module)), asname=cst.AsName(name=cst.Name(bound)))
            shown = "import {} as {}".format(_compat_path(module), bound)
        else:  # `import eli5` / `import eli5.keras` bind the name eli5
            new = cst.ImportAlias(name=cst.Name("eli5_compat"), asname=cst.AsName(name=cst.Name("eli5")))
            shown = "import eli5_compat as eli5"
        self._note(original, "INFO", "`import {}` -> `{}`.".format(module, shown))
        return new

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if updated.relative or updated.module is None:
            return updated
        module = dotted(updated.module) or ""
        if module in _KERAS_ROOTS and not isinstance(updated.names, cst.ImportStar):
            for alias in updated.names:
                if dotted(alias.name) == "backend":
                    self.backend_aliases.add(alias.asname.name.value if alias.asname else "backend")  # type: ignore[union-attr]
        if module.endswith("compat.v1") and not isinstance(updated.names, cst.ImportStar):
            for alias in updated.names:
                if dotted(alias.name) in _DISABLERS:
                    self.disabler_names.add(alias.asname.name.value if alias.asname else dotted(alias.name))  # type: ignore[union-attr,arg-type]
        if module.endswith("compat") and not isinstance(updated.names, cst.ImportStar):
            for alias in updated.names:
                if dotted(alias.name) == "v1":
                    self.v1_aliases.add(alias.asname.name.value if alias.asname else "v1")  # type: ignore[union-attr]
        if module in _OURS:
            self._note(original, "INFO", "`from {} import ...` -> `from {} import ...`.".format(module, _compat_path(module)))
            return updated.with_changes(module=_expr(_compat_path(module)))
        if module.startswith("eli5."):
            self._note(original, "INFO", "`from {} import ...` is not part of eli5_compat: it keeps using the "
                                         "installed eli5 package.".format(module))
        return updated

    # disable_eager_execution() ----------------------------------------------------------------
    def _disabler(self, statement: cst.CSTNode) -> Optional[str]:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return None
        expr = statement.body[0]
        if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
            return None
        name = dotted(expr.value.func) or ""
        base, _, last = name.rpartition(".")
        if name in self.disabler_names or (last in _DISABLERS and (base.endswith("compat.v1") or base in self.v1_aliases)):
            return name + "()"
        return None

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        removed = self._disabler(node)
        if removed:
            self._note(node, "INFO", "Removed `{}`: Keras 3 cannot run with eager execution disabled, and "
                                     "eli5_compat runs in eager mode.".format(removed))

    def _strip(self, body: Sequence[cst.BaseStatement]):
        kept: List[cst.BaseStatement] = []
        pending: List[cst.EmptyLine] = []
        for statement in body:
            removed = self._disabler(statement)
            if removed:
                pending.extend(statement.leading_lines)  # type: ignore[attr-defined]
                pending.append(cst.EmptyLine(comment=cst.Comment(
                    "# eli5-compat migrate: removed {} ({})".format(removed, self._why_eager))))
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
        if not kept:
            kept = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=pending)]
            pending = []
        return updated.with_changes(body=kept, footer=[*pending, *updated.footer])

    # compile(optimizer, loss, metrics) --------------------------------------------------------
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if not (self.keras3 and isinstance(func, cst.Attribute) and func.attr.value == "compile"):
            return updated
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if len(positional) < 3 or any(a.keyword is not None or a.star for a in updated.args[:len(positional)]):
            return updated
        if len(positional) > len(_COMPILE_ORDER):
            self._note(original, "ERROR", "compile() with {} positional arguments: name them by hand "
                                          "(Keras 3 orders them differently).".format(len(positional)))
            return updated
        args = [arg.with_changes(keyword=cst.Name(_COMPILE_ORDER[i]), equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
                if i < len(positional) else arg for i, arg in enumerate(updated.args)]
        self._note(original, "WARNING", "compile() with positional arguments: Keras 3 reads the third as "
                                        "loss_weights, not metrics. Rewrote them as keywords ({}).".format(
                                            ", ".join(_COMPILE_ORDER[:len(positional)])))
        return updated.with_changes(args=args)

    # hazards reported, not rewritten ----------------------------------------------------------
    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if not self.keras3:
            return
        if attr == "output_shape":
            self._note(node, "ERROR", "`.output_shape` was removed from many Keras 3 layers and models: use "
                                      "`layer.output.shape` (or `model.outputs[0].shape`).")
        elif attr == "legacy" and (dotted(node.value) or "").endswith("optimizers"):
            self._note(node, "WARNING", "Keras 3 has no `keras.optimizers.legacy` (it was for graph mode): use "
                                        "`keras.optimizers.Adam` and friends.")
        elif attr == "_make_predict_function":
            self._note(node, "ERROR", "`_make_predict_function()` no longer exists: remove the call; "
                                      "predict() needs no preparation.")

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted(node.func) or ""
        base, _, last = name.rpartition(".")
        if last in _BACKEND_FIXES and (base in self.backend_aliases or base.endswith("keras.backend")):
            self._note(node, "ERROR", "`{}` {}".format(name, _BACKEND_FIXES[last]))
        elif name in ("tf.Session", "tf.compat.v1.Session", "tensorflow.compat.v1.Session"):
            self._note(node, "WARNING", "`{}` runs graph-mode code; with eager execution back on, evaluate "
                                        "tensors directly (`.numpy()`).".format(name))


def migrate_python(source: str, target: str = "keras3") -> "tuple[str, List[Finding]]":
    """Rewrite Python source for ``target``; raises libcst.ParserSyntaxError when it does not parse."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    migrator = _Migrator(target)
    new = wrapper.visit(migrator)
    findings = sorted(migrator.findings, key=lambda f: (f.line, f.column))
    return new.code, findings
