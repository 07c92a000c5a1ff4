"""An independent Grad-CAM reference for tests: a plain GradientTape plus the formula in numpy.

Tests build the forward pass themselves (with public Keras API: sub-models of a nested
model's own graph, or a subclassed model's parts called by hand), so nothing here shares
code with eli5_compat's capture or engine.
"""
import numpy as np
import tensorflow as tf


def tape_terms(split_forward, x, target=None):
    """``split_forward(x) -> (activations, class_scores)`` run under a tape.

    Returns activations, gradients of the target's score (the top class when None) and the
    score, as numpy arrays for the first sample.
    """
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
    ``to_scores(activations)``. The tape watches the activations before the second stage runs,
    so it records that stage even when its layers are frozen (no trainable variables)."""
    activations = tf.convert_to_tensor(to_activations(tf.convert_to_tensor(x)))
    with tf.GradientTape() as tape:
        tape.watch(activations)
        scores = to_scores(activations)
        chosen = int(np.argmax(scores[0].numpy())) if target is None else target
        score = scores[0, chosen]
    grads = tape.gradient(score, activations)
    return activations[0].numpy(), grads[0].numpy(), float(score.numpy()), chosen


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
