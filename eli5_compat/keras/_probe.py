"""Learn a model's layer output ranks and output shapes by tracing it once (no computation).

Needed for models without a functional graph (subclassed models, Sequential models built
without ``Input``), where ``layer.output`` does not exist. Results are cached per model
and input signature; the cache holds the model weakly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple

from . import _compat, _engine
from ._capture import record_layer_calls

Spec = Tuple[Tuple[Optional[int], ...], str]
_CACHE = _engine.ModelCache()


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
    return _CACHE.get(model, key, lambda: _trace(model, key))


def _trace(model: Any, specs: Tuple[Spec, ...]) -> Probe:
    result = Probe()

    def forward(*xs: Any) -> Any:
        with record_layer_calls(_compat.is_keras_layer) as record:
            outputs = model(xs[0] if len(xs) == 1 else list(xs), training=False)
        result.calls = [(lay, _engine.rank(out)) for lay, out in record.calls if lay is not model]
        return outputs

    outputs = _engine.world(model).trace_abstract(model, specs, forward)
    # The batch axis is unknown (None) or 1, depending on how the backend traced.
    result.output_shapes = [(None,) + tuple(shape[1:]) for shape in outputs]
    return result
