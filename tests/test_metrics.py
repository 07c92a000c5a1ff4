"""Faithfulness metrics on cases whose answer is known by construction.

The quadrant model looks only at the top-left quadrant of a 16x16 image: its class-0 logit is
a times the sum of those pixels (class 1's is 0), so the probability of class 0 is
sigmoid(a * S) with S that sum, and every value below is computed by hand from it.
"""
import numpy as np
import pytest

import eli5_compat as eli5
from eli5_compat.metrics import (METRICS, MethodComparison, average_drop, compare_methods, deletion, gaussian_blur,
                                 increase_in_confidence, insertion)

SIZE, HALF = 16, 8


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _quadrant_model(keras, a):
    L = keras.layers
    inp = L.Input((SIZE, SIZE, 1))
    sums = L.Conv2D(1, HALF, strides=HALF, use_bias=False, name="quadrants")(inp)  # (2, 2): each quadrant's sum
    model = keras.Model(inp, L.Dense(2, activation="softmax", name="probs")(L.Flatten()(sums)), name="quadrant")
    kernel = np.zeros((4, 2), "float32")
    kernel[0, 0] = a  # flattened (2, 2) map: index 0 is the top-left quadrant
    model.get_layer("quadrants").set_weights([np.ones((HALF, HALF, 1, 1), "float32")])
    model.get_layer("probs").set_weights([kernel, np.zeros(2, "float32")])
    return model


@pytest.fixture(scope="module")
def quadrant(keras):
    images = np.random.default_rng(3).uniform(0.5, 1.0, (3, SIZE, SIZE, 1)).astype("float32")
    return _quadrant_model(keras, 0.05), images


def _map(quadrant_index):
    heat = np.zeros((SIZE, SIZE))
    row, col = divmod(quadrant_index, 2)
    heat[row * HALF:(row + 1) * HALF, col * HALF:(col + 1) * HALF] = 1.0
    return heat


def _maps(quadrant_index, count):
    return np.repeat(_map(quadrant_index)[np.newaxis], count, axis=0)


def _top_left_probability(images, a):
    return _sigmoid(a * images[:, :HALF, :HALF, 0].astype(np.float64).sum(axis=(1, 2)))


def test_deletion_and_insertion_areas_by_hand(quadrant):
    model, images = quadrant
    p = _top_left_probability(images, 0.05)
    # steps=4: 64 pixels a step; the right map removes (inserts) the whole quadrant at step 1
    want_deletion = (p / 2 + 0.5 * 3 + 0.5 / 2) / 4
    want_insertion = (0.5 / 2 + 3 * p + p / 2) / 4
    right = _maps(0, len(images))
    np.testing.assert_allclose(deletion(model, images, right, [0, 0, 0], steps=4), want_deletion, rtol=0, atol=1e-6)
    np.testing.assert_allclose(insertion(model, images, right, [0, 0, 0], steps=4, baseline=0.0), want_insertion,
                               rtol=0, atol=1e-6)


def test_the_right_heatmap_beats_a_wrong_and_a_shuffled_one(quadrant):
    model, images = quadrant
    count = len(images)
    right, wrong = _maps(0, count), _maps(3, count)
    rng = np.random.default_rng(0)
    shuffled = np.stack([rng.permutation(_map(0).reshape(-1)).reshape(SIZE, SIZE) for _ in range(count)])
    targets = np.zeros(count, int)
    for other in (wrong, shuffled):
        assert np.all(deletion(model, images, right, targets) < deletion(model, images, other, targets) - 0.01)
        # a black start: a blurred image keeps this model's quadrant sum, so blur would hide the difference
        assert np.all(insertion(model, images, right, targets, baseline=0.0)
                      > insertion(model, images, other, targets, baseline=0.0) + 0.01)
        assert np.all(average_drop(model, images, right, targets) < average_drop(model, images, other, targets))


def test_average_drop_and_increase_by_hand(quadrant, keras):
    model, images = quadrant
    p = _top_left_probability(images, 0.05)
    targets = np.zeros(len(images), int)
    # the right map keeps the quadrant as it is: no drop, no increase
    np.testing.assert_allclose(average_drop(model, images, _maps(0, 3), targets), 0.0, atol=1e-6)
    np.testing.assert_array_equal(increase_in_confidence(model, images, _maps(0, 3), targets), 0.0)
    # the wrong map blanks it: probability 0.5
    np.testing.assert_allclose(average_drop(model, images, _maps(3, 3), targets), (p - 0.5) / p, rtol=0, atol=1e-6)
    # a model whose confidence falls as the quadrant brightens: halving the quadrant raises it
    falling = _quadrant_model(keras, -0.05)
    half = _maps(0, 3) * 0.5
    np.testing.assert_array_equal(increase_in_confidence(falling, images, half, targets), 1.0)
    np.testing.assert_allclose(average_drop(falling, images, half, targets), 0.0, atol=1e-7)


def test_batches_equal_single_images_and_explanations_bring_their_targets(quadrant):
    model, images = quadrant
    explanations = eli5.explain_predictions(model, images, method="layercam", progress=False)
    heat = np.stack([e.targets[0].heatmap for e in explanations])
    targets = [int(e.targets[0].target) for e in explanations]
    for metric, _ in METRICS.values():
        together = metric(model, images, explanations, batch_size=2)
        np.testing.assert_allclose(together, metric(model, images, heat, targets), rtol=0, atol=1e-7)
        alone = [metric(model, images[i:i + 1], explanations[i:i + 1])[0] for i in range(len(images))]
        np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)


def test_blur_baseline_keeps_constants_and_mass():
    flat = np.full((2, 9, 7, 3), 0.25, "float32")
    np.testing.assert_allclose(gaussian_blur(flat, 2.0), flat, rtol=0, atol=1e-7)
    impulse = np.zeros((1, 21, 21), "float64")
    impulse[0, 10, 10] = 1.0
    blurred = gaussian_blur(impulse, 1.5)
    assert blurred.sum() == pytest.approx(1.0) and blurred[0, 10, 10] == blurred.max()
    np.testing.assert_allclose(blurred[0], blurred[0].T, atol=1e-12)


def test_compare_methods_table(quadrant):
    model, images = quadrant
    table = compare_methods(model, images, methods=["gradcam", "eigencam", "scorecam"], metrics=["deletion", "increase"],
                            steps=8)
    assert table.methods == ["gradcam", "eigencam", "scorecam"] and table.metrics == ["deletion", "increase"]
    expls = eli5.explain_predictions(model, images, method="eigencam", progress=False)
    want = deletion(model, images, expls, steps=8)
    assert table.mean["eigencam"]["deletion"] == pytest.approx(want.mean())
    assert table.std["eigencam"]["deletion"] == pytest.approx(want.std())
    markdown = table.to_markdown()
    assert markdown.splitlines()[0] == "| method | deletion (lower is better) | increase (higher is better) |"
    assert "| scorecam | " in markdown and str(table) == markdown
    assert table.as_dict()["gradcam"]["increase"]["mean"] == table.mean["gradcam"]["increase"]


def test_bad_arguments_are_named(quadrant):
    model, images = quadrant
    maps = _maps(0, 3)
    with pytest.raises(ValueError, match="one map per image: 3 images, heatmaps of shape \\(2, 16, 16\\)"):
        deletion(model, images, maps[:2])
    with pytest.raises(ValueError, match="targets must hold one class index per image \\(3\\)"):
        deletion(model, images, maps, [0, 1])
    with pytest.raises(ValueError, match="steps must be a positive int"):
        insertion(model, images, maps, steps=0)
    with pytest.raises(ValueError, match="baseline must be a number, an array or 'blur'"):
        insertion(model, images, maps, baseline="noise")
    with pytest.raises(ValueError, match="baseline of shape \\(5,\\) does not fit images"):
        deletion(model, images, maps, baseline=np.zeros(5))
    with pytest.raises(ValueError, match="unknown metric\\(s\\) \\['auc'\\]"):
        compare_methods(model, images, metrics=["auc"])
    with pytest.raises(ValueError, match="method must be one of"):
        compare_methods(model, images, methods=["gradcam", "smoothgrad"])


def test_reachable_from_the_top_level_module():
    assert eli5.metrics.compare_methods is compare_methods
    assert eli5.cam.METHOD_NAMES == ("gradcam", "gradcam++", "layercam", "hirescam", "xgradcam", "scorecam", "eigencam")


def _trapezoid(curve, steps):
    curve = np.asarray(curve, dtype=np.float64)
    return float(((curve[1:] + curve[:-1]) / 2).sum() / steps)


def test_uneven_steps_and_ties_by_hand(quadrant):
    """steps=3 on 256 pixels changes round(k * 256 / 3) = 0, 85, 171, 256 pixels; ties keep row-major order."""
    model, images = quadrant
    heat = np.full((SIZE, SIZE), 0.5)
    heat[HALF:, HALF:] = 1.0  # the bottom-right quadrant first, then every other pixel, all tied
    ranking = sorted(range(SIZE * SIZE), key=lambda i: (-heat.reshape(-1)[i], i))
    counts = [0, 85, 171, 256]
    want_deletion, want_insertion = [], []
    for image in images.astype(np.float64):
        deleted, inserted = [], []
        for count in counts:
            changed = np.zeros(SIZE * SIZE, bool)
            changed[ranking[:count]] = True
            changed = changed.reshape(SIZE, SIZE)
            quadrant_of = (image[:, :, 0] * ~changed)[:HALF, :HALF].sum()
            deleted.append(_sigmoid(0.05 * quadrant_of))
            inserted.append(_sigmoid(0.05 * (image[:, :, 0] * changed)[:HALF, :HALF].sum()))
        want_deletion.append(_trapezoid(deleted, 3))
        want_insertion.append(_trapezoid(inserted, 3))
    maps = np.repeat(heat[np.newaxis], len(images), axis=0)
    np.testing.assert_allclose(deletion(model, images, maps, [0, 0, 0], steps=3), want_deletion, rtol=0, atol=1e-6)
    np.testing.assert_allclose(insertion(model, images, maps, [0, 0, 0], steps=3, baseline=0.0), want_insertion,
                               rtol=0, atol=1e-6)


def test_insertion_blur_baseline_and_array_baselines_by_hand(quadrant):
    from scipy.ndimage import gaussian_filter

    model, _ = quadrant
    rng = np.random.default_rng(5)
    images = rng.uniform(0.8, 1.0, (2, SIZE, SIZE, 1)).astype("float32")
    images[:, :HALF, :HALF] = 0.1  # a dark quadrant: the blur brightens it
    p = _top_left_probability(images, 0.05)
    blurred = gaussian_filter(images.astype(np.float64), sigma=(0, 5, 5, 0), mode="reflect", truncate=3.0)
    start = _top_left_probability(blurred, 0.05)
    assert np.all(start > p + 0.01)
    right = _maps(0, 2)
    # the default baseline: a sigma-5 Gaussian blur; step 1 inserts the whole quadrant
    np.testing.assert_allclose(insertion(model, images, right, [0, 0], steps=4), (start / 2 + 3 * p + p / 2) / 4,
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(gaussian_blur(images, 5.0), blurred, rtol=0, atol=1e-6)
    # a baseline equal to the images changes nothing: the area is the probability itself
    np.testing.assert_allclose(deletion(model, images, right, [0, 0], baseline=images.copy()), p, rtol=0, atol=1e-6)
    # one image's shape is broadcast to every image
    np.testing.assert_allclose(deletion(model, images, right, [0, 0], steps=4, baseline=np.zeros((SIZE, SIZE, 1))),
                               deletion(model, images, right, [0, 0], steps=4, baseline=0.0), rtol=0, atol=0)


@pytest.fixture(scope="module")
def two_in_two_out(keras):
    """Inputs [side (2,), image]; outputs [aux (3 classes, class 2 always on top), probs]: the class-0 logit of
    probs is A * (top-left quadrant sum) + B * side[0], class 1's is 0."""
    L = keras.layers
    side = L.Input((2,), name="side")
    image = L.Input((SIZE, SIZE, 1), name="image")
    sums = L.Flatten()(L.Conv2D(1, HALF, strides=HALF, use_bias=False, name="quadrants")(image))
    probs = L.Dense(2, activation="softmax", name="probs")(L.Concatenate()([sums, side]))
    aux = L.Dense(3, activation="softmax", name="aux")(side)
    model = keras.Model([side, image], [aux, probs])
    model.get_layer("quadrants").set_weights([np.ones((HALF, HALF, 1, 1), "float32")])
    kernel = np.zeros((6, 2), "float32")
    kernel[0, 0], kernel[4, 0] = 0.05, 0.5
    model.get_layer("probs").set_weights([kernel, np.zeros(2, "float32")])
    model.get_layer("aux").set_weights([np.zeros((2, 3), "float32"), np.array([0, 0, 10], "float32")])
    rng = np.random.default_rng(7)
    images = rng.uniform(0.5, 1.0, (3, SIZE, SIZE, 1)).astype("float32")
    sides = rng.uniform(1.0, 2.0, (3, 2)).astype("float32")
    return model, images, sides


def test_multi_input_perturbs_only_the_image_of_the_chosen_output(two_in_two_out):
    model, images, sides = two_in_two_out
    keep_images, keep_sides = images.copy(), sides.copy()
    p = _sigmoid(0.05 * images[:, :HALF, :HALF, 0].astype(np.float64).sum(axis=(1, 2)) + 0.5 * sides[:, 0])
    q = _sigmoid(0.5 * sides[:, 0].astype(np.float64))  # the quadrant removed: only the side input speaks
    right, wrong = _maps(0, 3), _maps(3, 3)
    want = (p / 2 + 3 * q + q / 2) / 4
    # targets=None: the top class of the chosen output "probs" (class 0), not of "aux" (class 2)
    as_dict = deletion(model, {"side": sides, "image": images}, right, steps=4, output="probs")
    as_list = deletion(model, [sides, images], right, [0, 0, 0], steps=4, output=1, batch_size=2)
    np.testing.assert_allclose(as_dict, want, rtol=0, atol=1e-6)
    np.testing.assert_allclose(as_list, want, rtol=0, atol=1e-6)
    np.testing.assert_allclose(average_drop(model, [sides, images], wrong, output="probs"), (p - q) / p,
                               rtol=0, atol=1e-6)
    np.testing.assert_array_equal(increase_in_confidence(model, [sides, images], right, output="probs"), 0.0)
    np.testing.assert_array_equal(images, keep_images)
    np.testing.assert_array_equal(sides, keep_sides)


def test_compare_methods_defaults_cover_every_method_and_metric(quadrant):
    model, images = quadrant
    keep = images.copy()
    table = compare_methods(model, images)
    assert table.methods == list(eli5.cam.METHOD_NAMES) and table.metrics == list(METRICS)
    for method in table.methods:
        for metric in table.metrics:
            values = table.per_image[method][metric]
            assert values.shape == (len(images),) and values.dtype == np.float64
            assert table.mean[method][metric] == pytest.approx(values.mean(), abs=1e-12)
            assert table.std[method][metric] == pytest.approx(values.std(), abs=1e-12)
    explanations = eli5.explain_predictions(model, images, method="hirescam", progress=False)
    np.testing.assert_allclose(table.per_image["hirescam"]["insertion"], insertion(model, images, explanations),
                               rtol=0, atol=1e-9)
    assert len(table.to_markdown().splitlines()) == 2 + len(table.methods)
    np.testing.assert_array_equal(images, keep)


def test_more_bad_arguments_are_named(quadrant, monkeypatch):
    import sys

    import eli5_compat.keras

    model, images = quadrant
    for metric, _ in METRICS.values():
        with pytest.raises(ValueError, match="heatmaps of shape \\(3, 16\\) do not fit images of shape "
                                             "\\(3, 16, 16, 1\\).*e.g. shape \\(3, 16, 16\\)"):
            metric(model, images, np.ones((3, SIZE)), [0, 0, 0])
    with pytest.raises(ValueError, match="heatmaps of shape \\(3, 2, 2, 2, 2\\) do not fit"):
        deletion(model, images, np.ones((3, 2, 2, 2, 2)), [0, 0, 0])
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        average_drop(model, images, _maps(0, 3), batch_size=0)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the arguments are checked before any explanation")

    monkeypatch.setattr(eli5_compat.keras, "explain_predictions", must_not_run)
    with pytest.raises(ValueError, match="steps must be a positive int, got: 0"):
        compare_methods(model, images, metrics=["average_drop"], steps=0)
    with pytest.raises(ValueError, match="methods is empty"):
        compare_methods(model, images, methods=[])
    table = MethodComparison(["gradcam"], ["increase"], {"gradcam": {"increase": np.zeros(3)}})
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="to_pandas needs pandas: pip install pandas"):
        table.to_pandas()
