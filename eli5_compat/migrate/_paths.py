"""Model file paths: Keras 3 saves and loads only ``.keras`` / ``.h5`` files.

An extension-less path that is a literal (or a name bound once to one) used only by ``save`` /
``save_model`` and ``load_model`` calls anywhere in the document gets ``.keras`` everywhere.
A path also written in a shell line or a non-Python cell is not renamed. Other extension-less paths, SavedModel
folders, ``.h5`` loads (Keras 2 files may not load;
tf-keras can) and models saved to or loaded from paths migrate cannot read are reported.
"""
from __future__ import annotations

import posixpath
import re
from typing import Iterable, Optional

import libcst as cst

from ._names import CodeState, callee, code, dotted

_SAVED_EXTENSIONS = (".keras", ".h5", ".hdf5")
TF_KERAS_HINT = ("if it fails, keep Keras 2 for this code: `eli5-compat migrate --target tf-keras` / "
                 "`eli5-compat run --target tf-keras` (with the tf-keras package, TF_USE_LEGACY_KERAS=1).")


def path_argument(call: cst.Call) -> Optional[cst.Arg]:
    """The file path argument of a Keras save / load call, or None when ``call`` is none of them."""
    name = dotted(call.func) or ""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "save":
        position = 0
    elif name.split(".")[-1] == "load_model":
        position = 0
    elif name.split(".")[-1] == "save_model" and "keras" in name or name == "save_model":
        position = 1
    else:
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "filepath":
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position] if len(positional) > position else None


def _kind(call: cst.Call) -> str:
    return "load" if (dotted(call.func) or "").endswith("load_model") else "save"


def _extensionless(value: str) -> bool:
    base = posixpath.basename(value)
    return bool(base) and "." not in base and "{" not in value


class PathScan(cst.CSTVisitor):
    """Counts how a document uses string literals and names (save/load path or anything else)."""

    def __init__(self, state: CodeState) -> None:
        super().__init__()
        self.state = state
        self._handled: set = set()

    def visit_Call(self, node: cst.Call) -> None:
        arg = path_argument(node)
        if arg is None:
            return
        kind = _kind(node)
        if isinstance(arg.value, cst.SimpleString):
            self.state.path_uses[str(arg.value.evaluated_value)][kind] += 1
            self._handled.add(id(arg.value))
        elif isinstance(arg.value, cst.Name):
            self.state.name_uses[arg.value.value][kind] += 1
            self._handled.add(id(arg.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                self._handled.add(id(target.target))
                once = len(node.targets) == 1 and name not in self.state.bound_literals
                literal = node.value if once else None
                call = node.value if once and isinstance(node.value, cst.Call) else None
                self.state.bound_calls[name] = callee(call) if call else None
                if isinstance(literal, cst.SimpleString):
                    self.state.bound_literals[name] = str(literal.evaluated_value)
                    self._handled.add(id(literal))
                else:
                    self.state.bound_literals[name] = None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._handled.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._handled.add(id(node.keyword))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self._handled:
            self.state.path_uses[str(node.evaluated_value)]["other"] += 1

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._handled:
            self.state.name_uses[node.value]["other"] += 1


def note_unparsed_uses(state: CodeState, texts: Iterable[str]) -> None:
    """Count a path (or a literal bound to a name) found in code migrate does not parse (shell lines, ``%%bash``
    cells) as another use, so it is reported instead of renamed."""
    text = "\n".join(texts)
    values = set(state.path_uses) | {v for v in state.bound_literals.values() if v}
    for value in values:
        if value and re.search(r"(?<![\w.-]){}(?![\w-])".format(re.escape(value)), text):
            state.path_uses[value]["other"] += 1


class SavedPaths:
    """Mixin for the migrating transformer; the host provides ``state`` and ``_note``."""

    state: CodeState

    # save / load paths --------------------------------------------------------------------------
    def _literal_fixable(self, value: str) -> bool:
        uses = self.state.path_uses.get(value)
        return bool(uses) and _extensionless(value) and uses["save"] > 0 and uses["load"] > 0 and uses["other"] == 0

    def _name_fixable(self, name: str) -> bool:
        value = self.state.bound_literals.get(name)
        uses = self.state.name_uses.get(name)
        if value is None or not uses or not _extensionless(value):
            return False
        others = self.state.path_uses.get(value)
        return uses["save"] > 0 and uses["load"] > 0 and uses["other"] == 0 and not (others and sum(others.values()))

    def _path_call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        arg = path_argument(updated)
        if arg is None:
            return updated
        kind = _kind(updated)
        value = arg.value
        literal: Optional[str] = None
        if isinstance(value, cst.SimpleString):
            literal = str(value.evaluated_value)
        elif isinstance(value, cst.Name):
            literal = self.state.bound_literals.get(value.value)
        if literal is None:
            self._unknown_path(original, value, kind)
            return updated
        lower = literal.lower()
        if kind == "load" and lower.endswith((".h5", ".hdf5")):
            self._note(original, "WARNING", "Keras 2 `.h5` files may not load in Keras 3 (custom or changed layers "
                                            "such as SeparableConv2D fail to deserialize); " + TF_KERAS_HINT)
            return updated
        if lower.endswith(_SAVED_EXTENSIONS):
            return updated
        if not _extensionless(literal):
            if kind == "load" or (dotted(updated.func) or "").endswith("save_model"):
                self._note(original, "ERROR", "Keras 3 saves and loads only `.keras` and `.h5` files: load a "
                                              "TensorFlow SavedModel with `keras.layers.TFSMLayer({!r}, "
                                              "call_endpoint='serving_default')`, or save the model as "
                                              "`.keras`.".format(literal))
            return updated
        if isinstance(value, cst.Name):
            if not self._name_fixable(value.value):
                self._report_path(original, literal, kind)
            return updated
        if not self._literal_fixable(literal):
            self._report_path(original, literal, kind)
            return updated
        self._note(original, "INFO", "{!r} -> {!r} here and in every save/load of this path (Keras 3 saves "
                                     "and loads `.keras` files).".format(literal, literal + ".keras"))
        return updated.with_changes(args=[a.with_changes(value=_with_keras(value)) if a is arg else a
                                          for a in updated.args])

    def _report_path(self, node: cst.CSTNode, literal: str, kind: str) -> None:
        fix = ("Keras 3 needs a `.keras` extension (`ValueError: Invalid filepath extension`), and migrate could not "
               "change every use of this path safely: use {!r} here and wherever this model is saved or "
               "loaded".format(literal + ".keras"))
        if kind == "load":
            self._note(node, "ERROR", fix + "; if {!r} is a TensorFlow SavedModel folder, load it with "
                                            "`keras.layers.TFSMLayer({!r}, call_endpoint='serving_default')`."
                                            .format(literal, literal))
        else:
            self._note(node, "WARNING", "If this saves a Keras model: " + fix + ".")

    def _unknown_path(self, node: cst.Call, value: cst.BaseExpression, kind: str) -> None:
        """A model saved to or loaded from a path migrate cannot read (a parameter, an expression)."""
        if _ends_with_extension(value):
            return
        receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
        if kind == "save" and not (receiver is not None and "model" in (dotted(receiver) or "").lower()):
            return  # `.save(path)` of images, arrays, ...: not a Keras model that migrate can tell
        shown = code(value)
        self._note(node, "WARNING", "Keras 3 {} only `.keras` and `.h5` model files (`ValueError: Invalid filepath "
                                    "extension` otherwise), and migrate cannot tell what `{}` holds: make sure it ends "
                                    "in `.keras`{}".format("saves" if kind == "save" else "loads", shown,
                                                           "." if kind == "save" else
                                                           "; a TensorFlow SavedModel folder loads with "
                                                           "`keras.layers.TFSMLayer(path, "
                                                           "call_endpoint='serving_default')`."))

    def _bound_path(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not (len(updated.targets) == 1 and isinstance(updated.targets[0].target, cst.Name)
                and isinstance(updated.value, cst.SimpleString)):
            return updated
        name = updated.targets[0].target.value
        if not self._name_fixable(name):
            return updated
        literal = str(updated.value.evaluated_value)
        self._note(original, "INFO", "`{} = {!r}` -> {!r}: it is only used to save and load the model (Keras 3 "
                                     "saves and loads `.keras` files).".format(name, literal, literal + ".keras"))
        return updated.with_changes(value=_with_keras(updated.value))


def _ends_with_extension(value: cst.BaseExpression) -> bool:
    """An f-string or concatenation whose text ends in a model file extension."""
    if isinstance(value, cst.FormattedString) and value.parts and isinstance(value.parts[-1], cst.FormattedStringText):
        return value.parts[-1].value.lower().endswith(_SAVED_EXTENSIONS)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return isinstance(value.right, cst.SimpleString) and \
            str(value.right.evaluated_value).lower().endswith(_SAVED_EXTENSIONS)
    return False


def _with_keras(literal: cst.SimpleString) -> cst.SimpleString:
    quote = literal.quote
    return literal.with_changes(value=literal.prefix + quote + literal.raw_value + ".keras" + quote)
