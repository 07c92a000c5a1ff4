"""Target tf-keras: imports of the standalone ``keras`` package point at ``tf_keras``.

``TF_USE_LEGACY_KERAS=1`` makes only ``tf.keras`` / ``tensorflow.keras`` Keras 2; ``import keras``
stays Keras 3. In eli5 0.11's world ``import keras`` was Keras 2, so with target tf-keras:
``import keras [as k]`` -> ``import tf_keras as keras`` / ``as k``; ``import keras.a.b as m`` ->
``import tf_keras.a.b as m``; ``from keras[.a] import ...`` -> ``from tf_keras[.a] import ...``
(an INFO each). ``import keras.a`` without ``as`` binds the name ``keras`` to the package while
loading ``keras.a``, which one statement cannot say for ``tf_keras``; it and string imports
(``importlib.import_module("keras...")``, ``__import__("keras...")``) are reported (ERROR) with the
hand fix, and an import statement holding such a name is left as it is.
"""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from ._names import CodeState, dotted, expression

_WHY = "the standalone keras package is Keras 3 even with TF_USE_LEGACY_KERAS=1; tf_keras is Keras 2"
_STRING_IMPORTS = {"importlib.import_module", "__import__"}


def _keras_module(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")


def _tf_keras(module: str) -> str:
    return "tf_keras" + module[len("keras"):]


class TfKerasImports:
    """Mixin for the migrating transformer; the host provides ``state`` and ``_note``."""

    state: CodeState

    def _tf_keras_import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        keras = [a for a in updated.names if _keras_module(dotted(a.name) or "")]
        unsure = [a for a in keras if a.asname is None and dotted(a.name) != "keras"]
        for alias in unsure:
            module = dotted(alias.name)
            self._note(original, "ERROR", "`import {0}` binds the name `keras` to the standalone keras package, which "
                                          "is Keras 3 even with TF_USE_LEGACY_KERAS=1, and one import cannot bind it "
                                          "to tf_keras (Keras 2) while loading `{1}`: write `import tf_keras as keras` "
                                          "and `import {1}` instead (the second also binds `tf_keras`){2}.".format(
                                              module, _tf_keras(module),
                                              "; migrate left this import as it is" if len(updated.names) > 1 else ""))
        if unsure or not keras:
            return updated
        names: List[cst.ImportAlias] = []
        for alias in updated.names:
            module = dotted(alias.name) or ""
            if _keras_module(module):
                bound = alias.asname.name.value if alias.asname else "keras"  # type: ignore[union-attr]
                self._note(original, "INFO", "`import {}{}` -> `import {} as {}` (target tf-keras: {}).".format(
                    module, " as " + bound if alias.asname else "", _tf_keras(module), bound, _WHY))
                alias = alias.with_changes(name=expression(_tf_keras(module)),
                                           asname=cst.AsName(name=cst.Name(bound)))
            names.append(alias)
        return updated.with_changes(names=names)

    def _tf_keras_import_from(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        module = dotted(updated.module) or ""
        if updated.relative or not _keras_module(module):
            return updated
        self._note(original, "INFO", "`from {} import ...` -> `from {} import ...` (target tf-keras: {}).".format(
            module, _tf_keras(module), _WHY))
        return updated.with_changes(module=expression(_tf_keras(module)))

    def _tf_keras_string_import(self, node: cst.Call) -> None:
        """Report ``importlib.import_module("keras...")`` / ``__import__("keras...")`` (from visit_Call)."""
        path = self.state.resolve(node.func) or dotted(node.func)
        first: Optional[cst.BaseExpression] = node.args[0].value if node.args else None
        if path not in _STRING_IMPORTS or not isinstance(first, cst.SimpleString):
            return
        module = str(first.evaluated_value)
        if _keras_module(module):
            self._note(node, "ERROR", "`{}({!r})` loads the standalone keras package, which is Keras 3 even with "
                                      "TF_USE_LEGACY_KERAS=1: import {!r} instead (Keras 2).".format(
                                          dotted(node.func), module, _tf_keras(module)))
