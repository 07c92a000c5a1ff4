"""Which layer to explain: eli5 0.11's rules, plus layers inside nested and subclassed models."""
from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional, Tuple

from . import _compat

RankOf = Callable[[Any], Optional[int]]


def resolve_layer(model: Any, layer: Any, required_ranks: Tuple[int, ...], rank_of: RankOf,
                  call_order: Optional[List[Any]] = None) -> Any:
    """Return the layer instance to explain, as eli5 0.11 chose or validated it.

    ``layer`` may be None (automatic), a layer instance, an index into ``model.layers``, a
    name (also of a layer inside a nested model) or a path ``"outer/inner"``. A layer
    is suitable when its output rank is one of ``required_ranks``.
    """
    if layer is None:
        return _search_backwards(model, required_ranks, rank_of, call_order)
    if _compat.is_keras_layer(layer):
        chosen = layer
    elif isinstance(layer, int):
        chosen = _layer_at(model, layer)
    elif isinstance(layer, str):
        chosen = find_layer(model, layer)
    else:
        raise TypeError("Invalid layer (must be str, int, keras.layers.Layer, or None): %s" % (layer,))
    if _is_suitable(chosen, required_ranks, rank_of):
        return chosen
    if any(lay is chosen for lay in model.layers):  # a layer eli5 0.11 could reach: its message
        raise ValueError("Can not perform Grad-CAM on the retrieved activation layer")
    raise ValueError(_nested_unsuitable_message(model, chosen, required_ranks, rank_of))


def find_layer(model: Any, name: str) -> Any:
    """A layer by name, searching nested models too; ``"a/b"`` walks into nested model ``a``.

    A subclassed model's layer may also be named by the attribute that holds it.
    """
    if "/" in name:
        return _walk_path(model, name)
    matches = [(path, lay) for path, lay in _all_layers(model) if lay.name == name]
    if len(matches) == 1:
        return matches[0][1]
    attribute = getattr(model, name, None) if not matches and name.isidentifier() else None
    if _compat.is_keras_layer(attribute):  # a subclassed model's attribute (self.conv = ...)
        return attribute
    if not matches:
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[lay.name for lay in model.layers]}."
        )
    paths = ", ".join(repr(path) for path, _ in matches)
    raise ValueError(
        f"Layer name {name!r} is ambiguous: it exists at several depths ({paths}). "
        f"Pass one of these paths as layer=..., or pass the layer instance."
    )


def _walk_path(model: Any, path: str) -> Any:
    current = model
    for part in path.split("/"):
        children = getattr(current, "layers", None)
        found = [lay for lay in children or [] if lay.name == part]
        if not found:
            names = [lay.name for lay in children or []]
            raise ValueError(
                f"No such layer: {part!r} in path {path!r}. Layers at that level are: {names}."
            )
        current = found[0]
    return current


def _all_layers(model: Any, prefix: str = "") -> Iterator[Tuple[str, Any]]:
    for lay in model.layers:
        path = prefix + lay.name
        yield path, lay
        if _compat.is_keras_model(lay):
            yield from _all_layers(lay, path + "/")


def _layer_at(model: Any, index: int) -> Any:
    layers = model.layers
    if len(layers) <= index:
        raise ValueError(
            f"Was asked to retrieve layer at index {index} but model only has {len(layers)} layers."
        )
    if index < -len(layers):
        raise IndexError(f"layer index {index} is out of range for a model with {len(layers)} layers")
    return layers[index]


def _search_backwards(model: Any, required_ranks: Tuple[int, ...], rank_of: RankOf,
                      call_order: Optional[List[Any]]) -> Any:
    candidates = list(model.layers)
    if call_order is not None:
        top_level = {id(lay) for lay in candidates}
        candidates = [lay for lay in call_order if id(lay) in top_level]
    for lay in reversed(candidates):
        if _is_suitable(lay, required_ranks, rank_of):
            return lay
    raise ValueError("Could not find a suitable target layer automatically.")


def _is_suitable(layer: Any, required_ranks: Tuple[int, ...], rank_of: RankOf) -> bool:
    if _compat.is_input_layer(layer):
        return False
    return rank_of(layer) in required_ranks


def _nested_unsuitable_message(model: Any, chosen: Any, required_ranks: Tuple[int, ...],
                               rank_of: RankOf) -> str:
    paths = {id(lay): path for path, lay in _all_layers(model)}
    where = paths.get(id(chosen), chosen.name)
    message = (
        f"Can not perform Grad-CAM on layer {where!r} ({type(chosen).__name__}, inside a nested "
        f"model): its output shape is {_shape_text(chosen)}, not {_wanted_text(required_ranks)}. "
        f"Choose a layer that outputs such a feature map, e.g. the last Conv2D or activation "
        f"before the global pooling."
    )
    candidate = _nearest_suitable(model, chosen, required_ranks, rank_of)
    if candidate is None:
        return message + " See model.summary() and the nested model's summary() for candidates."
    path = paths[id(candidate)]
    return message + (f" The nearest suitable layer is {path!r} (output shape "
                      f"{_shape_text(candidate)}): pass layer={path!r}.")


def _nearest_suitable(model: Any, chosen: Any, required_ranks: Tuple[int, ...],
                      rank_of: RankOf) -> Optional[Any]:
    """The suitable layer closest to ``chosen`` among its siblings, preferring earlier ones."""
    for _, lay in _all_layers(model):
        siblings = list(getattr(lay, "layers", None) or [])
        if not any(s is chosen for s in siblings):
            continue
        at = next(i for i, s in enumerate(siblings) if s is chosen)
        order = siblings[at - 1::-1] if at else []
        for candidate in order + siblings[at + 1:]:
            if _is_suitable(candidate, required_ranks, rank_of):
                return candidate
    return None


def _shape_text(layer: Any) -> str:
    try:
        return str(_compat.shape_tuple(layer.output))
    except (AttributeError, ValueError, RuntimeError, TypeError):
        return "unknown (no single symbolic output)"


def _wanted_text(required_ranks: Tuple[int, ...]) -> str:
    kinds = {3: "a 3-D (batch, steps, channels)", 4: "a 4-D (batch, height, width, channels)"}
    return " or ".join(kinds.get(r, f"a {r}-D (batch, spatial axes..., channels)") for r in required_ranks) + \
        " feature map"
