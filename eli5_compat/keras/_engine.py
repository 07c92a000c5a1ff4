"""The one Grad-CAM core, behind a seam with one implementation per world.

The core computes, for a batch: the explained layer's activations, the gradients of each
sample's target score with respect to them (raw and L2-normalised), the Grad-CAM weights,
the targets and the scores (:func:`compute_terms`); and scores batches without gradients
(:func:`compute_scores`, for Score-CAM and the faithfulness metrics).

The worlds, picked by the model's Keras and backend (:func:`eli5_compat.keras._compat.backend`):

- ``tensorflow`` (Keras 3 on TensorFlow, tf-keras, Keras 2 in graph mode): ``_engine_tf``;
- ``jax`` (Keras 3 with ``KERAS_BACKEND=jax``): ``_engine_jax``;
- ``torch`` (Keras 3 with ``KERAS_BACKEND=torch``): ``_engine_torch``.

Each world has ``compute_terms``, ``compute_scores``, ``wait`` (for what ``compute_terms``
returned: JAX computes in the background), ``trace_abstract`` and ``clear_cache``; the JAX world
also has ``prepare_terms`` (``compute_terms`` with its compiled program looked up once).

Each world compiles (where its backend compiles) and caches its computation once per model,
layer, output, logits flag and input signature, holds models weakly, never changes the model
and is safe to call from several threads. Only the world in use is imported.

This module also holds what the worlds share: the result type and the checks (with their
messages) of the explained layer and output.
"""
from __future__ import annotations

import importlib
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from . import _compat

SCORE_KINDS = ("output", "logits", "probability")
NO_GRADIENT = ("Gradient calculation resulted in None values. "
               "Check that the model is differentiable and try again.")
_WORLDS = {"tensorflow": "._engine_tf", "jax": "._engine_jax", "torch": "._engine_torch"}
_GENERATION = [0]  # clear_cache() calls so far


@dataclass
class GradcamTerms:
    """Per-sample Grad-CAM terms for a batch of N inputs (arrays may be read-only: copy to change them)."""

    activations: np.ndarray  # (N, *spatial, C) float32
    gradients: Optional[np.ndarray]  # same shape, L2-normalised per sample (None if not asked for)
    weights: np.ndarray  # (N, C): spatial mean of the gradients
    targets: np.ndarray  # (N,) int64
    scores: np.ndarray  # (N,) float32
    raw_gradients: Optional[np.ndarray]  # (N, *spatial, C): before normalisation (None if not asked for)


def compute_terms(
    model: Any,
    layer: Any,
    inputs: Sequence[np.ndarray],
    targets: np.ndarray,
    output_index: int = 0,
    logits: bool = False,
    gradients: bool = True,
) -> GradcamTerms:
    """Run the Grad-CAM core on a batch.

    ``inputs`` are arrays in the model's input order, already of the model's dtypes;
    ``targets`` is an int64 array with one class per sample, -1 meaning "the top class".
    ``gradients=False``: the caller reads no gradients (Grad-CAM itself needs only the weights),
    so a world may leave them out (None) and save their transfer.
    """
    return prepare_terms(model, layer, inputs, targets, output_index, logits, gradients)(inputs)()


def prepare_terms(
    model: Any,
    layer: Any,
    inputs: Sequence[np.ndarray],
    targets: np.ndarray,
    output_index: int = 0,
    logits: bool = False,
    gradients: bool = True,
) -> Callable[[Sequence[np.ndarray]], Callable[[], GradcamTerms]]:
    """:func:`compute_terms` made ready for inputs of the shapes and dtypes of ``inputs``, with these
    targets, in two steps: the returned function starts the computation on such inputs and returns
    a function that waits for it and returns the terms. JAX dispatches asynchronously, so on JAX
    whatever the caller does in between (checks, building the image) runs while the terms are
    computed; the other worlds have finished when the computation is started. The computation is
    looked up once, here (valid until :func:`clear_cache`; see :func:`generation`); errors about
    the model, layer or output are raised here or when it is started. Holds the model weakly."""
    module = world(model)
    prepare = getattr(module, "prepare_terms", None)
    if prepare is not None:  # a world that can look its computation up once (JAX)
        run = prepare(model, layer, inputs, targets, output_index, bool(logits), bool(gradients))
    else:
        model_ref = weakref.ref(model)

        def run(xs: Sequence[np.ndarray]) -> Sequence[Any]:
            return module.compute_terms(model_ref(), layer, xs, targets, output_index, bool(logits), bool(gradients))

    def start(xs: Sequence[np.ndarray]) -> Callable[[], GradcamTerms]:
        values = run(xs)
        return lambda: _as_terms(module.wait(values))

    return start


def generation() -> int:
    """How many times :func:`clear_cache` has run: what :func:`prepare_terms` returned before the
    latest call must not be used after it."""
    return _GENERATION[0]


def _as_terms(values: Sequence[Any]) -> GradcamTerms:
    activations, gradients, weights, chosen, scores, raw = [None if v is None else np.asarray(v) for v in values]
    return GradcamTerms(activations, gradients, weights, chosen.astype(np.int64), scores, raw)


def compute_scores(
    model: Any,
    inputs: Sequence[np.ndarray],
    targets: np.ndarray,
    output_index: int = 0,
    kind: str = "output",
) -> np.ndarray:
    """Each input's score for its target class, from one forward pass (no gradients).

    ``kind``: ``"output"`` (the output's value), ``"logits"`` (the pre-softmax logit of a softmax
    output) or ``"probability"`` (the output when it ends in a softmax or a sigmoid, else the
    softmax of the output over its classes). ``targets`` as in :func:`compute_terms`
    (-1 is the top class). Returns a float32 array of shape (N,).
    """
    if kind not in SCORE_KINDS:
        raise ValueError("kind must be one of {}, got: {!r}".format(SCORE_KINDS, kind))
    return np.asarray(world(model).compute_scores(model, inputs, targets, output_index, kind))


def clear_cache() -> None:
    """Forget every compiled Grad-CAM computation (after changing a layer's behaviour in place)."""
    _GENERATION[0] += 1
    for module_name in _WORLDS.values():
        module = _loaded(module_name)
        if module is not None:
            module.clear_cache()


def world(model: Any) -> Any:
    """The engine module for ``model``'s Keras and backend (imported on first use)."""
    found = _WORLD_OF_CLASS.get(type(model))
    if found is None:
        found = _WORLD_OF_CLASS[type(model)] = _world_module(_compat.backend(model))
    return found


# A class's Keras and that Keras' backend never change (Keras 3's set_backend reloads its classes).
_WORLD_OF_CLASS: "weakref.WeakKeyDictionary[type, Any]" = weakref.WeakKeyDictionary()


def _world_module(name: str) -> Any:
    if name not in _WORLDS:
        raise NotImplementedError(
            "eli5_compat explains Keras models on the TensorFlow, JAX and PyTorch backends; this "
            "model runs on Keras' {!r} backend. Set KERAS_BACKEND to tensorflow, jax or torch "
            "before importing keras.".format(name))
    return importlib.import_module(_WORLDS[name], __package__)


def _loaded(module_name: str) -> Any:
    return sys.modules.get(__package__ + module_name)


class ModelCache:
    """Built computations per model (held weakly, so a deleted model is freed) and key; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._store: "weakref.WeakKeyDictionary[Any, Dict[Any, Any]]" = weakref.WeakKeyDictionary()

    def get(self, model: Any, key: Any, build: Callable[[], Any]) -> Any:
        """The computation for (model, key), built by ``build()`` the first time."""
        try:  # built already: a plain read (dict reads are atomic), no lock
            return self._store[model][key]
        except KeyError:
            pass
        with self._lock:
            per_model = self._store.setdefault(model, {})
            if key not in per_model:
                per_model[key] = build()
            return per_model[key]

    def __getitem__(self, model: Any) -> Dict[Any, Any]:
        return self._store[model]

    def clear(self) -> None:
        """Forget everything built."""
        with self._lock:
            self._store.clear()


def check_activation(layer: Any, outputs: List[Any], is_tensor: Any) -> Any:
    """The explained layer's one output in this pass, or a ValueError saying what to choose instead.

    ``is_tensor(value)`` tells whether a value is one tensor of the world.
    """
    name = getattr(layer, "name", layer)
    if not outputs:
        raise ValueError(
            NO_GRADIENT + " Layer {!r} is not on the path from the model's input to the explained "
            "output: the model never called it. Choose a layer of this model (see model.summary()), "
            "or for a layer inside a nested model its name or 'outer/inner' path.".format(name)
        )
    if len(outputs) > 1:
        raise ValueError(
            "Layer {!r} is called {} times in one forward pass (a shared layer), so its "
            "activations are ambiguous. Choose a layer that is called once.".format(name, len(outputs))
        )
    output = outputs[0]
    if not is_tensor(output):
        raise ValueError(
            "Layer {!r} returns {} rather than one tensor; choose a layer with a single "
            "output.".format(name, type(output).__name__)
        )
    found = rank(output)
    if found is None or found < 3:
        raise ValueError(
            "Layer {!r} has output shape {}, with no spatial axes to localise over. Choose a "
            "convolutional or pooling layer (output rank 3 or more).".format(name, _shape_text(output))
        )
    return output


def check_output(outputs: List[Any], index: int) -> Any:
    """Output ``index`` of the model's flattened outputs, checked to be (batch, classes)."""
    chosen = outputs[index]
    if rank(chosen) != 2:
        raise ValueError(
            "The explained output must have shape (batch, classes); got {}. Pick a "
            "classification output with output=...".format(_shape_text(chosen))
        )
    return chosen


def recording_softmax_and_sigmoid() -> Any:
    """A context recording Keras 3's softmax and sigmoid calls (their input and output), so that
    an output they made can be recognised: for ``logits=True`` and probability scores."""
    from keras.src.ops import nn

    from ._capture import record_function_calls

    return record_function_calls([nn.softmax, nn.sigmoid], "x")


def scores_of_kind(flat_outputs: List[Any], output_index: int, recorded: Any, kind: str, softmax: Any) -> Any:
    """Keras 3 worlds: the explained output (``kind="output"``), the logits its softmax was given
    (``"logits"``), or probabilities (``"probability"``: the output if a softmax or sigmoid made
    it, else ``softmax(output)``). ``recorded``: what :func:`recording_softmax_and_sigmoid` saw."""
    chosen = check_output(flat_outputs, output_index)
    if kind == "output":
        return chosen
    producer = recorded.producer_of(chosen)
    if kind == "logits":
        if producer is None or producer[0] != "softmax":
            raise not_softmax(producer[0] if producer else None)
        return producer[1]
    return chosen if producer is not None else softmax(chosen)


def not_softmax(found: Any) -> ValueError:
    """The error for logits=True on an output that no softmax computed (``found``: the operation
    that did, or None when only "not a softmax" is known)."""
    origin = ("comes from a {!r} operation".format(found) if found is not None
              else "was not computed by Keras' softmax as its last step")
    return ValueError(
        "logits=True needs an output computed by a softmax activation, but this output "
        "{}. Leave logits=False for models that already output "
        "logits or use another activation.".format(origin)
    )


def not_on_path(layer: Any, scores_shape: Any, activation_shape: Any) -> ValueError:
    """The error for a layer the model calls but whose output the explained scores do not use."""
    return ValueError(
        NO_GRADIENT + " ys: the explained output's scores, shape {}. xs: [the output of layer {!r}, shape {}]. "
        "grads: [None]. The explained output does not depend on that layer; choose a layer on its path "
        "(or another output with output=...).".format(tuple(scores_shape), getattr(layer, "name", layer),
                                                      tuple(activation_shape)))


def as_numpy(tensor: Any) -> np.ndarray:
    """A tensor of any world as numpy (a PyTorch tensor is detached from its graph and moved to the CPU)."""
    detach = getattr(tensor, "detach", None)
    return np.asarray(detach().cpu() if detach is not None else tensor)


def rank(value: Any) -> Any:
    """The rank of a tensor of any world (None when unknown or not a tensor)."""
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    rank = getattr(shape, "rank", None)
    if rank is not None or hasattr(shape, "rank"):
        return rank
    return len(shape)


def _shape_text(value: Any) -> str:
    shape = value.shape
    return str(shape) if hasattr(shape, "rank") else str(tuple(shape))
