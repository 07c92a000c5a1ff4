"""Grad-CAM++, Score-CAM (and its faster variant) and Layer-CAM against tf-keras-vis 0.8.7 on Keras 3.

The explained conv layer keeps the input's resolution (padding="same", no pooling before it),
so no upsampling choice differs. tf-keras-vis's maps (``normalize_cam=False``,
``expand_cam=False``) and eli5-compat's are both divided by their maximum and compared within
1e-4. The head is linear, since tf-keras-vis's Score-CAM takes a softmax of the model's output.
"""
import numpy as np
import pytest

import eli5_compat as eli5
from reference import seeded

pytestmark = [pytest.mark.once, pytest.mark.eager_only]  # tf-keras-vis is installed in the Keras 3 world

ATOL = 1e-4


@pytest.fixture(scope="module")
def tkv():
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.layercam import Layercam
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

    return {"gradcam++": GradcamPlusPlus, "layercam": Layercam, "scorecam": Scorecam}, CategoricalScore


@pytest.fixture(scope="module")
def cnn(keras):
    L = keras.layers
    inp = L.Input((12, 12, 3))
    h = L.Conv2D(8, 3, padding="same", activation="relu", name="early")(inp)
    h = L.Conv2D(6, 3, padding="same", activation="relu", name="explained")(h)
    out = L.Dense(4, name="logits")(L.GlobalAveragePooling2D()(L.MaxPooling2D(2)(h)))
    model = seeded(keras.Model(inp, out, name="cnn"), 7)
    images = np.random.default_rng(11).random((3, 12, 12, 3)).astype("float32")
    return model, images


def _theirs(tkv, model, method, images, targets, **options):
    classes, score = tkv
    visualizer = classes[method](model, clone=False)
    cams = visualizer(score(list(targets)), images, penultimate_layer="explained", seek_penultimate_conv_layer=False,
                      normalize_cam=False, expand_cam=False, **options)
    cams = np.maximum(np.asarray(cams, dtype=np.float64), 0)
    return cams / cams.max(axis=(1, 2), keepdims=True)


def _ours(expl):
    heatmap = expl.targets[0].heatmap
    return heatmap / heatmap.max()


@pytest.mark.parametrize("method", ["gradcam++", "layercam", "scorecam"])
def test_single_images_and_a_batch_equal_tf_keras_vis(tkv, cnn, method):
    model, images = cnn
    targets = [1, 3, 0]
    theirs = _theirs(tkv, model, method, images, targets)
    batch = eli5.explain_predictions(model, images, targets=targets, layer="explained", method=method, progress=False)
    for i, target in enumerate(targets):
        single = eli5.explain_prediction(model, images[i:i + 1], targets=[target], layer="explained", method=method)
        assert single.targets[0].heatmap.max() > 0.5, "a map with content, so the comparison means something"
        np.testing.assert_allclose(_ours(single), theirs[i], rtol=0, atol=ATOL)
        np.testing.assert_allclose(_ours(batch[i]), theirs[i], rtol=0, atol=ATOL)


@pytest.mark.parametrize("channels", [2, 4])
def test_faster_scorecam_equals_max_n(tkv, cnn, channels):
    model, images = cnn
    for i, target in enumerate([2, 0]):  # one image at a time: tf-keras-vis unites the top channels of a batch
        theirs = _theirs(tkv, model, "scorecam", images[i:i + 1], [target], max_N=channels)
        ours = eli5.explain_prediction(model, images[i:i + 1], targets=[target], layer="explained", method="scorecam",
                                       max_channels=channels, batch_size=3)
        np.testing.assert_allclose(_ours(ours), theirs[0], rtol=0, atol=ATOL)
    full = eli5.explain_prediction(model, images[:1], targets=[2], layer="explained", method="scorecam")
    assert np.abs(_ours(full) - _ours(eli5.explain_prediction(
        model, images[:1], targets=[2], layer="explained", method="scorecam", max_channels=channels))).max() > 1e-3, \
        "keeping fewer channels changes the map, so the max_N comparison is not the full Score-CAM's"
