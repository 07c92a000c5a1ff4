"""The JAX world of the Grad-CAM core (Keras 3 with ``KERAS_BACKEND=jax``).

How it differentiates with respect to an inner layer's output without touching the model:
``jax.make_jaxpr`` traces ``model.stateless_call`` (the weights are inputs, in
``model.variables`` order, so later ``set_weights``, training and freezing layers are seen) while the profile hook of :mod:`._capture` notes the
value the explained layer returns. The traced program also takes a placeholder of that
value's shape as an extra input. In a copy of the program, every use of the layer's output
after the layer is rewired to the placeholder, so the copy computes the model's outputs
from the placeholder: the head of the model as a function of the activations. One
``jax.jit``-compiled function then runs the program once for the activations and takes the
gradient of the head at them. The program is built once per (model, layer, output, logits,
input shapes, batch size included, and dtypes) and reused.
"""
from __future__ import annotations

import time
import weakref
from typing import Any, List, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import ClosedJaxpr, jaxpr_as_fun

from ._capture import record_layer_calls
from ._engine import ModelCache, check_activation, not_on_path, recording_softmax_and_sigmoid, scores_of_kind

_TERMS = ModelCache()
_POLL_SECONDS = 0.001  # see wait()
_L2_EPSILON = 1e-12  # as tf.math.l2_normalize: x / sqrt(max(sum(x^2), 1e-12))


def clear_cache() -> None:
    """Forget this world's compiled computations."""
    _TERMS.clear()


def compute_terms(model: Any, layer: Any, inputs: Sequence[np.ndarray], targets: np.ndarray,
                  output_index: int, logits: bool, gradients: bool = True) -> Sequence[Any]:
    """Activations, gradients, weights, targets, scores and raw gradients (see ``_engine``);
    without ``gradients``, a program that returns no gradient arrays (None in their place):
    copying them out of the compiled program is most of the cost on small models."""
    return prepare_terms(model, layer, inputs, targets, output_index, logits, gradients)(inputs)


def prepare_terms(model: Any, layer: Any, inputs: Sequence[np.ndarray], targets: np.ndarray,
                  output_index: int, logits: bool, gradients: bool = True) -> Any:
    """``compute_terms`` for later inputs of the shapes and dtypes of ``inputs``, with these targets:
    the compiled program is looked up (or built) now, once."""
    specs = _specs(inputs)
    fn, variables = _TERMS.get(model, (id(layer), output_index, logits, specs, gradients),
                               lambda: _build_terms(model, layer, specs, output_index, logits, gradients))
    chosen = np.asarray(targets, dtype=np.int32)
    return lambda xs: fn(_current(variables), tuple(xs), chosen)


def wait(values: Sequence[Any]) -> Sequence[Any]:
    """``compute_terms``' values once computed. JAX computes them in the background; for up to
    ``_POLL_SECONDS`` this thread polls for them rather than sleeping, then blocks as usual.

    Why: a thread that blocks is put to sleep, and on a virtual machine its core may be idled;
    waking it costs tens of microseconds, and the Python that follows (the map, the
    Explanation) then runs about twice slower on cold caches. On a small model (0.3 ms for
    the whole computation) that was a tenth of each call. Polling is bounded, so on bigger
    models it costs at most that long of one core per call.
    """
    is_ready = getattr(values[0], "is_ready", None)  # jax.Array.is_ready (absent from some older JAX)
    if is_ready is not None:
        deadline = time.perf_counter() + _POLL_SECONDS
        while not is_ready() and time.perf_counter() < deadline:
            pass
    return values


def compute_scores(model: Any, inputs: Sequence[np.ndarray], targets: np.ndarray, output_index: int,
                   kind: str) -> np.ndarray:
    """Each input's score for its target class (see ``_engine.compute_scores``)."""
    specs = _specs(inputs)
    fn, variables = _TERMS.get(model, ("scores", output_index, kind, specs),
                               lambda: _build_scores(model, output_index, kind))
    return fn(_current(variables), tuple(inputs), np.asarray(targets, dtype=np.int32))


def trace_abstract(model: Any, specs: Any, forward: Any) -> List[Any]:
    """Call ``forward(*xs)`` once on abstract inputs of ``specs`` (batch 1), computing nothing;
    returns the shapes of its flattened outputs."""
    structs = [jax.ShapeDtypeStruct((1,) + tuple(shape), dtype) for shape, dtype in specs]
    return [tuple(leaf.shape) for leaf in jax.tree_util.tree_leaves(jax.eval_shape(forward, *structs))]


def _specs(inputs: Sequence[np.ndarray]) -> Tuple[Any, ...]:
    # Whole shapes: a traced program has a fixed batch size.
    return tuple((a.shape, a.dtype) for a in inputs)


def _current(variables: Sequence[Any]) -> List[Any]:
    """The variables' current values. Read from the variables themselves: ``Variable.value`` would
    also consult Keras' thread-local scopes, which costs about 5% of a small model's call; as in
    the TensorFlow world, a ``keras.StatelessScope`` around the call is not consulted."""
    return [v._value for v in variables]


def _values(model: Any) -> List[Any]:
    """The current values of all the model's variables, in ``model.variables`` order: an order that
    does not change when layers are frozen or unfrozen (the trainable split does). A built program
    keeps that list of variables (a model's variables are fixed once it is built) and reads their
    values at each call, so later ``set_weights`` and training are seen."""
    return [v.value for v in model.variables]


def _call(model: Any, values: List[Any], xs: Sequence[Any]) -> Any:
    """The model's outputs with its variables set to ``values`` (in ``model.variables`` order)."""
    by_id = {id(v): value for v, value in zip(model.variables, values)}
    trainable = [by_id[id(v)] for v in model.trainable_variables]
    non_trainable = [by_id[id(v)] for v in model.non_trainable_variables]
    outputs, _ = model.stateless_call(trainable, non_trainable, xs[0] if len(xs) == 1 else list(xs), training=False)
    return outputs


def _head_output(outputs: Any, output_index: int, recorded: Any, kind: str) -> Any:
    return scores_of_kind(jax.tree_util.tree_leaves(outputs), output_index, recorded, kind, lambda v: jax.nn.softmax(v, axis=-1))


def _pick(scores_of_all: Any, targets: Any) -> Tuple[Any, Any]:
    chosen = jnp.where(targets < 0, jnp.argmax(scores_of_all, axis=-1).astype(targets.dtype), targets)
    return chosen, jnp.take_along_axis(scores_of_all, chosen[:, None], axis=1)[:, 0]


def _build_scores(model: Any, output_index: int, kind: str) -> Any:
    model_ref = weakref.ref(model)

    def scores(values: Any, xs: Any, targets: Any) -> Any:
        with recording_softmax_and_sigmoid() as activations:
            outputs = _call(model_ref(), values, xs)
        return _pick(_head_output(outputs, output_index, activations, kind), targets)[1]

    return jax.jit(scores), tuple(model.variables)


def _build_terms(model: Any, layer: Any, specs: Any, output_index: int, logits: bool, with_gradients: bool) -> Any:
    def traced(values: Any, xs: Any, placeholder: Any) -> Any:
        with record_layer_calls(lambda obj: obj is layer) as record, recording_softmax_and_sigmoid() as activations:
            outputs = _call(model, values, xs)
        activation = check_activation(layer, record.outputs_of(layer), _is_tensor)
        scores_of_all = _head_output(outputs, output_index, activations, "logits" if logits else "output")
        return scores_of_all, activation, placeholder

    values = _values(model)
    structs = [jax.ShapeDtypeStruct(shape, dtype) for shape, dtype in specs]
    scores_struct, activation_struct, _ = jax.eval_shape(lambda v, xs: traced(v, xs, 0.0), values, structs)
    placeholder = jax.ShapeDtypeStruct(activation_struct.shape, activation_struct.dtype)
    head = _rewired(jax.make_jaxpr(traced)(values, structs, placeholder),
                    lambda: not_on_path(layer, scores_struct.shape, activation_struct.shape))
    rank = len(activation_struct.shape)

    def terms(values: Any, xs: Any, targets: Any) -> Tuple[Any, ...]:
        flat = jax.tree_util.tree_leaves((values, list(xs)))
        _, activation = head(*flat, jnp.zeros(activation_struct.shape, activation_struct.dtype))

        def total_score(values: Any) -> Any:
            scores_of_all, _ = head(*flat, values)
            chosen, scores = _pick(scores_of_all, targets)
            return jnp.sum(scores), (chosen, scores)

        raw, (chosen, scores) = jax.grad(total_score, has_aux=True)(activation)
        axes = tuple(range(1, rank))
        norm = jax.lax.rsqrt(jnp.maximum(jnp.sum(raw * raw, axis=axes, keepdims=True), _L2_EPSILON))
        gradients = raw * norm
        weights = jnp.mean(gradients, axis=tuple(range(1, rank - 1)))
        if not with_gradients:
            return activation, None, weights, chosen, scores, None
        return activation, gradients, weights, chosen, scores, raw

    return jax.jit(terms), tuple(model.variables)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, jax.Array)


def _depends_on(output: Any, source: Any, eqns: List[Any]) -> bool:
    """Whether ``output`` (a variable of the program) is computed from ``source``."""
    needed = {output}
    for eqn in reversed(eqns):
        if any(v in needed for v in eqn.outvars):
            needed.update(v for v in eqn.invars if not hasattr(v, "val"))  # literals carry .val
    return source in needed


def _rewired(closed: Any, error: Any) -> Any:
    """The traced program (outputs: scores, activation, placeholder; last input: the placeholder)
    with every use of the activation after the layer read from the placeholder instead; as a
    function of the flat inputs returning [scores, activation]. Raises ``error()`` when
    the scores do not depend on the activation."""
    jaxpr = closed.jaxpr
    scores_var, activation_var, placeholder_var = jaxpr.outvars
    if activation_var in jaxpr.invars or placeholder_var is not jaxpr.invars[-1]:
        raise ValueError("The explained layer returns one of the model's inputs unchanged; choose a layer "
                         "that computes something (a convolution or pooling layer).")

    def swap(var: Any) -> Any:
        return placeholder_var if var is activation_var else var

    eqns = [eqn.replace(invars=[swap(v) for v in eqn.invars]) for eqn in jaxpr.eqns]
    if not _depends_on(swap(scores_var), placeholder_var, eqns):
        raise error()
    program = ClosedJaxpr(jaxpr.replace(eqns=eqns, outvars=[swap(scores_var), activation_var]), closed.consts)
    return lambda *args: jaxpr_as_fun(program)(*args)
