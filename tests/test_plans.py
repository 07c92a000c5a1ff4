"""A one-image call like the model's previous one starts the core before its checks
(eli5_compat.keras._plans): results and errors stay those of checking first.

The expected maps come from tests/reference.py's two-stage Grad-CAM (sub-models split at the
layer, the backend's own gradient), not from the library.
"""
import numpy as np
import pytest

import eli5_compat as eli5
from eli5_compat.keras import _engine, _inputs, _plans
from reference import gradcam_map, seeded, two_stage_terms


@pytest.fixture(scope="module")
def small(keras):
    L = keras.layers
    model = keras.Sequential([L.Input((10, 10, 3)), L.Conv2D(4, 3, activation="relu", name="a"),
                              L.Conv2D(6, 3, activation="relu", name="b"), L.GlobalAveragePooling2D(name="gap"),
                              L.Dense(5, activation="softmax", name="head")], name="plans_small")
    seeded(model, 7)
    doc = np.random.default_rng(3).random((1, 10, 10, 3)).astype("float32")
    return model, doc


def _reference(keras, model, doc, layer, target=None):
    names = ["a", "b", "gap", "head"]
    to_acts = keras.Model(model.inputs, model.get_layer(layer).output)
    after = [model.get_layer(name) for name in names[names.index(layer) + 1:]]

    def to_scores(acts):
        for lay in after:
            acts = lay(acts)
        return acts

    acts, grads, _, _ = two_stage_terms(to_acts, to_scores, doc, target)
    return gradcam_map(acts, grads)


@pytest.fixture(autouse=True)
def no_plan(small):
    """Each test starts with no plan remembered for the model."""
    with _plans._LOCK:
        _plans._LAST.pop(small[0], None)


@pytest.fixture
def events(monkeypatch):
    """The order in which the core is started and the doc's shape is checked."""
    seen = []
    prepare, validate = _engine.prepare_terms, _inputs.validate_single

    def counted_prepare(*args, **kwargs):
        launch = prepare(*args, **kwargs)

        def counted_launch(arrays):
            seen.append("start")
            return launch(arrays)

        return counted_launch

    def counted_validate(*args, **kwargs):
        seen.append("check")
        return validate(*args, **kwargs)

    monkeypatch.setattr(_engine, "prepare_terms", counted_prepare)
    monkeypatch.setattr(_inputs, "validate_single", counted_validate)
    return seen


@pytest.mark.eager_only
def test_a_repeated_call_starts_before_its_checks_with_the_same_result(small, keras, events):
    model, doc = small
    expected = _reference(keras, model, doc, "a", 2)
    first = eli5.explain_prediction(model, doc, layer="a", targets=[2])
    first_order = list(events)
    del events[:]
    second = eli5.explain_prediction(model, doc, layer="a", targets=[2])
    assert first_order == ["check", "start"]
    assert events == ["start", "check"]
    for explanation in (first, second):
        target = explanation.targets[0]
        assert type(target.target) is np.int64 and target.target == 2
        np.testing.assert_allclose(target.heatmap, expected, atol=1e-5)
    assert np.array_equal(first.targets[0].heatmap, second.targets[0].heatmap)


def test_other_arguments_do_not_reuse_the_plan(small, events):
    model, doc = small
    eli5.explain_prediction(model, doc, layer="b")
    del events[:]
    eli5.explain_prediction(model, doc, layer="b", targets=[1])
    assert events == ["check", "start"]
    del events[:]
    eli5.explain_prediction(model, doc[:, :, :, :].copy(), layer="b", targets=[1])  # same shapes: reused
    assert events == ["start", "check"]
    del events[:]
    eli5.explain_prediction(model, doc.astype("float64"), layer="b", targets=[1])  # another dtype
    assert events == ["check", "start"]


@pytest.mark.eager_only
def test_a_stale_plan_is_replaced_by_what_the_checks_decide(small, keras):
    model, doc = small
    eli5.explain_prediction(model, doc, layer="b")
    parts = _inputs.split_doc(model, doc)
    call_key = _plans._key(parts, "b", None, None, False, "gradcam")
    remembered = _plans._recall(model, call_key)
    stale = _plans.Plan.of(model.get_layer("a"), 0, 4, False)
    launch = _engine.prepare_terms(model, model.get_layer("a"), [doc], np.full(1, 4, np.int64), 0, False, False)
    with _plans._LOCK:
        # As if the model had changed since: the remembered plan names another layer and class.
        _plans._LAST[model] = _plans._Remembered(call_key, stale, launch, remembered.dtypes, remembered.generation)
    assert _plans._recall(model, call_key).plan is stale
    got = eli5.explain_prediction(model, doc, layer="b")
    heatmap = got.targets[0].heatmap
    assert heatmap.shape == (6, 6)  # layer b's map, not layer a's (8, 8)
    np.testing.assert_allclose(heatmap, _reference(keras, model, doc, "b"), atol=1e-5)
    assert _plans._recall(model, call_key).plan.layer() is model.get_layer("b")


def test_clear_cache_forgets_the_plans(small, events):
    model, doc = small
    eli5.explain_prediction(model, doc, layer="b")
    eli5.keras.clear_cache()
    del events[:]
    eli5.explain_prediction(model, doc, layer="b")
    assert events == ["check", "start"]
    del events[:]
    eli5.explain_prediction(model, doc, layer="b")
    assert events == ["start", "check"]


def test_a_check_failing_after_the_early_start_is_the_calls_error(small, monkeypatch):
    model, doc = small
    eli5.explain_prediction(model, doc, layer="a")

    def refuse(*args, **kwargs):
        raise ValueError("the doc changed")

    monkeypatch.setattr(_inputs, "validate_single", refuse)
    with pytest.raises(ValueError, match="the doc changed"):
        eli5.explain_prediction(model, doc, layer="a")


def test_failed_calls_leave_no_plan_and_fail_the_same_way_again(small):
    model, doc = small
    for _ in range(2):
        with pytest.raises(ValueError, match=r"Prediction target index is outside the required range \[0, 5\)"):
            eli5.explain_prediction(model, doc, layer="a", targets=[9])
    parts = _inputs.split_doc(model, doc)
    assert _plans._recall(model, _plans._key(parts, "a", [9], None, False, "gradcam")) is None


@pytest.mark.parametrize("layer, targets, output, logits", [
    ("a", [np.int64(1)], None, False),  # eli5 0.11 refuses numpy ints: never remembered
    ("a", (1,), None, False),
    ("a", None, True, False),
    ("a", None, None, 1),
    (1.5, None, None, False),
])
def test_arguments_of_other_kinds_get_no_key(small, layer, targets, output, logits):
    model, doc = small
    assert _plans._key([doc], layer, targets, output, logits, "gradcam") is None


def test_an_image_error_still_comes_before_the_layer_error(small):
    model, doc = small
    two_channels = doc[..., :2].copy()
    for _ in range(2):
        with pytest.raises(ValueError, match="Unsupported channel number: 2"):
            eli5.explain_prediction(model, two_channels, layer="no_such_layer")


def test_wait_returns_the_values_and_polls_for_a_bounded_time(small, monkeypatch):
    model, _ = small
    world = _engine.world(model)

    class NeverReady:
        polls = 0

        def is_ready(self):
            NeverReady.polls += 1
            return False

    values = (NeverReady(), None, None, None, None, None)
    if world.__name__.endswith("_engine_jax"):
        clock = iter(np.arange(0.0, 1.0, 0.0004))
        monkeypatch.setattr(world.time, "perf_counter", lambda: float(next(clock)))
    assert world.wait(values) is values
    if world.__name__.endswith("_engine_jax"):
        assert 1 <= NeverReady.polls <= int(world._POLL_SECONDS / 0.0004) + 1  # then blocks as usual
    else:
        assert NeverReady.polls == 0  # computed already: nothing to wait for
