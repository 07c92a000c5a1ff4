"""Facts about a model that every entry point needs: its outputs, classes, targets, layer ranks."""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _compat, _probe

Specs = Tuple[Tuple[Tuple[Optional[int], ...], str], ...]


def specs_of(model: Any, parts: Sequence[np.ndarray]) -> Specs:
    """Input signature of a batch as the model will see it: (shape without batch, model dtype) per input."""
    return tuple((tuple(np.shape(p)[1:]), _compat.input_dtype(model, i)) for i, p in enumerate(parts))


def output_index(model: Any, output: Union[None, int, str]) -> int:
    """Position of the explained output: None is the first; an int or an output layer name."""
    if output is None:
        return 0
    names = _compat.output_names(model)
    count = len(names) if names else 1
    if isinstance(output, bool) or not isinstance(output, (int, str)):
        raise TypeError("output must be an output index (int) or an output layer name (str), got: {!r}".format(output))
    if isinstance(output, str):
        if output not in names:
            raise ValueError("No model output named {!r}; the outputs are {}.".format(output, names))
        return names.index(output)
    if not -count <= output < count:
        raise ValueError(
            "output={} is out of range: the model has {} output(s) {}. Use an index from 0 to {} "
            "or an output name.".format(output, count, names, count - 1)
        )
    return output % count


def output_shape(model: Any, index: int, parts: Sequence[np.ndarray]) -> Tuple[Optional[int], ...]:
    """Shape (batch axis included) of the model's ``index``-th output for inputs like ``parts``."""
    outputs = _compat.symbolic_outputs(model)
    if outputs is not None:
        return _compat.shape_tuple(outputs[index])
    return tuple(_probe.probe(model, specs_of(model, parts)).output_shapes[index])


def target_index(targets: Any, n_classes: Optional[int]) -> int:
    """eli5 0.11's ``targets`` rules: None (-1, the top class) or a one-element list of an int."""
    if isinstance(targets, list):
        if len(targets) != 1:
            raise ValueError(
                "More than one prediction target is currently not supported "
                "(found a list that is not length 1): {}".format(targets)
            )
        return check_target(targets[0], n_classes)
    if targets is None:
        return -1
    shown = targets[0] if isinstance(targets, tuple) and len(targets) == 1 else targets
    raise TypeError('Invalid argument "targets" (must be list or None): %s' % (shown,))


def check_target(target: Any, n_classes: Optional[int]) -> int:
    """One class index, checked as eli5 0.11 did (a Python int in [0, classes))."""
    if not isinstance(target, int):
        raise TypeError("Prediction target must be int. Got: {}".format(target))
    if n_classes is not None and not 0 <= target < n_classes:
        raise ValueError(
            "Prediction target index is outside the required range [0, {}). Got {}".format(n_classes, target)
        )
    return int(target)


def layer_ranks(model: Any, parts: Sequence[np.ndarray]) -> Tuple[Callable[[Any], Optional[int]], Optional[List[Any]]]:
    """How to read a layer's output rank, and the call order of layers when it had to be traced
    (on inputs like ``parts``)."""
    if _compat.symbolic_inputs(model) is not None:
        return _compat.output_rank, None
    traced = _probe.probe(model, specs_of(model, parts))
    return traced.rank_of, [lay for lay, _ in traced.calls]
