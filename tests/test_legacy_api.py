"""The legacy surface: names, module paths, signatures, containers, and no side effects."""
import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

import eli5_compat as eli5
import eli5_compat.keras.explain_prediction as keras_explain
from eli5_compat.base import Explanation, TargetExplanation
from reference import seeded

# As in eli5 0.11, eli5.keras.gradcam is the function; the module is reached via sys.modules.
gradcam_module = sys.modules["eli5_compat.keras.gradcam"]


@pytest.fixture(scope="module")
def tutorial(keras):
    layers = keras.layers
    model = keras.Sequential([
        layers.Input(shape=(12, 12, 1)),
        layers.Conv2D(6, 3, padding="same", activation="relu", name="conv2d"),
        layers.Conv2D(4, 3, padding="same", activation="relu", name="conv2d_1"),
        layers.Flatten(name="flatten"),
        layers.Dense(5, activation="softmax", name="dense"),
    ], name="sequential")
    return seeded(model, 7, scale=0.4)


def test_module_paths_resolve_like_eli5():
    assert eli5.keras.explain_prediction is keras_explain
    assert keras_explain.explain_prediction is eli5.explain_prediction
    assert eli5.keras.gradcam is gradcam_module.gradcam
    assert eli5.keras.gradcam_backend is gradcam_module.gradcam_backend
    assert eli5.keras.explain_prediction_keras is keras_explain.explain_prediction_keras
    assert eli5.formatters.image.format_as_image is eli5.format_as_image
    assert callable(eli5.formatters.image.heatmap_to_image) and callable(eli5.formatters.image.expand_heatmap)
    assert eli5.base.Explanation is Explanation and isinstance(eli5.__version__, str)


def _params(fn):
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()
            if p.kind is not inspect.Parameter.KEYWORD_ONLY]


def test_signatures_keep_legacy_positional_parameters_and_defaults():
    empty = inspect.Parameter.empty
    assert _params(keras_explain.explain_prediction_keras) == [
        ("model", empty), ("doc", empty), ("targets", None), ("layer", None), ("image", None)]
    assert _params(eli5.keras.gradcam_backend) == [
        ("model", empty), ("doc", empty), ("targets", empty), ("activation_layer", empty)]
    assert _params(eli5.keras.gradcam) == [("weights", empty), ("activations", empty)]
    fmt = inspect.signature(eli5.format_as_image).parameters
    assert fmt["resampling_filter"].default == Image.LANCZOS and fmt["alpha_limit"].default == 0.65
    assert fmt["colormap"].default.name == "viridis"


def test_containers_have_legacy_fields_defaults_and_order():
    expl = Explanation("m")
    assert (expl.description, expl.error, expl.method, expl.is_regression, expl.targets, expl.image) == (
        None, None, None, False, None, None)
    target = TargetExplanation(3, None, 0.5, 0.7)
    assert (target.target, target.proba, target.score, target.heatmap) == (3, 0.5, 0.7, None)
    assert repr(Explanation("m", error="x")).startswith("Explanation(estimator='m', description=None, error='x'")
    assert Explanation("a", method="m") == Explanation("a", method="m")
    with pytest.raises(AttributeError):
        expl.unknown_field = 1  # slots, as attrs(slots=True) made them


def test_tutorial_explanation_fields(tutorial):
    doc = np.random.default_rng(1).random((1, 12, 12, 1))
    expl = eli5.keras.explain_prediction.explain_prediction(tutorial, doc)
    assert type(expl) is Explanation and expl.method == "Grad-CAM" and expl.error == ""
    assert expl.description == keras_explain.DESCRIPTION_KERAS and expl.estimator == "sequential"
    target = expl.targets[0]
    assert type(target.target) is np.int64 and type(target.score) is np.float32 and target.proba is None
    assert target.heatmap.dtype == np.float64 and target.heatmap.shape == (12, 12)
    assert 0 <= target.heatmap.min() and target.heatmap.max() < 1
    assert expl.image.mode == "L" and expl.image.size == (12, 12)


def test_gradcam_backend_arrays_are_the_callers_to_change(tutorial):
    """eli5 0.11 returned fresh writable arrays; changing them must not change a later call's."""
    doc = np.random.default_rng(3).random((1, 12, 12, 1)).astype("float32")
    layer = tutorial.get_layer("conv2d_1")
    first = eli5.keras.gradcam_backend(tutorial, doc, None, layer)
    kept = [a.copy() for a in first[:3]]
    for array in first[:3]:
        assert array.flags.writeable
        array[...] = -1
    again = eli5.keras.gradcam_backend(tutorial, doc, None, layer)
    for now, before in zip(again[:3], kept):
        np.testing.assert_array_equal(now, before)

@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
def test_neither_model_nor_doc_is_changed(tutorial, dtype):
    doc = (np.random.default_rng(2).random((1, 12, 12, 1)) * 200).astype(dtype)
    doc_before = doc.copy()
    weights_before = [w.copy() for w in tutorial.get_weights()]
    trainable_before = [lay.trainable for lay in tutorial.layers]
    activations_before = [getattr(lay, "activation", None) for lay in tutorial.layers]
    probe = np.random.default_rng(9).random((2, 12, 12, 1)).astype("float32")
    outputs_before = tutorial.predict(probe, verbose=0)
    eli5.explain_prediction(tutorial, doc, layer="conv2d", targets=[1])
    eli5.keras.gradcam_backend(tutorial, doc, None, tutorial.get_layer("conv2d_1"))
    with pytest.raises(ValueError):
        eli5.explain_prediction(tutorial, doc, targets=[99])
    np.testing.assert_array_equal(doc, doc_before)
    assert doc.dtype == doc_before.dtype and doc.flags.writeable
    for now, before in zip(tutorial.get_weights(), weights_before):
        np.testing.assert_array_equal(now, before)
    assert [lay.trainable for lay in tutorial.layers] == trainable_before
    assert all(now is before for now, before in zip([getattr(lay, "activation", None) for lay in tutorial.layers],
                                                    activations_before))
    np.testing.assert_array_equal(tutorial.predict(probe, verbose=0), outputs_before)


def test_show_prediction_routes_format_keywords(tutorial):
    doc = np.random.default_rng(3).random((1, 12, 12, 1)).astype("float32")
    shown = eli5.show_prediction(tutorial, doc, alpha_limit=0.3, targets=[2])
    expected = eli5.format_as_image(eli5.explain_prediction(tutorial, doc, targets=[2]), alpha_limit=0.3)
    assert isinstance(shown, Image.Image)
    np.testing.assert_array_equal(np.asarray(shown), np.asarray(expected))


def test_not_supported_model_gives_error_explanation(tutorial):
    expl = eli5.explain_prediction(tutorial, np.zeros((12, 12)))
    assert expl.error == ('model "sequential" is not supported, try passing the "image" argument '
                          "if explaining an image model.")
    assert expl.targets is None and expl.image is None


def test_unknown_input_size_is_accepted(keras):
    model = keras.Sequential([keras.layers.Input((None, None, 3)), keras.layers.Conv2D(3, 3, name="c"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    expl = eli5.explain_prediction(model, np.random.default_rng(0).random((1, 9, 11, 3)))
    assert expl.targets[0].heatmap.shape == (7, 9) and expl.image.size == (11, 9)


@pytest.mark.slow
@pytest.mark.eager_only
@pytest.mark.tensorflow_only
def test_keras3_in_graph_mode_says_what_to_do():
    code = textwrap.dedent("""
        import numpy as np, tensorflow as tf
        import keras
        if int(keras.__version__.split(".")[0]) < 3:
            print("SKIPPED-NOT-KERAS3"); raise SystemExit(0)
        model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                                  keras.layers.Dense(2, activation="softmax")])
        tf.compat.v1.disable_eager_execution()
        import eli5_compat as eli5
        try:
            eli5.explain_prediction(model, np.zeros((1, 6, 6, 1)))
        except RuntimeError as exc:
            print("RAISED", exc)
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_USE_LEGACY_KERAS", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert "RAISED" in out.stdout and "disable_eager_execution" in out.stdout, out.stdout + out.stderr[-2000:]
