"""Learn a model's layer output ranks and output shapes by tracing it once (no computation).

Needed for models without a functional graph (subclassed models, Sequential models built
without ``Input``), where ``layer.output`` does not exist. Results are cached per model
and input signature; the cache holds the model weakly.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf

from . import _compat
from ._capture import record_layer_calls

Spec = Tuple[Tuple[Optional[int], ...], str]
_CACHE: "weakref.WeakKeyDictionary[Any, Dict[Any, Probe]]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass
class Probe:
    """Layers in the order the forward pass called them, with their output ranks."""

    calls: List[Tuple[Any, Optional[int]]] = field(default_factory=list)
    output_shapes: List[Tuple[Optional[int], ...]] = field(default_factory=list)

    def rank_of(self, layer: Any) -> Optional[int]:
        """Output rank of ``layer`` in the traced pass (None if not called or not one tensor)."""
        for lay, rank in self.calls:
            if lay is layer:
                return rank
        return None


def probe(model: Any, specs: Sequence[Spec]) -> Probe:
    """Trace ``model`` on symbolic inputs of ``specs`` (shape without batch, dtype)."""
    if not getattr(model, "built", True):
        raise ValueError(
            "Model {!r} has not been built yet, so its layers have no weights to explain. Call it "
            "once on data (model(doc)) or build it (model.build(input_shape)) first.".format(model.name)
        )
    key = tuple(specs)
    with _LOCK:
        per_model = _CACHE.setdefault(model, {})
        if key not in per_model:
            per_model[key] = _trace(model, key)
        return per_model[key]


def _trace(model: Any, specs: Tuple[Spec, ...]) -> Probe:
    result = Probe()

    def forward(*xs: tf.Tensor) -> Any:
        with record_layer_calls(_compat.is_keras_layer) as record:
            outputs = model(xs[0] if len(xs) == 1 else list(xs), training=False)
        result.calls = [(lay, _rank(out)) for lay, out in record.calls if lay is not model]
        result.output_shapes = [
            tuple(t.shape.as_list()) for t in tf.nest.flatten(outputs) if isinstance(t, tf.Tensor)
        ]
        return outputs

    tensor_specs = [tf.TensorSpec((None,) + tuple(shape), dtype) for shape, dtype in specs]
    if tf.executing_eagerly():
        tf.function(forward, autograph=False).get_concrete_function(*tensor_specs)
    else:
        with _compat.v1_session(model).graph.as_default():
            forward(*[tf.compat.v1.placeholder(s.dtype, s.shape) for s in tensor_specs])
    return result


def _rank(output: Any) -> Optional[int]:
    if isinstance(output, tf.Tensor) and output.shape.rank is not None:
        return output.shape.rank
    return None
