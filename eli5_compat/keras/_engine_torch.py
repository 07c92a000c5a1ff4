"""The PyTorch world of the Grad-CAM core (Keras 3 with ``KERAS_BACKEND=torch``).

PyTorch differentiates eagerly with respect to any tensor of the graph it records, so the
explained layer's output is differentiated directly with ``torch.autograd.grad``. That output
is noted as the layer returns it by a forward hook registered with PyTorch's global registry
(``register_module_forward_hook``) for the duration of the call only, and acting only in the
calling thread: nothing is registered on the model's modules or set on them, and other
threads' forward passes are not affected. (A profile hook, as the compiling worlds use while
tracing, would cost on every call here: it sees every Python call of the forward pass.) The
inputs are fresh tensors that require gradients, so the graph is recorded even through frozen
layers whose parameters do not. Nothing is compiled (eager autograd), so nothing is cached.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ._engine import as_numpy, check_activation, not_on_path, recording_softmax_and_sigmoid, scores_of_kind

_L2_EPSILON = 1e-12  # as tf.math.l2_normalize: x / sqrt(max(sum(x^2), 1e-12))


def clear_cache() -> None:
    """Nothing is compiled or cached in this world."""


def compute_terms(model: Any, layer: Any, inputs: Sequence[np.ndarray], targets: np.ndarray,
                  output_index: int, logits: bool, gradients: bool = True) -> Sequence[Any]:
    """Activations, gradients, weights, targets, scores and raw gradients (see ``_engine``;
    the gradients come whether asked for or not: on the CPU their numpy views cost nothing)."""
    xs = [torch.tensor(np.asarray(a), device=_device(model), requires_grad=_is_float(a)) for a in inputs]
    kind = "logits" if logits else "output"
    with torch.enable_grad():
        with _module_outputs() as modules, _recorder(kind, modules) as recorded:
            outputs = _call(model, xs)
        activation = check_activation(layer, [out for mod, out in modules.calls if mod is layer], _is_tensor)
        scores_of_all = _head_output(outputs, output_index, recorded, kind)
        chosen, scores = _pick(scores_of_all, torch.as_tensor(targets, device=scores_of_all.device))
        raw = None
        if activation.requires_grad:
            (raw,) = torch.autograd.grad(scores.sum(), activation, allow_unused=True)
    if raw is None:
        raise not_on_path(layer, scores.shape, activation.shape)
    with torch.no_grad():
        axes = tuple(range(1, raw.dim()))
        norm = torch.rsqrt(torch.clamp(torch.sum(raw * raw, dim=axes, keepdim=True), min=_L2_EPSILON))
        gradients = raw * norm
        weights = torch.mean(gradients, dim=tuple(range(1, raw.dim() - 1)))
    return [as_numpy(v) for v in (activation, gradients, weights, chosen, scores, raw)]


def wait(values: Sequence[Any]) -> Sequence[Any]:
    """``compute_terms``' values, which this world has computed by the time it returns."""
    return values


def compute_scores(model: Any, inputs: Sequence[np.ndarray], targets: np.ndarray, output_index: int,
                   kind: str) -> np.ndarray:
    """Each input's score for its target class (see ``_engine.compute_scores``)."""
    xs = [torch.as_tensor(np.asarray(a), device=_device(model)) for a in inputs]
    with torch.no_grad(), _module_outputs() as modules, _recorder(kind, modules) as recorded:
        outputs = _call(model, xs)
        scores_of_all = _head_output(outputs, output_index, recorded, kind)
        return as_numpy(_pick(scores_of_all, torch.as_tensor(targets, device=scores_of_all.device))[1])


def trace_abstract(model: Any, specs: Any, forward: Any) -> List[Any]:
    """Call ``forward(*xs)`` once on zeros of ``specs`` (batch 1) without gradients; returns the
    shapes of its flattened outputs. (PyTorch has no abstract tracing that Keras layers accept.)"""
    xs = [torch.zeros((1,) + tuple(shape), dtype=getattr(torch, dtype), device=_device(model))
          for shape, dtype in specs]
    with torch.no_grad():
        outputs = forward(*xs)
    return [tuple(t.shape) for t in _flatten(outputs) if _is_tensor(t)]


def _call(model: Any, xs: List[Any]) -> Any:
    return model(xs[0] if len(xs) == 1 else xs, training=False)


def _flatten(outputs: Any) -> List[Any]:
    from keras import tree

    return list(tree.flatten(outputs))


def _head_output(outputs: Any, output_index: int, recorded: Any, kind: str) -> Any:
    return scores_of_kind(_flatten(outputs), output_index, recorded, kind, lambda v: torch.softmax(v, dim=-1))


class _ModuleOutputs:
    """What modules returned in this thread during a forward pass, in the order they returned."""

    def __init__(self) -> None:
        self.calls: List[Tuple[Any, Any]] = []

    def producer_of(self, value: Any) -> Optional[Tuple[str, Any]]:
        """``(activation name, None)`` when the innermost module that returned ``value`` ends in a
        softmax or a sigmoid (its ``activation``, or a Softmax layer); else None."""
        for module, output in self.calls:
            if output is value:
                name = "softmax" if type(module).__name__ == "Softmax" else getattr(
                    getattr(module, "activation", None), "__name__", None)
                return (name, None) if name in ("softmax", "sigmoid") else None
        return None


@contextlib.contextmanager
def _module_outputs() -> Iterator[_ModuleOutputs]:
    record = _ModuleOutputs()
    thread = threading.get_ident()

    def hook(module: Any, args: Any, output: Any) -> None:
        if threading.get_ident() == thread:
            record.calls.append((module, output))

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        yield record
    finally:
        handle.remove()


def _recorder(kind: str, modules: _ModuleOutputs) -> Any:
    """What recognises a softmax output: the logits need the softmax's input, which only the
    profile hook of the softmax call sees; the other kinds only ask what made the output."""
    if kind == "logits":
        return recording_softmax_and_sigmoid()
    return contextlib.nullcontext(modules)


def _pick(scores_of_all: Any, targets: Any) -> Tuple[Any, Any]:
    chosen = torch.where(targets < 0, torch.argmax(scores_of_all, dim=-1), targets)
    return chosen, torch.gather(scores_of_all, 1, chosen[:, None])[:, 0]


def _device(model: Any) -> Any:
    for variable in model.weights:
        return variable.value.device
    return None


def _is_float(array: np.ndarray) -> bool:
    return np.issubdtype(np.asarray(array).dtype, np.floating)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor)
