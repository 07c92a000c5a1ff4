"""The TensorFlow world of the Grad-CAM core (Keras 3 on TensorFlow, tf-keras, Keras 2).

The computation is traced once per (model, layer, output, logits, input signature) and
reused: as a ``tf.function`` in eager mode, or as fetches in the Keras session graph when
eager execution is disabled (tf-keras / TF 2.15 only). The caches hold the model weakly.

What invalidates a cached trace: nothing the user does through weights (``set_weights``,
training, assigning variables are all seen live). Replacing a layer's attributes that
change what its ``call`` does (for example swapping an ``activation`` object) is not seen
until :func:`clear_cache` is called.
"""
from __future__ import annotations

import contextlib
import logging
import weakref
from typing import Any, List, Sequence, Tuple

import numpy as np
import tensorflow as tf

from . import _compat
from ._capture import record_layer_calls
from ._engine import NO_GRADIENT, ModelCache, check_activation, check_output, not_softmax

_EAGER = ModelCache()
_GRAPH = ModelCache()
_PASS_THROUGH_OPS = ("Identity", "Cast")


class _OwnRetracingFilter(logging.Filter):
    """TensorFlow warns about "retracing" when many functions share a Python body; ours are one
    function per (model, layer, signature) by design, so that warning is noise for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("retracing" in message and "gradcam_terms" in message)


tf.get_logger().addFilter(_OwnRetracingFilter())


def clear_cache() -> None:
    """Forget this world's compiled computations."""
    _EAGER.clear()
    _GRAPH.clear()


def compute_terms(model: Any, layer: Any, inputs: Sequence[np.ndarray], targets: np.ndarray,
                  output_index: int, logits: bool, gradients: bool = True) -> Sequence[Any]:
    """Activations, gradients, weights, targets, scores and raw gradients (see ``_engine``).
    The gradients come whether asked for or not: views of TensorFlow's buffers cost nothing."""
    specs = tuple((tuple(a.shape[1:]), a.dtype.name) for a in inputs)
    key = (id(layer), output_index, bool(logits), specs)
    if tf.executing_eagerly():
        fn = _EAGER.get(model, key, lambda: _build_eager(model, layer, specs, output_index, logits))
        values = fn(tuple(tf.constant(a) for a in inputs), tf.constant(targets, dtype=tf.int64))
        # Read-only views of TensorFlow's buffers: .numpy() would copy every activation-sized
        # result (on a batch that copy costs about a tenth of the Grad-CAM itself).
        values = [np.asarray(v) for v in values]
    else:
        if _compat.is_keras3(model):
            raise RuntimeError(
                "Keras 3 models cannot run with eager execution disabled, and "
                "tensorflow.compat.v1.disable_eager_execution() was called. Remove that call "
                "(`eli5-compat migrate` does it for you): eli5_compat runs in eager mode."
            )
        placeholders, target_ph, fetches, session = _GRAPH.get(
            model, key, lambda: _build_graph(model, layer, specs, output_index, logits)
        )
        feed = {ph: a for ph, a in zip(placeholders, inputs)}
        feed[target_ph] = targets
        values = session.run(list(fetches), feed_dict=feed)
    return values


def wait(values: Sequence[Any]) -> Sequence[Any]:
    """``compute_terms``' values, which this world has computed by the time it returns."""
    return values


def compute_scores(model: Any, inputs: Sequence[np.ndarray], targets: np.ndarray, output_index: int,
                   kind: str) -> np.ndarray:
    """Each input's score for its target class (see ``_engine.compute_scores``)."""
    specs = tuple((tuple(a.shape[1:]), a.dtype.name) for a in inputs)
    key = ("scores", output_index, kind, specs)
    if tf.executing_eagerly():
        fn = _EAGER.get(model, key, lambda: _build_scores_eager(model, specs, output_index, kind))
        return np.asarray(fn(tuple(tf.constant(a) for a in inputs), tf.constant(targets, dtype=tf.int64)))
    placeholders, target_ph, fetch, session = _GRAPH.get(
        model, key, lambda: _build_scores_graph(model, specs, output_index, kind))
    feed = {ph: a for ph, a in zip(placeholders, inputs)}
    feed[target_ph] = targets
    return session.run(fetch, feed_dict=feed)


def trace_abstract(model: Any, specs: Any, forward: Any) -> List[Any]:
    """Call ``forward(*xs)`` once on symbolic inputs of ``specs`` (shape without batch, dtype),
    without computing anything; returns the shapes of its flattened tensor outputs."""
    shapes: List[Any] = []

    def traced(*xs: tf.Tensor) -> Any:
        outputs = forward(*xs)
        shapes.extend(tuple(t.shape.as_list()) for t in tf.nest.flatten(outputs) if isinstance(t, tf.Tensor))
        return outputs

    tensor_specs = [tf.TensorSpec((None,) + tuple(shape), dtype) for shape, dtype in specs]
    if tf.executing_eagerly():
        tf.function(traced, autograph=False).get_concrete_function(*tensor_specs)
    else:
        with _compat.v1_session(model).graph.as_default():
            traced(*[tf.compat.v1.placeholder(s.dtype, s.shape) for s in tensor_specs])
    return shapes


def _build_eager(model: Any, layer: Any, specs: Any, output_index: int, logits: bool) -> Any:
    model_ref, layer_ref = weakref.ref(model), weakref.ref(layer)

    def gradcam_terms(xs: Tuple[tf.Tensor, ...], targets: tf.Tensor) -> Tuple[tf.Tensor, ...]:
        return _trace(model_ref(), layer_ref(), list(xs), targets, output_index, logits)

    return _concrete(gradcam_terms, specs)


def _build_scores_eager(model: Any, specs: Any, output_index: int, kind: str) -> Any:
    model_ref = weakref.ref(model)

    def gradcam_scores(xs: Tuple[tf.Tensor, ...], targets: tf.Tensor) -> tf.Tensor:
        return _trace_scores(model_ref(), list(xs), targets, output_index, kind)

    return _concrete(gradcam_scores, specs)


def _concrete(body: Any, specs: Any) -> Any:
    signature = (
        tuple(tf.TensorSpec((None,) + shape, dtype) for shape, dtype in specs),
        tf.TensorSpec((None,), tf.int64),
    )
    # Traced here, once; calling the concrete function skips tf.function's per-call dispatch.
    return tf.function(body, input_signature=signature, autograph=False).get_concrete_function()


def _build_graph(model: Any, layer: Any, specs: Any, output_index: int, logits: bool) -> Any:
    return _in_session(model, specs, lambda xs, targets: _trace(model, layer, xs, targets, output_index, logits))


def _build_scores_graph(model: Any, specs: Any, output_index: int, kind: str) -> Any:
    return _in_session(model, specs, lambda xs, targets: _trace_scores(model, xs, targets, output_index, kind))


def _in_session(model: Any, specs: Any, trace: Any) -> Any:
    session = _compat.v1_session(model)
    with session.graph.as_default():
        placeholders = [
            tf.compat.v1.placeholder(dtype, (None,) + shape, name="eli5_compat_input")
            for shape, dtype in specs
        ]
        target_ph = tf.compat.v1.placeholder(tf.int64, (None,), name="eli5_compat_targets")
        fetches = trace(placeholders, target_ph)
    return placeholders, target_ph, fetches, session


# How the core differentiates. True (every world): a tf.GradientTape that is active during
# the forward pass and watches the explained layer's output the moment that layer returns it,
# so the tape records every op computed from it whatever the variables on the way. (Keras'
# trainable=False leaves the tf.Variables trainable, so a default tape would also see a frozen
# base; it would miss a path with only non-trainable variables, e.g. BatchNorm statistics.)
# False: tf.gradients over the same traced graph, kept as the baseline that
# benchmarks/bench_differentiation.py measures the tape against. In Keras 3, tf-keras and graph
# mode (TF 2.15) the tape's graph is tf.gradients' minus one unused MatMul (the gradient for
# the head's kernel) and per-call times differ by no more than the benchmark's A/A noise, so
# the tape is used everywhere.
_USE_TAPE = True


def _trace(
    model: Any, layer: Any, xs: List[tf.Tensor], targets: tf.Tensor, output_index: int, logits: bool
) -> Tuple[tf.Tensor, ...]:
    """Build the Grad-CAM graph for one forward pass (called while tracing)."""
    tape = tf.GradientTape(watch_accessed_variables=False) if _USE_TAPE else None
    watch = None if tape is None else (lambda value: _watch(tape, value))
    with tape if tape is not None else contextlib.nullcontext():
        with record_layer_calls(lambda obj: obj is layer, on_output=watch) as record:
            outputs = model(xs[0] if len(xs) == 1 else xs, training=False)
        activation = check_activation(layer, record.outputs_of(layer), _is_tensor)
        scores_of_all = _pick_output(outputs, output_index)
        if logits:
            scores_of_all = _logits_before_softmax(scores_of_all)
        chosen = tf.where(targets < 0, tf.argmax(scores_of_all, axis=-1, output_type=tf.int64), targets)
        scores = tf.gather(scores_of_all, chosen, batch_dims=1)
    if tape is not None:
        grads = tape.gradient(scores, activation)
    else:
        grads = tf.gradients(scores, [activation])[0]
    if grads is None:
        raise ValueError(NO_GRADIENT + " ys: {}. xs: {}. grads: {}".format(scores, [activation], grads))
    rank = len(activation.shape)
    raw = grads  # CAM methods that are not scale-invariant in the gradients (Grad-CAM++) need these
    grads = tf.math.l2_normalize(grads, axis=list(range(1, rank)))
    weights = tf.reduce_mean(grads, axis=list(range(1, rank - 1)))
    return activation, grads, weights, chosen, scores, raw


def _trace_scores(model: Any, xs: List[tf.Tensor], targets: tf.Tensor, output_index: int, kind: str) -> tf.Tensor:
    """Build the forward-only scoring graph (called while tracing)."""
    outputs = model(xs[0] if len(xs) == 1 else xs, training=False)
    scores_of_all = _pick_output(outputs, output_index)
    if kind == "logits":
        scores_of_all = _logits_before_softmax(scores_of_all)
    elif kind == "probability" and _last_op(scores_of_all).type not in ("Softmax", "Sigmoid"):
        scores_of_all = tf.nn.softmax(scores_of_all, axis=-1)
    chosen = tf.where(targets < 0, tf.argmax(scores_of_all, axis=-1, output_type=tf.int64), targets)
    return tf.gather(scores_of_all, chosen, batch_dims=1)


def _watch(tape: tf.GradientTape, value: Any) -> None:
    # Runs inside the profile hook: must not raise. Non-float or non-tensor outputs are
    # rejected later by _single_output with a clear message.
    if isinstance(value, tf.Tensor) and value.dtype.is_floating:
        tape.watch(value)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, tf.Tensor)


def _pick_output(outputs: Any, index: int) -> tf.Tensor:
    flat = list(outputs) if isinstance(outputs, (list, tuple)) else tf.nest.flatten(outputs)
    return check_output(flat, index)


def _last_op(tensor: tf.Tensor) -> Any:
    while tensor.op.type in _PASS_THROUGH_OPS:
        tensor = tensor.op.inputs[0]
    return tensor.op


def _logits_before_softmax(probabilities: tf.Tensor) -> tf.Tensor:
    op = _last_op(probabilities)
    if op.type != "Softmax":
        raise not_softmax(op.type)
    return op.inputs[0]
