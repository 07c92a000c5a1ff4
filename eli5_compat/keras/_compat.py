"""Every difference between Keras 3, tf-keras and TensorFlow 2.15's Keras 2, in one place.

Models are recognised by their class hierarchy, so nothing here imports a Keras that
the user did not import.
"""
from __future__ import annotations

import importlib
import sys
from functools import lru_cache
from types import ModuleType
from typing import Any, List, Optional, Tuple

from .._keras_classes import keras_root


def _keras_root(obj: Any, base_name: str) -> Optional[str]:
    return keras_root(type(obj), base_name)


def is_keras_model(obj: Any) -> bool:
    """True for a Keras 3, tf-keras or Keras 2 ``Model`` (Sequential, functional, subclassed)."""
    return _keras_root(obj, "Model") is not None


def is_keras_layer(obj: Any) -> bool:
    """True for a layer (or model) of any supported Keras."""
    return _keras_root(obj, "Layer") is not None


def keras_module(obj: Any) -> ModuleType:
    """The ``keras`` or ``tf_keras`` package that ``obj`` (a layer or model) belongs to."""
    root = _keras_root(obj, "Layer") or "keras"
    return sys.modules.get(root) or importlib.import_module(root)


def is_keras3(obj: Any) -> bool:
    """True when ``obj`` is a Keras 3 object (as opposed to tf-keras or Keras 2)."""
    module = keras_module(obj)
    if module.__name__ != "keras":
        return False
    version = getattr(module, "__version__", None) or getattr(module, "version", lambda: "3")()
    return int(str(version).split(".", 1)[0]) >= 3


def backend(obj: Any) -> str:
    """The backend ``obj`` (a layer or model) runs on: Keras 3's configured backend
    (``"tensorflow"``, ``"jax"``, ``"torch"``, ...), or ``"tensorflow"`` for tf-keras and Keras 2."""
    if not is_keras3(obj):
        return "tensorflow"
    return str(keras_module(obj).backend.backend())


def image_layer_types(model: Any) -> Tuple[type, ...]:
    """Layer classes whose presence marks an image model, as eli5 0.11 defined it.

    In Keras 2 ``Conv2DTranspose`` subclassed ``Conv2D``; Keras 3 lists it separately.
    """
    layers = keras_module(model).layers
    names = ("Conv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D",
             "GlobalMaxPooling2D", "GlobalAveragePooling2D")
    return tuple(getattr(layers, name) for name in names if hasattr(layers, name))


def is_input_layer(layer: Any) -> bool:
    """True for an ``InputLayer``, which Grad-CAM never explains."""
    return _is_input_layer_class(type(layer))


@lru_cache(maxsize=1024)  # per class: a class's hierarchy never changes
def _is_input_layer_class(cls: type) -> bool:
    return any(klass.__name__ == "InputLayer" for klass in cls.__mro__)


def symbolic_inputs(model: Any) -> Optional[List[Any]]:
    """The model's symbolic inputs, or None for a model without a functional graph."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    return list(inputs) if inputs else None


def symbolic_outputs(model: Any) -> Optional[List[Any]]:
    """The model's symbolic outputs, or None for a model without a functional graph."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    return list(outputs) if outputs else None


def shape_tuple(tensor: Any) -> Tuple[Optional[int], ...]:
    """A symbolic tensor's shape as a tuple of ints and Nones."""
    shape = tensor.shape
    dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    return tuple(None if d is None else int(d) for d in dims)


def output_rank(layer: Any) -> Optional[int]:
    """Rank of a layer's single symbolic output, or None when it has none or several."""
    try:
        output = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    if isinstance(output, (list, tuple)) or not hasattr(output, "shape"):
        return None
    return len(output.shape)


def input_dtype(model: Any, index: int = 0) -> str:
    """The dtype the model's ``index``-th input expects (the float type by default)."""
    inputs = symbolic_inputs(model)
    if inputs and index < len(inputs):
        dtype = inputs[index].dtype
        return getattr(dtype, "name", str(dtype))
    return floatx(model)


def floatx(model: Any) -> str:
    """The Keras default float type for ``model``'s Keras."""
    backend = keras_module(model).backend
    return backend.floatx()


def image_data_format(model: Any) -> str:
    """``channels_last`` or ``channels_first``, as configured for ``model``'s Keras."""
    module = keras_module(model)
    config = getattr(module, "config", None)
    if config is not None and hasattr(config, "image_data_format"):
        return config.image_data_format()
    return module.backend.image_data_format()


def v1_session(model: Any) -> Any:
    """The Keras 2 session that holds ``model``'s variables in graph mode.

    TensorFlow 1 keeps one default graph (and Keras one session) per thread, so the session is
    only reachable from a thread whose default graph is the model's; elsewhere a RuntimeError
    says so (once built, eli5_compat's computation for a model runs from any thread).
    """
    module = keras_module(model)
    try:
        backend = importlib.import_module(module.__name__ + ".src.backend")
    except ImportError:  # older Keras 2 layouts
        backend = importlib.import_module(module.__name__ + ".backend")
    graph = next((getattr(w, "graph", None) for w in getattr(model, "weights", [])), None)
    if graph is not None and graph is not importlib.import_module("tensorflow").compat.v1.get_default_graph():
        raise RuntimeError(
            "With eager execution disabled, TensorFlow keeps one graph and one Keras session per thread, "
            "and model {!r} lives in another thread's graph. Make the first eli5_compat call for this model "
            "(and layer) in the thread that built it; afterwards calls from any thread work.".format(
                getattr(model, "name", model)))
    return backend.get_session()


def output_names(model: Any) -> List[str]:
    """Names of the model's outputs (the layers that produce them)."""
    names = getattr(model, "output_names", None)
    if names:
        return list(names)
    found = []
    for tensor in symbolic_outputs(model) or []:
        history = getattr(tensor, "_keras_history", None)
        found.append(history[0].name if history else getattr(tensor, "name", "").split("/", 1)[0])
    return found
