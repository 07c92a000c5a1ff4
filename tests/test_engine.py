"""The core's GradientTape records frozen (trainable=False) layers: the transfer-learning case,
and a path to the score with only non-trainable variables (which a tape relying on watching
trainable variables would not record: Keras' trainable=False keeps tf.Variables trainable).

Eager worlds: checked against tests/reference.py's two-stage GradientTape (independent of the
library's capture and engine). Graph mode: checked against eli5 0.11 itself on the same model.
"""
import numpy as np
import pytest

import eli5_compat as eli5
from reference import gradcam_map, seeded, two_stage_terms

ATOL = 1e-5


def _heat(expl):
    return expl.targets[0].heatmap


def _frozen_flat(keras):
    L = keras.layers
    model = keras.Sequential([L.Input((12, 12, 3)), L.Conv2D(6, 3, activation="relu", name="a"),
                              L.Conv2D(5, 3, activation="relu", name="b"), L.GlobalAveragePooling2D(name="gap"),
                              L.Dense(4, activation="softmax", name="head")], name="frozen_flat")
    seeded(model, 31)
    for name in ("a", "b", "gap"):
        model.get_layer(name).trainable = False
    return model


@pytest.fixture(scope="module")
def frozen_base(keras):
    L = keras.layers
    inner_in = L.Input((12, 12, 3))
    x = L.Conv2D(6, 3, activation="relu", name="inner_a")(inner_in)
    base = keras.Model(inner_in, L.Conv2D(5, 3, activation="relu", name="inner_b")(x), name="base")
    model = keras.Sequential([L.Input((12, 12, 3)), base, L.GlobalAveragePooling2D(name="gap"),
                              L.Dense(4, activation="softmax", name="head")], name="transfer")
    seeded(model, 31)
    base.trainable = False  # the transfer-learning case: only the head trains
    doc = np.random.default_rng(5).random((1, 12, 12, 3)).astype("float32")
    return model, base, doc


@pytest.mark.eager_only
@pytest.mark.parametrize("layer, inner", [(None, "inner_b"), ("inner_a", "inner_a"), ("base/inner_b", "inner_b"),
                                          ("inner_b", "inner_b")])
def test_frozen_base_model_matches_the_reference(frozen_base, keras, layer, inner):
    model, base, doc = frozen_base
    assert not base.trainable and not base.trainable_weights
    to_inner = keras.Model(base.inputs, base.get_layer(inner).output)
    after = keras.Model(base.get_layer(inner).output, base.output) if inner != "inner_b" else None

    def to_scores(acts):
        features = after(acts) if after is not None else acts
        return model.get_layer("head")(model.get_layer("gap")(features))

    acts, grads, score, chosen = two_stage_terms(to_inner, to_scores, doc)
    got = eli5.explain_prediction(model, doc, layer=layer)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].target == chosen and got.targets[0].score == pytest.approx(score, rel=1e-5)
    assert np.abs(grads).max() > 0  # a non-trivial case: the gradient through the frozen layers exists


@pytest.mark.eager_only
@pytest.mark.parametrize("layer", ["a", "b"])
def test_frozen_top_level_layers_match_the_reference(keras, layer):
    model = _frozen_flat(keras)
    doc = np.random.default_rng(6).random((1, 12, 12, 3)).astype("float32")
    index = [lay.name for lay in model.layers].index(layer)

    def to_acts(x):
        for lay in model.layers[:index + 1]:
            x = lay(x)
        return x

    def to_scores(acts):
        for lay in model.layers[index + 1:]:
            acts = lay(acts)
        return acts

    acts, grads, _, chosen = two_stage_terms(to_acts, to_scores, doc)
    got = eli5.explain_prediction(model, doc, layer=layer)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].target == chosen


@pytest.mark.graph_only
@pytest.mark.parametrize("layer", [None, "a", "b"])
def test_frozen_layers_in_graph_mode_match_eli5_011(keras, layer):
    import eli5 as legacy  # graph mode's environment is eli5 0.11's own (.ci/run)

    assert legacy.__version__ == "0.11.0"
    model = _frozen_flat(keras)
    doc = np.random.default_rng(7).random((1, 12, 12, 3)).astype("float32")
    want = legacy.explain_prediction(model, doc, layer=layer)
    got = eli5.explain_prediction(model, doc, layer=layer)
    np.testing.assert_allclose(_heat(got), _heat(want), rtol=0, atol=ATOL)
    assert got.targets[0].target == want.targets[0].target


def _non_trainable_path(keras):
    """From the explained layer ("scaled") to the score, only non-trainable variables (BatchNorm's
    moving statistics): a tape that relied on watching trainable variables would record nothing."""
    L = keras.layers
    model = keras.Sequential([L.Input((8, 8, 3)), L.Rescaling(0.5, name="scaled"),
                              L.BatchNormalization(center=False, scale=False, name="bn"),
                              L.GlobalAveragePooling2D(name="gap"), L.Activation("softmax", name="probs")],
                             name="stats_only")
    seeded(model, 8, scale=1.0)
    assert not model.trainable_weights
    return model, np.random.default_rng(8).random((1, 8, 8, 3)).astype("float32")


@pytest.mark.eager_only
def test_path_of_non_trainable_variables_only_matches_the_reference(keras):
    model, doc = _non_trainable_path(keras)
    index = [lay.name for lay in model.layers].index("scaled")

    def to_scores(acts):
        for lay in model.layers[index + 1:]:
            acts = lay(acts, training=False)
        return acts

    acts, grads, _, chosen = two_stage_terms(lambda x: model.get_layer("scaled")(x), to_scores, doc)
    got = eli5.explain_prediction(model, doc, layer="scaled")
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].target == chosen and np.abs(grads).max() > 0


@pytest.mark.graph_only
def test_path_of_non_trainable_variables_in_graph_mode_matches_eli5_011(keras):
    import eli5 as legacy

    model, doc = _non_trainable_path(keras)
    want = legacy.explain_prediction(model, doc, layer="scaled")
    got = eli5.explain_prediction(model, doc, layer="scaled")
    np.testing.assert_allclose(_heat(got), _heat(want), rtol=0, atol=ATOL)
    assert got.targets[0].target == want.targets[0].target
