"""Explanations work with eli5's own formatters and with attrs, as eli5 0.11's did.

The tests comparing with eli5 0.11 need ``eli5`` importable: they are marked ``legacy_eli5`` and run
in the graph-mode world (the legacy venv, eli5 0.11 installed; deselected in the other worlds). The
rest run everywhere.
"""
import pickle
import threading

import attr
import numpy as np
import pytest
from PIL import Image

import eli5_compat
from eli5_compat.base import Explanation, TargetExplanation

# eli5 0.11's field lists, in positional order, with their defaults (from eli5/base.py).
LEGACY_FIELDS = {
    Explanation: [("estimator", attr.NOTHING), ("description", None), ("error", None), ("method", None),
                  ("is_regression", False), ("targets", None), ("feature_importances", None),
                  ("decision_tree", None), ("highlight_spaces", None), ("transition_features", None),
                  ("image", None)],
    TargetExplanation: [("target", attr.NOTHING), ("feature_weights", None), ("proba", None), ("score", None),
                        ("weighted_spans", None), ("heatmap", None)],
}


@pytest.fixture(scope="module")
def model(keras):
    L = keras.layers
    built = keras.Sequential([L.Input(shape=(8, 8, 1)), L.Conv2D(2, 3, name="c"), L.Flatten(name="f"),
                              L.Dense(3, activation="softmax", name="d")], name="tiny")
    built.set_weights([np.random.default_rng(i).normal(size=w.shape).astype("float32")
                       for i, w in enumerate(built.get_weights())])
    return built


@pytest.fixture(scope="module")
def doc():
    return np.random.default_rng(7).random((1, 8, 8, 1)).astype("float32")


@pytest.fixture(scope="module")
def ours(model, doc):
    return eli5_compat.explain_prediction(model, doc)


@pytest.mark.parametrize("cls", [Explanation, TargetExplanation])
def test_attrs_classes_with_legacy_fields_defaults_and_slots(cls):
    assert attr.has(cls)
    assert [(a.name, a.default) for a in attr.fields(cls)] == LEGACY_FIELDS[cls]
    assert cls.__slots__[:-1] == tuple(name for name, _ in LEGACY_FIELDS[cls])
    assert cls.__hash__ is None  # attrs' eq without hash, as eli5 0.11: unhashable
    with pytest.raises(AttributeError):
        cls("x").not_a_field = 1


def test_repr_equality_and_positional_construction():
    target = TargetExplanation(3, None, 0.5, 0.25)
    assert repr(target) == ("TargetExplanation(target=3, feature_weights=None, proba=0.5, score=0.25, "
                            "weighted_spans=None, heatmap=None)")
    expl = Explanation("m", "d", "", "Grad-CAM", False, [target])
    assert expl == Explanation("m", description="d", error="", method="Grad-CAM", targets=[TargetExplanation(3, proba=0.5, score=0.25)])
    assert expl != Explanation("m", "d", "", "Grad-CAM", False, [TargetExplanation(4)])
    assert repr(expl).startswith("Explanation(estimator='m', description='d', error='', method='Grad-CAM', "
                                 "is_regression=False, targets=[TargetExplanation(target=3,")


def test_asdict_and_pickle_round_trip(ours):
    as_dict = attr.asdict(ours)
    assert list(as_dict) == [name for name, _ in LEGACY_FIELDS[Explanation]]
    assert as_dict["targets"][0]["heatmap"] is ours.targets[0].heatmap
    assert as_dict["image"] is ours.image
    back = pickle.loads(pickle.dumps(ours))
    assert type(back) is Explanation and type(back.image) is type(ours.image)
    assert back.image.tobytes() == ours.image.tobytes() and back.image.mode == ours.image.mode
    np.testing.assert_array_equal(back.targets[0].heatmap, ours.targets[0].heatmap)
    assert (back.estimator, back.method, back.targets[0].target, back.targets[0].score) == (
        ours.estimator, ours.method, ours.targets[0].target, ours.targets[0].score)


def test_explanations_from_threads_are_equal_in_shape_and_value(model, doc, ours):
    found = []
    threads = [threading.Thread(target=lambda: found.append(eli5_compat.explain_prediction(model, doc)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for expl in found:
        np.testing.assert_allclose(expl.targets[0].heatmap, ours.targets[0].heatmap, atol=1e-6)
        assert isinstance(expl.image, Image.Image) and expl.image.tobytes() == ours.image.tobytes()


@pytest.fixture(scope="module")
def legacy(model, doc):
    import eli5  # the graph-mode world's venv has eli5 0.11; a missing one is a failure there

    return eli5.explain_prediction(model, doc)


def _legacy_formatters():
    from eli5.formatters import fields, format_as_dict, format_as_html, format_as_text

    return fields, format_as_dict, format_as_html, format_as_text


@pytest.mark.legacy_eli5
def test_same_attrs_definition_as_installed_eli5(legacy):
    import eli5.base

    for ours_cls, theirs in ((Explanation, eli5.base.Explanation), (TargetExplanation, eli5.base.TargetExplanation)):
        facts = [(a.name, a.default, a.eq, a.order, a.hash, a.init, a.repr) for a in attr.fields(theirs)]
        assert [(a.name, a.default, a.eq, a.order, a.hash, a.init, a.repr) for a in attr.fields(ours_cls)] == facts
        assert ours_cls.__slots__ == theirs.__slots__


@pytest.mark.legacy_eli5
def test_eli5_format_as_dict_gives_legacy_dict(ours, legacy):
    _, format_as_dict, _, _ = _legacy_formatters()
    got, want = format_as_dict(ours), format_as_dict(legacy)
    assert sorted(got) == sorted(want)
    got_target, want_target = got["targets"][0], want["targets"][0]
    np.testing.assert_allclose(np.array(got_target.pop("heatmap")), np.array(want_target.pop("heatmap")), atol=1e-5)
    assert got_target.pop("score") == pytest.approx(want_target.pop("score"), rel=1e-5)
    assert got_target == want_target and type(got_target["target"]) is int
    assert np.array_equal(np.asarray(got.pop("image")), np.asarray(want.pop("image")))
    got.pop("targets"), want.pop("targets")
    assert got == want


@pytest.mark.legacy_eli5
@pytest.mark.parametrize("show", ["default", "INFO", "WEIGHTS", "ALL"])
def test_eli5_format_as_html_and_text_as_for_legacy(ours, legacy, show):
    fields, _, format_as_html, format_as_text = _legacy_formatters()
    kwargs = {} if show == "default" else {"show": getattr(fields, show)}
    assert format_as_html(ours, **kwargs) == format_as_html(legacy, **kwargs)
    try:
        want = format_as_text(legacy, **kwargs)
    except Exception as exc:  # eli5 0.11's text formatter asserts on image targets: the same must happen
        with pytest.raises(type(exc)):
            format_as_text(ours, **kwargs)
    else:
        assert format_as_text(ours, **kwargs) == want
