"""The compiled-computation cache: reused, never stale for weights, never keeping models alive.

TensorFlow traces once per (model, layer, output, logits, input signature), any batch size;
JAX once per the same and batch size (a traced program has fixed shapes); PyTorch runs eagerly
and compiles nothing (tests marked ``compiled`` are deselected there).
"""
import gc
import weakref

import numpy as np
import pytest

import eli5_compat as eli5
from conftest import BACKEND, GRAPH_MODE
from reference import seeded

if BACKEND == "tensorflow":
    import tensorflow as tf


def _store():
    if BACKEND == "jax":
        from eli5_compat.keras import _engine_jax

        return _engine_jax._TERMS
    from eli5_compat.keras import _engine_tf

    return _engine_tf._GRAPH if GRAPH_MODE else _engine_tf._EAGER


def _model(keras, seed):
    L = keras.layers
    return seeded(keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(3, 3, activation="relu", name="conv"),
                                    L.Flatten(), L.Dense(4, activation="softmax")], name="cached"), seed)


def _heat(model, doc, **kw):
    return eli5.explain_prediction(model, doc, **kw).targets[0].heatmap


@pytest.fixture
def doc():
    return np.random.default_rng(0).random((1, 8, 8, 1)).astype("float32")


def test_new_weights_are_picked_up(keras, doc):
    model, other = _model(keras, 1), _model(keras, 2)
    first = _heat(model, doc)
    model.set_weights(other.get_weights())
    np.testing.assert_array_equal(_heat(model, doc), _heat(other, doc))
    assert not np.array_equal(first, _heat(model, doc))


@pytest.mark.compiled
def test_one_compiled_entry_per_layer_and_signature(keras, doc):
    model = _model(keras, 3)
    store = _store()
    for _ in range(5):
        _heat(model, doc)
        _heat(model, doc.astype("float64"))  # converted to the model's float32: same signature
    assert len(store[model]) == 1
    eli5.explain_predictions(model, np.repeat(doc, 7, axis=0), batch_size=3)  # batch sizes 3 and 1
    _heat(model, doc, layer="conv", targets=[2])
    if BACKEND == "jax":
        assert len(store[model]) == 2, "targets do not retrace; a new batch size (3) does, once"
    else:
        assert len(store[model]) == 1, "batch size and targets do not retrace"


def test_cache_does_not_keep_a_deleted_model_alive(keras, doc):
    model = _model(keras, 4)
    _heat(model, doc)
    eli5.explain_predictions(model, np.repeat(doc, 2, axis=0))
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


@pytest.mark.compiled
def test_every_method_reuses_grad_cam_s_compiled_trace(keras, doc):
    from eli5_compat.cam import METHOD_NAMES

    model = _model(keras, 8)  # seed 8: two of the conv's three channels are alive on doc
    store = _store()
    for method in METHOD_NAMES:
        _heat(model, doc, method=method)
        eli5.explain_predictions(model, np.repeat(doc, 5, axis=0), batch_size=2, method=method, progress=False)
    kinds = sorted(key[0] if key[0] == "scores" else "terms" for key in store[model])
    if BACKEND == "jax":  # one gradient program per batch size (1 and 2 images) with gradient outputs, one without
        assert kinds.count("terms") == 4 and "scores" in kinds, kinds  # and with or without gradient outputs
    else:
        assert kinds == ["scores", "terms"], "one gradient trace for all methods, one forward trace for Score-CAM"
    if GRAPH_MODE:
        graph = tf.compat.v1.get_default_graph()
        ops = len(graph.get_operations())
        for method in METHOD_NAMES:
            _heat(model, doc, method=method, targets=[1])
        assert len(graph.get_operations()) == ops


@pytest.mark.eager_only
@pytest.mark.compiled
def test_clear_cache_after_changing_a_layer_in_place(keras, doc):
    model = _model(keras, 5)
    before = _heat(model, doc)
    conv = model.get_layer("conv")
    conv.activation = keras.activations.get("linear")  # what the cache cannot see
    assert np.array_equal(_heat(model, doc), before), "documented: the old trace is reused"
    eli5.keras.clear_cache()
    fresh = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
    fresh.set_weights(model.get_weights())
    np.testing.assert_allclose(_heat(model, doc), _heat(fresh, doc), rtol=0, atol=1e-6)


@pytest.mark.graph_only  # graph growth exists only with eager execution disabled
def test_graph_mode_builds_the_graph_once(keras, doc):
    model = _model(keras, 6)
    _heat(model, doc)
    graph = tf.compat.v1.get_default_graph()
    ops = len(graph.get_operations())
    for target in range(4):
        _heat(model, doc, targets=[target])
    assert len(graph.get_operations()) == ops


def test_freezing_or_unfreezing_a_layer_after_a_call_changes_no_result(keras, doc):
    # On JAX the compiled program takes the weights as inputs: they are passed in an order that
    # does not depend on which layers are trainable, so freezing one does not mix them up.
    model = _model(keras, 9)
    first = _heat(model, doc)
    model.get_layer("conv").trainable = False
    np.testing.assert_array_equal(_heat(model, doc), first)
    model.get_layer("conv").trainable = True
    model.layers[-1].trainable = False
    np.testing.assert_array_equal(_heat(model, doc), first)
