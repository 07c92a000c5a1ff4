"""An independent Grad-CAM reference for tests: plain backend autodiff plus the formula in numpy.

Tests build the forward pass themselves (with public Keras API: sub-models of a nested
model's own graph, or a subclassed model's parts called by hand), so nothing here shares
code with eli5_compat's capture or engine.

The backend is Keras' (``KERAS_BACKEND``, TensorFlow when unset): only that one is imported.
:func:`gradient` differentiates a scalar function of an array with the backend's own autodiff
(TensorFlow: ``GradientTape``; JAX: ``jax.grad``; PyTorch: ``torch.autograd.grad`` on a leaf
tensor). :func:`two_stage_terms` uses it in every world. :func:`tape_terms` needs the gradient
with respect to an intermediate value of one forward pass: TensorFlow and PyTorch have it,
JAX does not (use :func:`two_stage_terms` with a sub-model from the layer's output there).
In TensorFlow's graph mode (eager execution disabled) values are symbolic and evaluated in
Keras' session, gradients taken with ``tf.gradients``.
"""
import os

import numpy as np

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")

if BACKEND == "tensorflow":
    import tensorflow as tf
elif BACKEND == "jax":
    import jax
    import jax.numpy as jnp
elif BACKEND == "torch":
    import torch
else:
    raise ImportError("tests/reference.py: no reference for Keras backend {!r}".format(BACKEND))


def _graph_mode():
    return BACKEND == "tensorflow" and not tf.executing_eagerly()


def to_numpy(value):
    """A backend tensor (or array-like) as a numpy array."""
    if BACKEND == "tensorflow":
        if _graph_mode() and isinstance(value, tf.Tensor):
            return tf.compat.v1.keras.backend.get_session().run(value)
        return value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    if BACKEND == "torch" and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def as_tensor(values):
    """A numpy array (or tensor) as a tensor of the backend (a constant; not watched)."""
    if BACKEND == "tensorflow":
        return tf.convert_to_tensor(values)
    if BACKEND == "jax":
        return jnp.asarray(values)
    return values if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))


def gradient(fn, values):
    """``(fn(values), d fn / d values)`` as numpy, for ``fn`` mapping a tensor of ``values``'
    shape to a scalar tensor. ``values`` is a numpy array; ``fn`` may call Keras layers."""
    values = np.asarray(values)
    if BACKEND == "tensorflow":
        if _graph_mode():
            point = tf.constant(values)
            value = fn(point)
            (grads,) = tf.gradients(value, [point])
            return tuple(tf.compat.v1.keras.backend.get_session().run([value, grads]))
        point = tf.convert_to_tensor(values)
        with tf.GradientTape() as tape:
            tape.watch(point)
            value = fn(point)
        return value.numpy(), tape.gradient(value, point).numpy()
    if BACKEND == "jax":
        value, grads = jax.value_and_grad(fn)(jnp.asarray(values))
        return np.asarray(value), np.asarray(grads)
    point = torch.tensor(values, requires_grad=True)
    with torch.enable_grad():
        value = fn(point)
        (grads,) = torch.autograd.grad(value, point)
    return to_numpy(value), to_numpy(grads)


def tape_terms(split_forward, x, target=None):
    """``split_forward(x) -> (activations, class_scores)`` run under a tape.

    Returns activations, gradients of the target's score (the top class when None) and the
    score, as numpy arrays for the first sample. TensorFlow (eager) and PyTorch only.
    """
    if BACKEND == "torch":
        point = torch.tensor(np.asarray(x), requires_grad=True)  # so frozen layers are recorded too
        with torch.enable_grad():
            activations, scores = split_forward(point)
            chosen = int(np.argmax(to_numpy(scores[0]))) if target is None else target
            score = scores[0, chosen]
            (grads,) = torch.autograd.grad(score, activations)
        return to_numpy(activations[0]), to_numpy(grads[0]), float(to_numpy(score)), chosen
    if BACKEND != "tensorflow" or _graph_mode():
        raise NotImplementedError("tape_terms needs the gradient with respect to an intermediate value "
                                  "(eager TensorFlow or PyTorch); use two_stage_terms")
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        activations, scores = split_forward(x)
        tape.watch(activations)
        chosen = int(np.argmax(scores[0].numpy())) if target is None else target
        score = scores[0, chosen]
    grads = tape.gradient(score, activations)
    return activations[0].numpy(), grads[0].numpy(), float(score.numpy()), chosen


def two_stage_terms(to_activations, to_scores, x, target=None):
    """Like :func:`tape_terms` for a forward pass split in two: ``to_activations(x)`` then
    ``to_scores(activations)``. The gradient is taken with :func:`gradient` with respect to the
    activations as an input of the second stage, so that stage is recorded even when its layers
    are frozen (no trainable variables). Works in every world."""
    activations = to_numpy(to_activations(as_tensor(x)))
    scores = to_numpy(to_scores(as_tensor(activations)))
    chosen = int(np.argmax(scores[0])) if target is None else target
    score, grads = gradient(lambda a: to_scores(a)[0, chosen], activations)
    return activations[0], grads[0], float(score), chosen


def gradcam_map(activations, grads):
    """eli5 0.11's formula: grads / max(||grads||, 1e-6), spatial mean, weighted sum, ReLU, / (max + 1e-7)."""
    grads = grads.astype(np.float64)
    grads = grads / np.sqrt(max(np.sum(grads ** 2), 1e-12))
    weights = grads.reshape(-1, grads.shape[-1]).mean(axis=0)
    lmap = np.maximum(np.tensordot(activations.astype(np.float64), weights, axes=([-1], [0])), 0)
    return lmap / (lmap.max() + 1e-7)


def seeded(model, seed, scale=0.5):
    """Give ``model`` deterministic random weights (BatchNorm variances kept positive)."""
    rng = np.random.default_rng(seed)
    values = []
    for var in model.weights:
        name = var.name if hasattr(var, "name") else ""
        shape = tuple(var.shape)
        if "variance" in name:
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            values.append(rng.normal(0, scale, shape).astype("float32"))
    model.set_weights(values)
    return model
