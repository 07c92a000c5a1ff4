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
