"""Records every call user code makes to eli5_compat's (or eli5 0.11's) public functions.

Each module of the public API is wrapped as it is imported: its public functions are replaced
by wrappers that append ``{"call": name, "returned": kind, "eager": ...}`` to a JSON-lines file.
Only outermost calls are recorded (``show_prediction`` calling ``explain_prediction`` inside is
one call). At exit a ``{"exit": true, "eager": ...}`` line records whether eager execution was
on (None: TensorFlow was not imported). Every line carries the process id (``pid``). With a heatmap folder, each heatmap returned (an Explanation's first target, or
``gradcam``'s map) is saved there as ``<n>.npy`` in call order.
"""
import atexit
import functools
import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading

_PUBLIC = frozenset({
    "explain_prediction", "explain_prediction_keras", "show_prediction", "format_as_image",
    "gradcam", "gradcam_backend", "explain_predictions", "iter_explanations", "plot_explanations",
})
_MODULES = ("", ".explain", ".ipython", ".formatters", ".formatters.image", ".keras",
            ".keras.explain_prediction", ".keras.gradcam", ".keras.batch")
_WATCHED = frozenset(root + suffix for root in ("eli5_compat", "eli5") for suffix in _MODULES)

_state = threading.local()
_lock = threading.Lock()
_log = {"path": None, "heatmaps": None, "saved": 0}


def install(path, heatmaps=None):
    """Record calls to ``path``; save heatmaps to the folder ``heatmaps`` when given."""
    _log.update(path=path, heatmaps=heatmaps)
    sys.meta_path.insert(0, _WrappingFinder())
    atexit.register(lambda: _write({"exit": True, "eager": _eager()}))


def _write(record):
    record["pid"] = os.getpid()
    with _lock, open(_log["path"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def _eager():
    tf = sys.modules.get("tensorflow")
    return None if tf is None else bool(tf.executing_eagerly())


def _kind(value):
    """What a call returned, as the test compares it."""
    cls = type(value)
    if cls.__name__ == "Explanation" and cls.__module__.split(".")[0] in ("eli5", "eli5_compat"):
        targets = value.targets or []
        ok = not value.error and len(targets) == 1 and targets[0].heatmap is not None and value.image is not None
        return "Explanation" if ok else "Explanation(error={!r})".format(value.error)
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image):
        return "PIL.Image"
    if isinstance(value, tuple):
        return "tuple({})".format(", ".join(type(v).__name__ for v in value))
    return cls.__name__


def _heatmap(name, value):
    if type(value).__name__ == "Explanation" and value.targets:
        return value.targets[0].heatmap
    return value if name == "gradcam" else None


def _save(name, value):
    folder = _log["heatmaps"]
    heatmap = _heatmap(name, value) if folder else None
    if heatmap is None:
        return None
    import numpy as np

    with _lock:
        _log["saved"] += 1
        number = _log["saved"]
    np.save(os.path.join(folder, "{}.npy".format(number)), np.asarray(heatmap))
    return number


def _wrap(function):
    if getattr(function, "_corpus_recorded", False):
        return function

    @functools.wraps(function)
    def recorded(*args, **kwargs):
        depth = getattr(_state, "depth", 0)
        _state.depth = depth + 1
        try:
            value = function(*args, **kwargs)
        except BaseException as exc:
            if depth == 0:
                _write({"call": function.__name__, "raised": type(exc).__name__, "eager": _eager()})
            raise
        finally:
            _state.depth = depth
        if depth == 0:
            _write({"call": function.__name__, "returned": _kind(value), "eager": _eager(),
                    "heatmap": _save(function.__name__, value)})
        return value

    recorded._corpus_recorded = True
    return recorded


def _wrap_module(module):
    root = module.__name__.split(".")[0]
    for name, value in list(vars(module).items()):
        if (name in _PUBLIC and callable(value) and not isinstance(value, type)
                and getattr(value, "__module__", "").split(".")[0] == root):
            setattr(module, name, _wrapped.setdefault(id(value), _wrap(value)))


_wrapped = {}


class _WrappingFinder(importlib.abc.MetaPathFinder):
    """Finds the watched modules as usual, then wraps their public functions once they ran."""

    def find_spec(self, name, path, target=None):
        if name not in _WATCHED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _wrap_module(module)

        loader.exec_module = exec_module
        return spec
