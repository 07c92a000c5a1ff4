"""Every way eli5 0.11 let callers pass ``targets``, ``layer`` and ``image``: positional, keyword, mixed.

eli5 0.11 registered ``explain_prediction_keras(model, doc, targets=None, layer=None, image=None)``
on its dispatcher, so extra positionals reached it; ``show_prediction(estimator, doc, **kwargs)``
took keywords only. Results are compared with the keyword form and with eli5 0.11's recorded
goldens (tests/golden: ``instance_target`` is ``targets=[3], layer=<conv2d>``, ``keras_fn_name``
is ``layer="conv2d_1"`` on the tutorial model). The TypeError messages below are what eli5 0.11
raised for the same calls (run in the legacy venv: TF 2.15, graph mode, Python 3.11).
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import eli5_compat
from eli5_compat.keras import explain_prediction as keras_module

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import cases  # noqa: E402

GOLDENS = json.loads((GOLDEN_DIR / "data" / "goldens.json").read_text())["good"]
DISPATCHERS = {"top": eli5_compat.explain_prediction, "keras_module": keras_module.explain_prediction,
               "keras_fn": keras_module.explain_prediction_keras}


@pytest.fixture(scope="module")
def stored():
    with np.load(GOLDEN_DIR / "data" / "goldens.npz") as data:
        return {k: data[k] for k in data.files if k.startswith(("weights/tutorial/", "docs/tutorial/f32",
                                                                 "results/tutorial/f32/"))}


@pytest.fixture(scope="module")
def model(keras, stored):
    built = cases.build_models(keras)["tutorial"]
    prefix = "weights/tutorial/"
    built.set_weights([stored[k] for k in sorted(k for k in stored if k.startswith(prefix))])
    return built


@pytest.fixture(scope="module")
def doc(stored):
    return stored["docs/tutorial/f32"]


def _check_golden(expl, stored, case):
    golden = GOLDENS["tutorial/f32/" + case]
    assert int(expl.targets[0].target) == golden["target"]
    assert float(expl.targets[0].score) == pytest.approx(golden["score"], rel=1e-5)
    np.testing.assert_allclose(expl.targets[0].heatmap, stored["results/tutorial/f32/%s/heatmap" % case],
                               rtol=0, atol=1e-5)


def _same(a, b):
    assert (a.targets[0].target, a.targets[0].score) == (b.targets[0].target, b.targets[0].score)
    np.testing.assert_array_equal(a.targets[0].heatmap, b.targets[0].heatmap)
    assert a.image.tobytes() == b.image.tobytes()


@pytest.mark.parametrize("entry", sorted(DISPATCHERS))
def test_targets_and_layer_by_position_keyword_or_mixed(entry, model, doc, stored):
    fn = DISPATCHERS[entry]
    layer = model.get_layer("conv2d")
    keyword = fn(model, doc, targets=[3], layer=layer)
    _check_golden(keyword, stored, "instance_target")
    for form in (fn(model, doc, [3], layer), fn(model, doc, [3], layer=layer), fn(model, doc, layer=layer, targets=[3])):
        _same(form, keyword)
        _check_golden(form, stored, "instance_target")


@pytest.mark.parametrize("entry", sorted(DISPATCHERS))
def test_layer_name_by_position_with_default_targets(entry, model, doc, stored):
    expl = DISPATCHERS[entry](model, doc, None, "conv2d_1")
    _check_golden(expl, stored, "keras_fn_name")
    _same(expl, DISPATCHERS[entry](model, doc, layer="conv2d_1"))


@pytest.mark.parametrize("entry", sorted(DISPATCHERS))
def test_image_by_position(entry, model, doc):
    picture = Image.new("RGB", (28, 28), "purple")
    positional = DISPATCHERS[entry](model, doc, [3], "conv2d", picture)
    assert positional.image is picture
    keyword = DISPATCHERS[entry](model, doc, image=picture, layer="conv2d", targets=[3])
    np.testing.assert_array_equal(positional.targets[0].heatmap, keyword.targets[0].heatmap)
    assert keyword.image is picture


# (arguments after model and doc, keywords, eli5 0.11's TypeError message)
LEGACY_ERRORS = [
    (([1], "conv2d", None, 5), {}, "explain_prediction_keras() takes from 2 to 5 positional arguments but 6 were given"),
    (([1],), {"targets": [1]}, "explain_prediction_keras() got multiple values for argument 'targets'"),
    (([1], "conv2d"), {"layer": "conv2d"}, "explain_prediction_keras() got multiple values for argument 'layer'"),
    ((None, None, None), {"image": None}, "explain_prediction_keras() got multiple values for argument 'image'"),
    ((), {"foo": 1}, "explain_prediction_keras() got an unexpected keyword argument 'foo'"),
]


@pytest.mark.parametrize("entry", sorted(DISPATCHERS))
@pytest.mark.parametrize("args, kwargs, message", LEGACY_ERRORS)
def test_bad_call_forms_raise_legacy_type_errors(entry, args, kwargs, message, model, doc):
    with pytest.raises(TypeError) as info:
        DISPATCHERS[entry](model, doc, *args, **kwargs)
    assert str(info.value) == message


def test_doc_given_twice_is_legacy_type_error(model, doc):
    with pytest.raises(TypeError) as info:
        eli5_compat.explain_prediction(model, doc, doc=doc)
    assert str(info.value) == "explain_prediction_keras() got multiple values for argument 'doc'"


def test_show_prediction_takes_keywords_only_as_legacy(model, doc, stored):
    shown = eli5_compat.show_prediction(model, doc, alpha_limit=0.5, layer="conv2d_1")
    np.testing.assert_allclose(np.asarray(shown, dtype=np.int16),
                               stored["results/tutorial/f32/show_prediction/pixels"], atol=2)
    for args, message in ((([1],), "show_prediction() takes 2 positional arguments but 3 were given"),
                          (([1], "conv2d"), "show_prediction() takes 2 positional arguments but 4 were given")):
        with pytest.raises(TypeError) as info:
            eli5_compat.show_prediction(model, doc, *args)
        assert str(info.value) == message
    with pytest.raises(TypeError) as info:
        eli5_compat.show_prediction(model, doc, estimator=model)
    assert str(info.value) == "show_prediction() got multiple values for argument 'estimator'"
