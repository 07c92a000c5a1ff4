"""Keras 2 -> Keras 3 fixes: rewritten where the meaning is certain, otherwise reported with the hand fix.

Rewritten: positional ``compile(optimizer, loss, metrics)`` -> keywords (Keras 3 reads the third as
``loss_weights``) when the receiver is certainly a Keras model: a name whose every binding in its scope
is a Keras model constructor/loader call (``Sequential``, ``Model``, ``load_model``, ``applications``),
the first before the call, or, bound in no scope of the cell, bound once in the whole document to
such a call by its imported name (``model = Sequential(...)`` in an earlier cell); any other
receiver is reported with the keywords;
``fit_generator`` / ``predict_generator`` / ``evaluate_generator`` (positional arguments
named in Keras 2's order first; ``workers`` / ``use_multiprocessing`` / ``max_queue_size`` dropped
with a WARNING each; ``verbose=0``, Keras 2's default there, kept explicit for predict/evaluate;
a WARNING with the hand fix unless the data (and ``validation_data``) certainly yields what Keras 3
accepts, see ``_generators``);
optimizer ``lr=``; ``layers.experimental.preprocessing`` and ``utils.np_utils`` imports and
attribute chains; ``.output_shape`` of a layer (``model.layers[i]``, ``model.get_layer(...)``) ->
``.output.shape`` (layers are taken to have one output: all built-in layers do; Keras 3 models keep
``.output_shape``, so other receivers are only reported);
save/load paths (see ``_paths``).
Reported: ``decay=``, ``keras_preprocessing``, ``ImageDataGenerator``, ``.activation`` set to linear
on a layer (``logits=True`` does that without changing the model).
"""
from __future__ import annotations

import re
from typing import List, Sequence

import libcst as cst
from libcst.metadata import Assignment, ParentNodeProvider, PositionProvider, ScopeProvider

from ._generators import data_warning
from ._names import CodeState, code, dotted
from ._paths import SavedPaths

_ROOT = r"(?:keras|tensorflow\.keras|tf_keras|tensorflow\.python\.keras)"
_OPTIMIZER = re.compile(r"(?:" + _ROOT + r"|tensorflow)"  # tf.optimizers is tf.keras.optimizers
                        r"\.optimizers\.(?:Adam|AdamW|SGD|RMSprop|Adagrad|Adadelta|Adamax|Nadam|Ftrl)$")
_EXPERIMENTAL = re.compile(r"^(" + _ROOT + r")\.layers\.experimental(\.preprocessing)?$")
_NP_UTILS = re.compile(r"^(" + _ROOT + r")\.utils(\.np_utils)?$")
_KERAS_MODEL = re.compile("^" + _ROOT + r"\.(?:(?:models\.)?(?:Sequential|Model|load_model)|saving\.load_model"
                          r"|applications\.(?:\w+\.)?[A-Z]\w*)$")
# Keras 2's compile(): the order positional arguments meant there.
_COMPILE_ORDER = ("optimizer", "loss", "metrics", "loss_weights", "weighted_metrics", "run_eagerly",
                  "steps_per_execution")
_LINEAR = re.compile(_ROOT + r"\.activations\.linear$")
# keras.layers.experimental.preprocessing names that Keras 3 has in keras.layers.
_PREPROCESSING = {"CategoryEncoding", "CenterCrop", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup",
                  "Normalization", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
                  "RandomTranslation", "RandomZoom", "Rescaling", "Resizing", "StringLookup", "TextVectorization"}
_NP_UTILS_NAMES = {"to_categorical", "normalize"}
# Keras 2's positional order of the generator methods.
_GENERATOR_ORDER = {
    "fit_generator": ("generator", "steps_per_epoch", "epochs", "verbose", "callbacks", "validation_data",
                      "validation_steps", "validation_freq", "class_weight", "max_queue_size", "workers",
                      "use_multiprocessing", "shuffle", "initial_epoch"),
    "predict_generator": ("generator", "steps", "callbacks", "max_queue_size", "workers", "use_multiprocessing",
                          "verbose"),
    "evaluate_generator": ("generator", "steps", "callbacks", "max_queue_size", "workers", "use_multiprocessing",
                           "verbose"),
}
_DROPPED = ("max_queue_size", "workers", "use_multiprocessing")


def _keyword(name: str) -> dict:
    return dict(keyword=cst.Name(name), equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                               whitespace_after=cst.SimpleWhitespace("")))


def _newlines(whitespace: cst.BaseParenthesizableWhitespace) -> bool:
    return "\n" in code(whitespace)


def _drop_after(kept: cst.Arg, dropped: cst.Arg, last: bool) -> cst.Arg:
    """``kept`` (the argument before ``dropped``) taking over the text around ``dropped``, line count kept.

    A line the dropped argument stood on stays, blank or with the comment that ended it (and a
    trailing comma stays before ``)``), so the lines after the call keep their numbers.
    """
    comma = kept.comma
    own_line = isinstance(comma, cst.Comma) and _newlines(comma.whitespace_after)
    trailing = dropped.comma.whitespace_after if isinstance(dropped.comma, cst.Comma) else dropped.whitespace_after_arg
    if last and not own_line:
        merged = kept.with_changes(comma=dropped.comma, whitespace_after_arg=dropped.whitespace_after_arg)
    elif isinstance(comma, cst.Comma):
        merged = kept.with_changes(comma=comma.with_changes(whitespace_after=_join(comma.whitespace_after, trailing)))
    else:
        merged = kept
    missing = (code(kept) + code(dropped)).count("\n") - code(merged).count("\n")
    if missing <= 0:
        return merged
    if isinstance(merged.comma, cst.Comma):
        return merged.with_changes(comma=merged.comma.with_changes(
            whitespace_after=_with_blank_lines(merged.comma.whitespace_after, missing)))
    return merged.with_changes(whitespace_after_arg=_with_blank_lines(merged.whitespace_after_arg, missing))


def _join(before: cst.BaseParenthesizableWhitespace, after: cst.BaseParenthesizableWhitespace
          ) -> cst.BaseParenthesizableWhitespace:
    """The whitespace before a dropped argument and the one after it as one: both line breaks kept."""
    if not isinstance(after, cst.ParenthesizedWhitespace):
        return before
    if not isinstance(before, cst.ParenthesizedWhitespace):
        return after
    comment = after.first_line.comment
    line = cst.EmptyLine(indent=False, whitespace=cst.SimpleWhitespace(after.last_line.value if comment else ""),
                         comment=comment)
    return after.with_changes(first_line=before.first_line,
                              empty_lines=[*before.empty_lines, line, *after.empty_lines])


def _with_blank_lines(whitespace: cst.BaseParenthesizableWhitespace, count: int) -> cst.ParenthesizedWhitespace:
    """``whitespace`` inside brackets with ``count`` more line breaks (blank lines), same indentation after."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(empty_lines=list(whitespace.empty_lines) + [cst.EmptyLine(indent=False)] * count)
    return cst.ParenthesizedWhitespace(empty_lines=[cst.EmptyLine(indent=False)] * (count - 1), indent=False,
                                       last_line=cst.SimpleWhitespace(whitespace.value))  # type: ignore[attr-defined]


class Keras3Fixes(SavedPaths, cst.MetadataDependent):
    """Mixin for the migrating transformer; the host provides ``state`` and ``_note``."""

    state: CodeState

    METADATA_DEPENDENCIES = (ScopeProvider, ParentNodeProvider)

    # compile(optimizer, loss, metrics) --------------------------------------------------------
    def _compile_call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "compile"):
            return updated
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if len(positional) < 3 or any(a.keyword is not None or a.star for a in updated.args[:len(positional)]):
            return updated
        if len(positional) > len(_COMPILE_ORDER):
            self._note(original, "ERROR", "compile() with {} positional arguments: name them by hand "
                                          "(Keras 3 orders them differently).".format(len(positional)))
            return updated
        args = [arg.with_changes(**_keyword(_COMPILE_ORDER[i])) if i < len(positional) else arg
                for i, arg in enumerate(updated.args)]
        if not self._keras_model(original):
            self._note(original, "WARNING", "compile() with positional arguments: if `{}` is a Keras model, Keras 3 "
                                            "reads the third as loss_weights, not metrics: name them by hand: "
                                            "`{}`.".format(code(func.value), ", ".join(
                                                code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT))
                                                for a in args[:len(positional)])))
            return updated
        self._note(original, "WARNING", "compile() with positional arguments: Keras 3 reads the third as "
                                        "loss_weights, not metrics. Rewrote them as keywords ({}).".format(
                                            ", ".join(_COMPILE_ORDER[:len(positional)])))
        return updated.with_changes(args=args)

    def _keras_model(self, call: cst.Call) -> bool:
        """Whether the receiver of ``call`` is a name certainly bound to a Keras model (see the module docstring)."""
        receiver = call.func.value  # type: ignore[attr-defined]
        scope = self.get_metadata(ScopeProvider, receiver, None)  # type: ignore[attr-defined]
        if not isinstance(receiver, cst.Name) or scope is None:
            return False
        bindings = scope[receiver.value]
        if not bindings:  # bound in another cell: once in the whole document, to `Maker(...)`
            maker = self.state.bound_calls.get(receiver.value) or "."
            return "." not in maker and bool(_KERAS_MODEL.match(self.state.resolve(cst.Name(maker)) or ""))
        line = self.get_metadata(PositionProvider, call).start.line  # type: ignore[attr-defined]
        return all(self._keras_model_binding(b) for b in bindings) and any(
            self.get_metadata(PositionProvider, b.node).start.line < line for b in bindings)  # type: ignore[attr-defined]

    def _keras_model_binding(self, binding: object) -> bool:
        """Whether ``binding`` is ``name = <Keras model constructor or loader>(...)``."""
        if not isinstance(binding, Assignment) or not isinstance(binding.node, cst.Name):
            return False
        parent = self.get_metadata(ParentNodeProvider, binding.node)  # type: ignore[attr-defined]
        if not isinstance(parent, cst.AssignTarget):
            return False
        statement = self.get_metadata(ParentNodeProvider, parent)  # type: ignore[attr-defined]
        return (isinstance(statement, cst.Assign) and len(statement.targets) == 1
                and isinstance(statement.value, cst.Call)
                and bool(_KERAS_MODEL.match(self.state.resolve(statement.value.func) or "")))

    # fit_generator & co -------------------------------------------------------------------------
    def _generator_call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        method = func.attr.value if isinstance(func, cst.Attribute) else ""
        if method not in _GENERATOR_ORDER:
            return updated
        new_method = method[:-len("_generator")]
        order = _GENERATOR_ORDER[method]
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if any(a.star for a in updated.args) or len(positional) > len(order):
            self._note(original, "ERROR", "`{0}()` was removed in Keras 3: call `{1}()` with the same data; its "
                                          "arguments must be named by hand (Keras 2's order differs from `{1}`'s)."
                                          .format(method, new_method))
            return updated
        args: List[cst.Arg] = []
        given = set()
        for index, arg in enumerate(updated.args):
            name = order[index] if arg.keyword is None else arg.keyword.value
            given.add(name)
            if name in _DROPPED:
                self._note(self._line_of(original, index), "WARNING", "Dropped `{}` from `{}()`: Keras 3's `{}()` has no such "
                                                            "argument (it belongs to keras.utils.PyDataset).".format(
                                                                code(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                                                                     whitespace_after_arg=cst.SimpleWhitespace(""))),
                                                                method, new_method))
                if args:
                    args[-1] = _drop_after(args[-1], arg, index == len(updated.args) - 1)
                continue
            if name == "generator":
                arg = arg.with_changes(**_keyword("x")) if arg.keyword is not None else arg
            elif arg.keyword is None:
                arg = arg.with_changes(**_keyword(name))
            args.append(arg)
        if method != "fit_generator" and "verbose" not in given:
            if args and isinstance(args[-1].comma, cst.Comma):
                args.append(cst.Arg(cst.Integer("0"), **_keyword("verbose")))
            else:
                if args:
                    args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                args.append(cst.Arg(cst.Integer("0"), **_keyword("verbose")))
        self._note(original, "INFO", "`{}()` -> `{}()` (Keras 3 removed the generator methods; `{}` takes the "
                                     "generator{}).".format(method, new_method, new_method,
                                                            "" if method == "fit_generator"
                                                            else "; verbose=0 keeps Keras 2's default here"))
        warnings = [data_warning(self.state, a.value, new_method) for i, a in enumerate(updated.args)
                    if (order[i] if a.keyword is None else a.keyword.value) in ("generator", "validation_data")]
        for warning in dict.fromkeys(w for w in warnings if w):  # the same data twice: one WARNING
            self._note(original, "WARNING", warning)
        return updated.with_changes(func=func.with_changes(attr=cst.Name(new_method)), args=args)  # type: ignore[union-attr]

    def _line_of(self, call: cst.Call, index: int) -> cst.CSTNode:
        """Where a finding about argument ``index`` goes: the call, or the argument when it is on a later line."""
        line = self.get_metadata(PositionProvider, call.args[index]).start.line  # type: ignore[attr-defined]
        return call if line == self.get_metadata(PositionProvider, call).start.line else call.args[index]  # type: ignore[attr-defined]

    # optimizers ---------------------------------------------------------------------------------------
    def _optimizer_call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        path = self.state.resolve(updated.func)
        if path is None or not _OPTIMIZER.search(path):
            return updated
        keywords = {a.keyword.value: a for a in updated.args if a.keyword is not None}
        if "decay" in keywords:
            rate = keywords.get("lr") or keywords.get("learning_rate")
            shown = code(rate.value) if rate is not None else "0.001"
            decay = code(keywords["decay"].value)
            self._note(original, "WARNING", "Keras 3 optimizers ignore `decay=`: replace `decay={0}` with "
                                            "`learning_rate=keras.optimizers.schedules.InverseTimeDecay({1}, "
                                            "decay_steps=1, decay_rate={0})` (the same schedule as Keras 2's "
                                            "decay).".format(decay, shown))
        if "lr" not in keywords:
            return updated
        if "learning_rate" in keywords:
            self._note(original, "ERROR", "`lr=` and `learning_rate=` both given: Keras 3 rejects `lr=`; keep one.")
            return updated
        self._note(original, "INFO", "`lr=` -> `learning_rate=` (Keras 3 does not accept `lr`).")
        args = [a.with_changes(keyword=cst.Name("learning_rate")) if a is keywords["lr"] else a for a in updated.args]
        return updated.with_changes(args=args)

    # modules Keras 3 removed --------------------------------------------------------------------------
    def _keras3_import_from(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        module = dotted(updated.module) or ""
        star = isinstance(updated.names, cst.ImportStar)
        names = [] if star else [dotted(a.name) or "" for a in updated.names]  # type: ignore[union-attr]
        if module.split(".")[0] == "keras_preprocessing":
            self._keras_preprocessing(original)
            return updated
        if re.search(_ROOT + r"\.preprocessing\.image$", module) and "ImageDataGenerator" in names:
            self._image_data_generator(original)
            return updated
        experimental, np_utils = _EXPERIMENTAL.match(module), _NP_UTILS.match(module)
        if experimental and experimental.group(2):
            return self._move_names(original, updated, names, star, experimental.group(1) + ".layers",
                                    _PREPROCESSING, module)
        if np_utils and np_utils.group(2):
            return self._move_names(original, updated, names, star, np_utils.group(1) + ".utils",
                                    _NP_UTILS_NAMES, module)
        submodule = "preprocessing" if experimental else "np_utils" if np_utils else None
        if submodule is None or star or submodule not in names:
            return updated
        root = (experimental or np_utils).group(1)  # type: ignore[union-attr]
        target = "layers" if experimental else "utils"
        if len(names) != 1:
            self._note(original, "ERROR", "`{}.{}` does not exist in Keras 3: import it on its own line as "
                                          "`from {} import {} as {}`.".format(module, submodule, root, target, submodule))
            return updated
        alias = updated.names[0]  # type: ignore[index]
        bound = alias.asname.name.value if alias.asname else submodule  # type: ignore[union-attr]
        self._note(original, "INFO", "`from {} import {}` -> `from {} import {} as {}` (Keras 3 moved its "
                                     "contents there).".format(module, submodule, root, target, bound))
        self.state.bindings[bound] = root + "." + target
        return updated.with_changes(module=cst.parse_expression(root), names=[cst.ImportAlias(
            name=cst.Name(target), asname=cst.AsName(name=cst.Name(bound)))])

    def _move_names(self, original: cst.ImportFrom, updated: cst.ImportFrom, names: Sequence[str], star: bool,
                    new_module: str, known: set, module: str) -> cst.ImportFrom:
        unknown = [n for n in names if n not in known]
        if star or unknown:
            self._note(original, "ERROR", "`{}` does not exist in Keras 3 and {} no equivalent in `{}`: import the "
                                          "others from `{}` and replace {} by hand.".format(
                                              module, "*" if star else ", ".join(unknown),
                                              new_module, new_module, "these" if star else "them"))
            return updated
        self._note(original, "INFO", "`from {} import ...` -> `from {} import ...` (Keras 3 moved them).".format(
            module, new_module))
        return updated.with_changes(module=cst.parse_expression(new_module))

    def _keras_preprocessing(self, node: cst.CSTNode) -> None:
        self._note(node, "ERROR", "`keras_preprocessing` is not installed with Keras 3: use `keras.utils.load_img` / "
                                  "`img_to_array` (image), `keras.utils.pad_sequences` (sequence), "
                                  "`keras.layers.TextVectorization` (text).")

    def _image_data_generator(self, node: cst.CSTNode) -> None:
        self._note(node, "ERROR", "Keras 3 has no `ImageDataGenerator`: read folders with "
                                  "`keras.utils.image_dataset_from_directory(...)` and augment with layers "
                                  "(`keras.layers.Rescaling`, `RandomFlip`, `RandomRotation`, `RandomZoom`).")

    def _keras3_import(self, original: cst.Import) -> None:
        for alias in original.names:
            module = dotted(alias.name) or ""
            if module.split(".")[0] == "keras_preprocessing":
                self._keras_preprocessing(original)
            elif _EXPERIMENTAL.match(module) or (_NP_UTILS.match(module) and module.endswith("np_utils")):
                self._note(original, "ERROR", "`{}` does not exist in Keras 3: import `{}` instead and drop "
                                              "`.experimental.preprocessing` / `.np_utils` from its uses.".format(
                                                  module, module.split(".layers")[0] + ".layers" if "layers" in module
                                                  else module.split(".utils")[0] + ".utils"))

    def _keras3_attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        base = self.state.resolve(updated.value) or ""
        attr = updated.attr.value
        if attr == "ImageDataGenerator" and re.search(_ROOT + r"\.preprocessing\.image$", base):
            self._image_data_generator(original)
        experimental = re.match(r"^(" + _ROOT + r")\.layers\.experimental\.preprocessing$", base)
        np_utils = re.match(r"^(" + _ROOT + r")\.utils\.np_utils$", base)
        if not (experimental or np_utils) or not isinstance(updated.value, cst.Attribute):
            return updated
        known = _PREPROCESSING if experimental else _NP_UTILS_NAMES
        tail = ".experimental.preprocessing" if experimental else ".np_utils"
        shown = dotted(updated.value) or ""
        if attr not in known or not shown.endswith(tail):
            self._note(original, "ERROR", "`{}.{}` does not exist in Keras 3 and has no direct equivalent: "
                                          "replace it by hand.".format(shown, attr))
            return updated
        new = cst.parse_expression(shown[:-len(tail)] + "." + attr)
        self._note(original, "INFO", "`{}.{}` -> `{}` (Keras 3 moved it).".format(shown, attr, dotted(new)))
        return new

    # .output_shape --------------------------------------------------------------------------------
    def _output_shape(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        receiver = updated.value
        layer = (isinstance(receiver, cst.Subscript) and isinstance(receiver.value, cst.Attribute)
                 and receiver.value.attr.value == "layers") or (
                    isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute)
                    and receiver.func.attr.value == "get_layer")
        shown = code(receiver)
        if not layer:
            self._note(original, "WARNING", "Keras 3 layers have no `.output_shape` (Keras 3 models still have it): "
                                            "if `{0}` is a layer, use `{0}.output.shape`.".format(shown))
            return updated
        new = updated.with_changes(value=cst.Attribute(value=receiver, attr=cst.Name("output")), attr=cst.Name("shape"))
        self._note(original, "INFO", "`{0}.output_shape` -> `{0}.output.shape` (Keras 3 layers have no "
                                     "`.output_shape`).".format(shown))
        return new

    # the softmax trick ------------------------------------------------------------------------------
    def _activation_trick(self, node: cst.Assign) -> None:
        for target in node.targets:
            if not (isinstance(target.target, cst.Attribute) and target.target.attr.value == "activation"):
                continue
            value = node.value
            linear = (isinstance(value, cst.Name) and value.value == "None") or (
                isinstance(value, cst.SimpleString) and value.evaluated_value == "linear") or bool(
                _LINEAR.search(self.state.resolve(value) or ""))
            if linear:
                self._note(node, "INFO", "Setting the last layer's activation to linear changes the model; "
                                         "`explain_prediction(..., logits=True)` gives the pre-softmax "
                                         "explanation without changing the model (and without a save/load).")
