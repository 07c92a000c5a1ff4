"""Notebook display of explanations, and the side-by-side grid."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

import eli5_compat as eli5
from eli5_compat.base import Explanation


@pytest.fixture(scope="module")
def explanation(keras):
    model = keras.Sequential([keras.Input((10, 10, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")], name="shown")
    return eli5.explain_prediction(model, np.random.default_rng(0).random((1, 10, 10, 3)))


@pytest.mark.tooling
def test_explanation_displays_as_its_overlay_in_jupyter(explanation):
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(explanation)
    png = data["image/png"]
    shown = Image.open(io.BytesIO(png))
    np.testing.assert_array_equal(np.asarray(shown), np.asarray(eli5.format_as_image(explanation)))
    html = data["text/html"]
    target = explanation.targets[0]
    assert "target {}, score {:.4g}".format(target.target, float(target.score)) in html
    assert base64.b64encode(png).decode("ascii") in html and "Grad-CAM" in html


def test_error_explanations_display_their_error():
    expl = Explanation("m", error='model "m" is not supported <ok>')
    assert expl._repr_png_() is None
    assert expl._repr_html_() == "<pre>model &quot;m&quot; is not supported &lt;ok&gt;</pre>"


def test_grid_of_original_heatmap_overlay(explanation):
    figure = eli5.plot_explanations([explanation, explanation], row_titles=["first", "second"], alpha_limit=0.9)
    axes = figure.get_axes()
    assert len(axes) == 6 and [ax.get_title() for ax in axes[:3]] == ["original", "heatmap", "overlay"]
    assert axes[3].get_ylabel() == "second"
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert Image.open(io.BytesIO(buffer.getvalue())).size[0] > 300
    overlay = axes[2].get_images()[0].get_array()
    np.testing.assert_array_equal(np.asarray(overlay), np.asarray(eli5.format_as_image(explanation, alpha_limit=0.9)))
    with pytest.raises(ValueError, match="no image or no target"):
        eli5.plot_explanations([Explanation("m", error="x")])


@pytest.fixture(scope="module")
def by_method(keras):
    model = keras.Sequential([keras.Input((10, 10, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")], name="methods")
    images = np.random.default_rng(1).random((2, 10, 10, 3)).astype("float32")
    return {eli5.explain_prediction(model, images[:1], method=m).method:
            eli5.explain_predictions(model, images, method=m, progress=False) for m in ("gradcam", "layercam", "eigencam")}


def test_grid_of_methods_side_by_side(by_method):
    figure = eli5.plot_explanations(by_method)
    axes = figure.get_axes()
    assert [ax.get_title() for ax in axes[:4]] == ["original", "Grad-CAM", "Layer-CAM", "Eigen-CAM"]
    assert len(axes) == 8, "two images (rows) by the original and three methods (columns)"
    second_row_eigen = np.asarray(axes[7].get_images()[0].get_array())
    np.testing.assert_array_equal(second_row_eigen, np.asarray(eli5.format_as_image(by_method["Eigen-CAM"][1])))
    target = by_method["Grad-CAM"][1].targets[0]
    assert axes[4].get_ylabel() == "target {}, score {:.3g}".format(target.target, float(target.score))


def test_grid_of_methods_needs_one_explanation_per_image_for_each(by_method):
    uneven = {"Grad-CAM": by_method["Grad-CAM"], "Layer-CAM": by_method["Layer-CAM"][:1]}
    with pytest.raises(ValueError, match=r"one explanation per image; got \[2, 1\]"):
        eli5.plot_explanations(uneven)
    with pytest.raises(ValueError, match="row_titles has 1 entries for 2 rows"):
        eli5.plot_explanations(by_method, row_titles=["only one"])
