"""The Python rewrites, on a concrete syntax tree (libcst) so comments and formatting survive."""
from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from . import _magics
from ._eager import EagerScan, EagerSwitch
from ._generators import GeneratorScan
from ._keras3 import Keras3Fixes
from ._paths import PathScan
from ._tf_keras import TfKerasImports
from ._names import CodeState, code, dotted, expression
from ._report import Finding

# eli5 modules that eli5_compat provides under the same path.
_OURS = {"eli5", "eli5.keras", "eli5.keras.explain_prediction", "eli5.keras.gradcam", "eli5.formatters",
         "eli5.formatters.image", "eli5.base", "eli5.explain", "eli5.ipython"}
_BACKENDS = {"keras.backend", "tensorflow.keras.backend", "tf.keras.backend", "tf_keras.backend",
             "tensorflow.compat.v1.keras.backend", "tf.compat.v1.keras.backend"}
_BACKEND_FIXES = {
    "gradients": "does not exist with eager execution (Keras 3 removed it): compute gradients with "
                 "tf.GradientTape, or let eli5_compat compute Grad-CAM.",
    "function": "builds a graph-mode function: call the model (or a keras.Model over the outputs you "
                "need) directly, or wrap the computation in tf.function.",
    "get_session": "has no eager equivalent: remove it; read values with .numpy() or model.predict().",
    "set_session": "has no eager equivalent: remove it.",
}


def _compat_path(module: str) -> str:
    return "eli5_compat" + module[len("eli5"):]


class _Migrator(EagerSwitch, Keras3Fixes, TfKerasImports, cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, target: str, state: CodeState) -> None:
        super().__init__()
        self.keras3 = target == "keras3"
        self.state = state
        self.findings: List[Finding] = []
        self._eager_setup()

    def _note(self, node: cst.CSTNode, level: str, message: str) -> None:
        start = self.get_metadata(PositionProvider, node).start
        self.findings.append(Finding(start.line, start.column + 1, level, message))

    # imports -------------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        self._in_import += 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        self._in_import -= 1
        if self.keras3:
            self._keras3_import(original)
        names: List[cst.ImportAlias] = []
        seen: Set[str] = set()
        for alias in updated.names:
            module = dotted(alias.name) or ""
            bound = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
            if module in _OURS:
                alias = self._compat_alias(original, module, bound)
            elif module.startswith("eli5."):
                self._note(original, "WARNING", "`import {}` is not part of eli5_compat: it imports the installed "
                                                "eli5, and binds the name `eli5` to it.".format(module))
            key = code(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            if key not in seen:
                seen.add(key)
                names.append(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        updated = updated.with_changes(names=names)
        return updated if self.keras3 else self._tf_keras_import(original, updated)

    def _compat_alias(self, original: cst.CSTNode, module: str, bound: Optional[str]) -> cst.ImportAlias:
        if bound:
            new = cst.ImportAlias(name=expression(_compat_path(module)), asname=cst.AsName(name=cst.Name(bound)))
            shown = "import {} as {}".format(_compat_path(module), bound)
        else:  # `import eli5` / `import eli5.keras` bind the name eli5
            new = cst.ImportAlias(name=cst.Name("eli5_compat"), asname=cst.AsName(name=cst.Name("eli5")))
            shown = "import eli5_compat as eli5"
        self._note(original, "INFO", "`import {}` -> `{}`.".format(module, shown))
        return new

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        self._in_import -= 1
        if updated.relative or updated.module is None:
            return updated
        module = dotted(updated.module) or ""
        if module in _OURS:
            self._note(original, "INFO", "`from {} import ...` -> `from {} import ...`.".format(module, _compat_path(module)))
            return updated.with_changes(module=expression(_compat_path(module)))
        if module.startswith("eli5."):
            self._note(original, "INFO", "`from {} import ...` is not part of eli5_compat: it keeps using the "
                                         "installed eli5 package.".format(module))
        if self.keras3:
            return self._keras3_import_from(original, updated)
        return self._tf_keras_import_from(original, updated)

    # statements: the eager switch ---------------------------------------------------------------
    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        return self._leave_line(original, updated)

    def leave_SimpleStatementSuite(self, original: cst.SimpleStatementSuite,
                                   updated: cst.SimpleStatementSuite) -> cst.SimpleStatementSuite:
        return self._leave_suite(original, updated)

    def visit_Name(self, node: cst.Name) -> None:
        self._eager_reference(node)

    # compile(optimizer, loss, metrics) --------------------------------------------------------
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        updated = self._ipython_install(original, updated)
        if not self.keras3:
            return updated
        for fix in (self._compile_call, self._generator_call, self._optimizer_call, self._path_call):
            updated = fix(original, updated)
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not self.keras3:
            return updated
        self._activation_trick(original)
        return self._bound_path(original, updated)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if not self.keras3 or self._in_import:
            return updated
        if updated.attr.value == "output_shape":
            return self._output_shape(original, updated)
        return self._keras3_attribute(original, updated)

    # get_ipython().system("pip install eli5") in scripts exported from notebooks -------------
    def _ipython_install(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)
                and dotted(func.value.func) == "get_ipython" and func.attr.value in ("system", "run_line_magic")):
            return updated
        strings = [a.value for a in updated.args]
        if not strings or not all(isinstance(v, cst.SimpleString) for v in strings):
            return updated
        if func.attr.value == "system" and len(strings) == 1:
            head, command = "!", strings[0]
        elif len(strings) == 2 and strings[0].evaluated_value == "pip":  # type: ignore[union-attr]
            head, command = "%pip ", strings[1]
        else:
            return updated
        quote, inner = command.quote, command.raw_value  # type: ignore[union-attr]
        fixed = _magics.fix_install(head + inner)
        if fixed is None:
            return updated
        self._note(original, "INFO", _magics.INSTALL_MESSAGE)
        literal = command.with_changes(value=command.prefix + quote + fixed[len(head):] + quote)  # type: ignore[union-attr]
        args = list(updated.args)
        args[-1] = args[-1].with_changes(value=literal)
        return updated.with_changes(args=args)

    # hazards reported, not rewritten ----------------------------------------------------------
    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._eager_reference(node)
        attr = node.attr.value
        if not self.keras3:
            return
        if attr == "legacy" and (dotted(node.value) or "").endswith("optimizers"):
            self._note(node, "WARNING", "Keras 3 has no `keras.optimizers.legacy` (it was for graph mode): use "
                                        "`keras.optimizers.Adam` and friends.")
        elif attr == "_make_predict_function":
            self._note(node, "ERROR", "`_make_predict_function()` no longer exists: remove the call; "
                                      "predict() needs no preparation.")

    def visit_Call(self, node: cst.Call) -> None:
        self._graph_block(node)
        if not self.keras3:
            self._tf_keras_string_import(node)
        name = dotted(node.func) or ""
        # What the name was imported as, in this cell or an earlier one (``from keras import backend as K``).
        base, _, last = (self.state.resolve(node.func) or name).rpartition(".")
        if last in _BACKEND_FIXES and (base in _BACKENDS or base.endswith("keras.backend")):
            self._note(node, "ERROR", "`{}` {}".format(name, _BACKEND_FIXES[last]))
        elif name in ("tf.Session", "tf.compat.v1.Session", "tensorflow.compat.v1.Session"):
            self._note(node, "WARNING", "`{}` runs graph-mode code; with eager execution back on, evaluate "
                                        "tensors directly (`.numpy()`).".format(name))


def prescan(source: str, state: CodeState) -> None:
    """Add one cell's path and name uses to ``state`` before the cells are migrated (skips bad code)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return
    _scan(module, state)


def _scan(module: cst.Module, state: CodeState) -> None:
    module.visit(PathScan(state))
    module.visit(EagerScan(state))
    module.visit(GeneratorScan(state))


def migrate_python(source: str, target: str = "keras3", state: Optional[CodeState] = None
                   ) -> "tuple[str, List[Finding]]":
    """Rewrite Python source for ``target``; raises libcst.ParserSyntaxError when it does not parse.

    ``state`` carries imports and facts from earlier notebook cells, and the whole notebook's path
    uses (see :func:`prescan`); without it the source is taken as a whole document.
    """
    module = cst.parse_module(source)
    if state is None:
        state = CodeState()
        _scan(module, state)
    wrapper = MetadataWrapper(module)
    migrator = _Migrator(target, state)
    new = wrapper.visit(migrator)
    findings = sorted(migrator.findings, key=lambda f: (f.line, f.column))
    return new.code, findings
