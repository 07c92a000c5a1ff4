"""Every model kind on every backend (issue 12, items 1, 3 and 4), against references written here.

Runs unchanged in every world: Keras 3 on TensorFlow, tf-keras, graph mode (TF 2.15; a subclassed
model's named layers are eager-only there, as the README says), Keras 3 with ``KERAS_BACKEND=jax`` and with ``KERAS_BACKEND=torch``. Each expected
value comes from a two-stage forward pass the test builds from the model's own layers (called by
hand) and the backend's plain autodiff (:func:`reference.gradient`: GradientTape, ``jax.grad``,
``torch.autograd.grad``), then eli5 0.11's formula (:func:`reference.gradcam_map`) or, for
Grad-CAM++ and Score-CAM, the paper's formula in numpy, within 1e-5.
"""
import threading

import numpy as np
import pytest

import eli5_compat as eli5
from conftest import BACKEND, GRAPH_MODE
from reference import as_tensor, gradcam_map, seeded, tape_terms, to_numpy, two_stage_terms

ATOL = 1e-5


def _heat(expl):
    return expl.targets[0].heatmap


def _check(expl, acts, grads, score, chosen, want_map=None):
    """The Explanation against the reference terms (``want_map``: Grad-CAM's when None)."""
    want = gradcam_map(acts, grads) if want_map is None else want_map
    np.testing.assert_allclose(_heat(expl), want, rtol=0, atol=ATOL)
    assert int(expl.targets[0].target) == chosen
    assert float(expl.targets[0].score) == pytest.approx(score, rel=1e-5, abs=1e-7)
    assert np.abs(grads).max() > 0  # a non-trivial case


def _chain(layers):
    def run(x):
        for lay in layers:
            x = lay(x)
        return x
    return run


# --- a plain Sequential CNN ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def plain(keras):
    L = keras.layers
    model = keras.Sequential([L.Input((12, 12, 3)), L.Conv2D(4, 3, activation="relu", name="c1"),
                              L.Conv2D(6, 3, activation="relu", name="c2"), L.Flatten(name="flat"),
                              L.Dense(5, activation="softmax", name="probs")], name="plain")
    seeded(model, 11, scale=0.2)  # not saturated: top probabilities 0.34 to 0.49
    images = np.random.default_rng(3).random((5, 12, 12, 3)).astype("float32")
    return model, images


def _plain_terms(model, layer, image, target=None):
    names = [lay.name for lay in model.layers]
    at = names.index(layer) + 1
    return two_stage_terms(_chain(model.layers[:at]), _chain(model.layers[at:]), image[None], target)


@pytest.mark.parametrize("layer", [None, "c1"])
@pytest.mark.parametrize("target", [None, 3])
def test_plain_cnn_matches_reference(plain, layer, target):
    model, images = plain
    expl = eli5.explain_prediction(model, images[:1], targets=None if target is None else [target], layer=layer)
    acts, grads, score, chosen = _plain_terms(model, layer or "c2", images[0], target)  # None: the last conv
    _check(expl, acts, grads, score, chosen)
    assert _heat(expl).shape == acts.shape[:2]


def test_gradcam_backend_types_are_eli5_011s(plain):
    model, images = plain
    layer = model.get_layer("c1")
    weights, activations, gradients, predicted_idx, predicted_val = eli5.keras.gradcam_backend(
        model, images[:1], [2], layer)
    acts, grads, score, chosen = _plain_terms(model, "c1", images[0], 2)
    # eli5 0.11 (tests/golden: "dtypes" float32 x3, "idx_type" int64, "val_type" float32)
    for array in (weights, activations, gradients):
        assert type(array) is np.ndarray and array.dtype == np.float32
    assert type(predicted_idx) is np.int64 and type(predicted_val) is np.float32
    assert predicted_idx == chosen == 2 and float(predicted_val) == pytest.approx(score, rel=1e-5)
    unit = grads.astype(np.float64) / np.sqrt(max(np.sum(grads.astype(np.float64) ** 2), 1e-12))
    np.testing.assert_allclose(activations, acts, rtol=0, atol=1e-6)
    np.testing.assert_allclose(gradients, unit, rtol=0, atol=1e-6)
    np.testing.assert_allclose(weights, unit.mean(axis=(0, 1)), rtol=0, atol=1e-6)
    np.testing.assert_allclose(eli5.keras.gradcam(weights, activations), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    expl = eli5.explain_prediction(model, images[:1], layer="c1")
    assert type(expl.targets[0].target) is np.int64 and type(expl.targets[0].score) is np.float32
    assert _heat(expl).dtype == np.float64


def test_batch_of_five_equals_five_single_calls(plain):
    model, images = plain
    targets = [None, 1, None, 4, 0]
    chosen = [_plain_terms(model, "c1", image, t)[3] for image, t in zip(images, targets)]
    batch = eli5.explain_predictions(model, images, targets=chosen, layer="c1", batch_size=5, progress=False)
    assert len(batch) == 5
    for i, expl in enumerate(batch):
        single = eli5.explain_prediction(model, images[i:i + 1], targets=[chosen[i]], layer="c1")
        np.testing.assert_allclose(_heat(expl), _heat(single), rtol=0, atol=ATOL)
        assert expl.targets[0].target == single.targets[0].target == chosen[i]
        assert float(expl.targets[0].score) == pytest.approx(float(single.targets[0].score), rel=1e-5)
        _check(expl, *_plain_terms(model, "c1", images[i], chosen[i]))
    tops = eli5.explain_predictions(model, images, layer="c2", batch_size=2, progress=False)  # uneven batches
    for i, expl in enumerate(tops):
        _check(expl, *_plain_terms(model, "c2", images[i]))


# --- logits=True: the pre-softmax model as reference ---------------------------------------------

def _without_softmax(keras, dense):
    """A new Dense with ``dense``'s weights and no activation: the pre-softmax model's last layer."""
    kernel, bias = dense.get_weights()
    pre = keras.layers.Dense(kernel.shape[1], name=dense.name + "_logits")
    pre.build((None, kernel.shape[0]))
    pre.set_weights([kernel, bias])
    return pre


def test_logits_matches_the_pre_softmax_model(plain, keras):
    model, images = plain
    pre = _without_softmax(keras, model.get_layer("probs"))
    at = [lay.name for lay in model.layers].index("c2") + 1
    to_scores = _chain(model.layers[at:-1] + [pre])
    for target in (None, 1):
        acts, grads, score, chosen = two_stage_terms(_chain(model.layers[:at]), to_scores, images[1:2], target)
        expl = eli5.explain_prediction(model, images[1:2], targets=None if target is None else [target],
                                       layer="c2", logits=True)
        _check(expl, acts, grads, score, chosen)
    probabilities = to_numpy(model(as_tensor(images[1:2])))[0]
    assert not np.isclose(float(expl.targets[0].score), probabilities[1])  # the logit, not the probability


# --- Grad-CAM++ and Score-CAM against the papers' formulas ----------------------------------------

def _normalised(lmap):
    lmap = np.maximum(lmap, 0)
    return lmap / (lmap.max() + 1e-7)


def _gradcam_plus_plus(acts, grads):
    """Chattopadhay et al. (arXiv:1710.11063), eq. 19 with exp(S): alpha = g^2 / (2 g^2 + sum_ab A g^3)
    (0 where g = 0), w_c = sum_ij alpha ReLU(g); alphas divided by their spatial sum per channel
    (the authors' code's and tf-keras-vis's choice, as eli5_compat documents); raw gradients."""
    acts, grads = acts.astype(np.float64), grads.astype(np.float64)
    g2, g3 = grads ** 2, grads ** 3
    denominator = 2 * g2 + acts.sum(axis=(0, 1)) * g3
    alphas = np.zeros_like(grads)
    nonzero = g2 != 0
    alphas[nonzero] = g2[nonzero] / denominator[nonzero]
    sums = alphas.sum(axis=(0, 1))
    alphas = alphas / np.where(sums == 0, 1, sums)
    weights = (alphas * np.maximum(grads, 0)).sum(axis=(0, 1))
    return _normalised(np.einsum("ijc,c->ij", acts, weights))


def _score_cam(acts, image, probability_of):
    """Wang et al. (arXiv:1910.01279): each channel upsampled (bilinear, corners aligned) to the
    image's size and min-max normalised masks the image; the masked image's target probability,
    scored by the model itself, is the channel's weight."""
    from scipy.ndimage import zoom

    acts = acts.astype(np.float64)
    rows, cols = image.shape[:2]
    masked = []
    for c in range(acts.shape[-1]):
        up = zoom(acts[..., c], (rows / acts.shape[0], cols / acts.shape[1]), order=1)
        span = up.max() - up.min()
        mask = (up - up.min()) / span if span > 0 else np.zeros_like(up)
        masked.append(image * mask[..., None])
    weights = probability_of(np.stack(masked).astype(np.float32))
    return _normalised(np.einsum("ijc,c->ij", acts, weights))


@pytest.mark.parametrize("method", ["gradcam++", "scorecam"])
def test_other_cam_methods_match_the_papers(plain, method):
    model, images = plain
    for i, target in [(2, None), (3, 0)]:
        acts, grads, score, chosen = _plain_terms(model, "c2", images[i], target)  # 8x8 maps on 12x12 images
        if method == "gradcam++":
            want = _gradcam_plus_plus(acts, grads)
        else:
            want = _score_cam(acts, images[i], lambda batch: to_numpy(model(as_tensor(batch)))[:, chosen])
        expl = eli5.explain_prediction(model, images[i:i + 1], targets=None if target is None else [target],
                                       layer="c2", method=method)
        assert expl.method == {"gradcam++": "Grad-CAM++", "scorecam": "Score-CAM"}[method]
        _check(expl, acts, grads, score, chosen, want_map=want)
        assert want.max() > 0.5  # the map is not blank


# --- a nested transfer-learning model --------------------------------------------------------------

@pytest.fixture(scope="module")
def nested(keras):
    """A frozen base (two convs and a squeeze-and-excitation block, as in EfficientNet) under a new head."""
    L = keras.layers
    inner_in = L.Input((12, 12, 3))
    a = L.Conv2D(6, 3, activation="relu", name="inner_a")(inner_in)
    b = L.Conv2D(5, 3, activation="relu", name="inner_b")(a)
    squeeze = L.Dense(5, activation="sigmoid", name="inner_se")(L.GlobalAveragePooling2D(name="inner_squeeze")(b))
    out = L.Multiply(name="inner_excite")([b, L.Reshape((1, 1, 5), name="inner_reshape")(squeeze)])
    base = keras.Model(inner_in, out, name="base")
    model = keras.Sequential([L.Input((12, 12, 3)), base, L.GlobalAveragePooling2D(name="gap"),
                              L.Dense(4, activation="softmax", name="head")], name="outer")
    seeded(model, 21)
    base.trainable = False  # the transfer-learning case: only the head trains
    doc = np.random.default_rng(4).random((1, 12, 12, 3)).astype("float32")
    return model, base, doc


def _nested_split(model, base, layer):
    """The nested model's forward pass split at ``layer`` (None: the base's output), by hand."""
    get = base.get_layer

    def excite(b):
        return get("inner_excite")([b, get("inner_reshape")(get("inner_se")(get("inner_squeeze")(b)))])

    def head(features):
        return model.get_layer("head")(model.get_layer("gap")(features))

    if layer == "inner_a":
        return get("inner_a"), lambda a: head(excite(get("inner_b")(a)))
    if layer == "inner_b":
        return _chain([get("inner_a"), get("inner_b")]), lambda b: head(excite(b))
    return lambda x: excite(get("inner_b")(get("inner_a")(x))), head


@pytest.mark.parametrize("layer", [None, "inner_a", "base/inner_a", "inner_b"])
@pytest.mark.parametrize("target", [None, 2])
def test_nested_inner_layer_matches_reference(nested, layer, target):
    model, base, doc = nested
    to_acts, to_scores = _nested_split(model, base, layer and layer.split("/")[-1])
    acts, grads, score, chosen = two_stage_terms(to_acts, to_scores, doc, target)
    expl = eli5.explain_prediction(model, doc, targets=None if target is None else [target], layer=layer)
    _check(expl, acts, grads, score, chosen)


# --- a subclassed model ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def subclassed(keras):
    """A subclassed model with BatchNorm and a residual connection around its second conv."""
    L = keras.layers

    class ResidualNet(keras.Model):
        def __init__(self):
            super().__init__(name="residual_net")
            self.conv1 = L.Conv2D(4, 3, activation="relu", name="first")
            self.norm = L.BatchNormalization(name="norm")
            self.conv2 = L.Conv2D(4, 3, padding="same", activation="relu", name="second")
            self.pool = L.GlobalAveragePooling2D(name="pool")
            self.head = L.Dense(3, activation="softmax", name="head")

        def call(self, x, training=False):
            h = self.norm(self.conv1(x), training=training)
            return self.head(self.pool(self.conv2(h) + h))

    net = ResidualNet()
    net(np.zeros((1, 10, 10, 3), "float32"))
    seeded(net, 8)
    return net, np.random.default_rng(2).random((1, 10, 10, 3)).astype("float32")


@pytest.mark.parametrize("layer", [None, pytest.param("second", marks=pytest.mark.eager_only),
                                   pytest.param("conv2", marks=pytest.mark.eager_only),
                                   pytest.param("first", marks=pytest.mark.eager_only)])  # README: eager mode
def test_subclassed_model_matches_reference(subclassed, layer):
    net, doc = subclassed

    def norm(a):
        return net.norm(a, training=False)

    if layer == "first":
        acts_of, scores_of = net.conv1, lambda a: net.head(net.pool(net.conv2(norm(a)) + norm(a)))
    else:  # the last layer called with the input's rank; the skip is a constant for its gradient
        skip = norm(net.conv1(as_tensor(doc)))
        acts_of, scores_of = lambda x: net.conv2(norm(net.conv1(x))), lambda b: net.head(net.pool(b + skip))
    acts, grads, score, chosen = two_stage_terms(acts_of, scores_of, doc)
    _check(eli5.explain_prediction(net, doc, layer=layer), acts, grads, score, chosen)


# --- two inputs, two outputs ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_by_two(keras):
    L = keras.layers
    img = L.Input((9, 9, 1), name="img")
    meta = L.Input((3,), name="meta")
    shared = L.Conv2D(4, 3, activation="relu", name="shared")(img)
    kind_map = L.Conv2D(3, 3, activation="relu", name="kind_conv")(shared)
    colour_map = L.Conv2D(5, 3, activation="relu", name="colour_conv")(shared)
    kind = L.Dense(3, activation="softmax", name="kind")(
        L.Concatenate(name="kind_cat")([L.GlobalAveragePooling2D(name="kind_pool")(kind_map), meta]))
    colour = L.Dense(4, activation="softmax", name="colour")(
        L.Concatenate(name="colour_cat")([L.GlobalAveragePooling2D(name="colour_pool")(colour_map), meta]))
    model = seeded(keras.Model([img, meta], [kind, colour], name="two_by_two"), 12)
    rng = np.random.default_rng(1)
    doc = [rng.random((1, 9, 9, 1)).astype("float32"), rng.random((1, 3)).astype("float32")]
    return model, doc


@pytest.mark.parametrize("output", [1, "colour"])
@pytest.mark.parametrize("layer", ["shared", "colour_conv"])
def test_two_inputs_two_outputs_explains_the_chosen_output(two_by_two, output, layer):
    model, doc = two_by_two
    get = model.get_layer
    meta = as_tensor(doc[1])
    branch = [get("colour_conv"), get("colour_pool")] if layer == "shared" else [get("colour_pool")]
    to_acts = _chain([get("shared")] + ([get("colour_conv")] if layer == "colour_conv" else []))

    def to_scores(acts):
        return get("colour")(get("colour_cat")([_chain(branch)(acts), meta]))

    for target in (None, 2):
        acts, grads, score, chosen = two_stage_terms(to_acts, to_scores, doc[0], target)
        expl = eli5.explain_prediction(model, doc, targets=None if target is None else [target], layer=layer,
                                       output=output)
        _check(expl, acts, grads, score, chosen)
    dict_doc = eli5.explain_prediction(model, {"img": doc[0], "meta": doc[1]}, targets=[2], layer=layer,
                                       output=output)
    np.testing.assert_allclose(_heat(dict_doc), _heat(expl), rtol=0, atol=ATOL)


def test_two_inputs_two_outputs_with_logits(two_by_two, keras):
    model, doc = two_by_two
    get = model.get_layer
    pre = _without_softmax(keras, get("kind"))
    meta = as_tensor(doc[1])

    def to_scores(acts):
        return pre(get("kind_cat")([get("kind_pool")(get("kind_conv")(acts)), meta]))

    acts, grads, score, chosen = two_stage_terms(get("shared"), to_scores, doc[0], 1)
    expl = eli5.explain_prediction(model, doc, targets=[1], layer="shared", output="kind", logits=True)
    _check(expl, acts, grads, score, chosen)


# --- bad input: the same errors in every world -------------------------------------------------------

NO_GRADIENT = "Gradient calculation resulted in None values. Check that the model is differentiable and try again."


def test_layer_off_the_path_of_the_explained_output(two_by_two):
    """eli5 0.11's error (its message begins with NO_GRADIENT, then names tensors: compared by prefix in
    the golden replay) for a layer the explained output does not depend on, in every world."""
    model, doc = two_by_two
    with pytest.raises(ValueError) as info:  # called in the forward pass, but only for the other output
        eli5.explain_prediction(model, doc, layer="colour_conv", output="kind")
    message = str(info.value)
    assert message.startswith(NO_GRADIENT), message
    assert "colour_conv" in message, message  # names the layer (TensorFlow: in the tensor's name)


def test_layer_of_another_model_is_not_on_the_path(two_by_two, keras):
    model, doc = two_by_two
    other = keras.Sequential([keras.layers.Input((9, 9, 1)), keras.layers.Conv2D(2, 3, name="foreign")])
    with pytest.raises(ValueError) as info:  # never called by this model
        eli5.explain_prediction(model, doc, layer=other.get_layer("foreign"), output="kind")
    assert str(info.value).startswith(
        NO_GRADIENT + " Layer 'foreign' is not on the path from the model's input to the explained output: the "
        "model never called it."), str(info.value)


def test_top_level_layer_without_spatial_axes_keeps_eli5_011s_error(plain):
    model, images = plain
    with pytest.raises(ValueError, match=r"^Can not perform Grad-CAM on the retrieved activation layer$"):
        eli5.explain_prediction(model, images[:1], layer="flat")


def test_nested_layer_without_spatial_axes_names_the_path_and_the_fix(nested):
    model, _, doc = nested
    with pytest.raises(ValueError) as info:
        eli5.explain_prediction(model, doc, layer="inner_se")
    assert str(info.value) == (
        "Can not perform Grad-CAM on layer 'base/inner_se' (Dense, inside a nested model): "
        "its output shape is (None, 5), not a 4-D (batch, height, width, channels) feature map. Choose a layer "
        "that outputs such a feature map, e.g. the last Conv2D or activation before the global pooling. The "
        "nearest suitable layer is 'base/inner_b' (output shape (None, 8, 8, 5)): pass layer='base/inner_b'.")


def test_logits_without_softmax_is_a_clear_error(keras):
    L = keras.layers
    model = seeded(keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, name="conv"), L.Flatten(),
                                     L.Dense(3, name="linear")], name="no_softmax"), 5)
    doc = np.random.default_rng(0).random((1, 8, 8, 1)).astype("float32")
    with pytest.raises(ValueError) as info:
        eli5.explain_prediction(model, doc, logits=True)
    message = str(info.value)
    # TensorFlow names the graph operation that made the output; JAX and PyTorch have no graph to ask.
    origin = ("comes from a 'BiasAdd' operation" if BACKEND == "tensorflow"
              else "was not computed by Keras' softmax as its last step")
    assert message == ("logits=True needs an output computed by a softmax activation, but this output {}. Leave "
                       "logits=False for models that already output logits or use another activation.".format(origin))


# --- the model never changes; calls are thread-safe ------------------------------------------------

def _snapshot(model):
    return ([w.copy() for w in model.get_weights()], repr(model.get_config()),
            [(lay.name, lay.trainable) for lay in model.layers])


@pytest.mark.graph_only
def test_graph_mode_first_call_in_another_thread_is_a_clear_error(keras):
    L = keras.layers
    model = seeded(keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, name="conv"), L.Flatten(),
                                     L.Dense(3, activation="softmax")], name="threaded"), 7)
    doc = np.random.default_rng(0).random((1, 8, 8, 1)).astype("float32")
    errors = []

    def worker():
        try:
            eli5.explain_prediction(model, doc)
        except Exception as error:
            errors.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError), errors
    assert "Make the first eli5_compat call for this model (and layer) in the thread that built it" in str(errors[0])
    first = _heat(eli5.explain_prediction(model, doc))  # in the model's thread: works, then any thread does
    thread = threading.Thread(target=lambda: errors.append(_heat(eli5.explain_prediction(model, doc))))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(errors[1], first)


def _same_snapshot(before, after):
    assert len(before[0]) == len(after[0]) and all(np.array_equal(a, b) for a, b in zip(before[0], after[0]))
    assert before[1:] == after[1:]


@pytest.mark.parametrize("start", [pytest.param("cold", marks=pytest.mark.eager_only), "warm"])
def test_shared_model_from_four_threads_equals_serial_calls_and_is_unchanged(plain, start):
    """cold: the threads build the computations concurrently (cache cleared); warm: they reuse them.
    (Graph mode: TensorFlow 1 keeps a graph and a session per thread, so there the first call is made
    in the model's thread: test_graph_mode_first_call_in_another_thread_is_a_clear_error.)"""
    model, images = plain
    calls = [(i % 5, layer, method) for i, (layer, method) in
             enumerate([("c1", "gradcam"), ("c2", "gradcam"), ("c2", "gradcam++"), (None, "gradcam")] * 3)]
    docs_before = images.copy()
    before = _snapshot(model)

    def run(call):
        i, layer, method = call
        expl = eli5.explain_prediction(model, images[i:i + 1], layer=layer, method=method)
        return _heat(expl), int(expl.targets[0].target), float(expl.targets[0].score)

    if start == "cold":
        eli5.keras.clear_cache()
    else:
        serial = [run(call) for call in calls]
    results, errors = {}, []

    def worker(k):
        try:
            for j in range(3 * k, 3 * k + 3):  # each thread mixes layers and methods
                results[j] = run(calls[j])
        except Exception as error:  # reported below, with the thread's call
            errors.append((k, repr(error)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(results) == list(range(len(calls)))
    if start == "cold":
        serial = [run(call) for call in calls]
    for j, (heat, target, score) in enumerate(serial):
        np.testing.assert_allclose(results[j][0], heat, rtol=0, atol=ATOL, err_msg=str(calls[j]))
        assert results[j][1:] == (target, pytest.approx(score, rel=1e-6))
    _same_snapshot(before, _snapshot(model))
    assert np.array_equal(images, docs_before)


def test_nested_and_multi_output_models_are_unchanged_by_calls(nested, two_by_two):
    model, base, doc = nested
    before, base_trainable = _snapshot(model), base.trainable
    eli5.explain_prediction(model, doc, layer="inner_a", logits=True)
    eli5.explain_prediction(model, doc, layer="base/inner_b", method="scorecam")
    _same_snapshot(before, _snapshot(model))
    assert base.trainable is base_trainable
    multi, mdoc = two_by_two
    before, copies = _snapshot(multi), [d.copy() for d in mdoc]
    eli5.explain_prediction(multi, mdoc, layer="shared", output="kind", logits=True)
    _same_snapshot(before, _snapshot(multi))
    assert all(np.array_equal(a, b) for a, b in zip(mdoc, copies))


def test_tape_reference_agrees_with_the_two_stage_one_where_it_exists(plain):
    """reference.tape_terms (one forward pass, gradient w.r.t. an intermediate value) exists in eager
    TensorFlow and PyTorch and equals two_stage_terms there; JAX and graph mode have no such value."""
    model, images = plain
    at = [lay.name for lay in model.layers].index("c1") + 1

    def split(x):
        acts = _chain(model.layers[:at])(x)
        return acts, _chain(model.layers[at:])(acts)

    if BACKEND == "jax" or GRAPH_MODE:
        with pytest.raises(NotImplementedError, match="use two_stage_terms"):
            tape_terms(split, images[:1])
        return
    tape = tape_terms(split, images[:1], 3)
    staged = _plain_terms(model, "c1", images[0], 3)
    for got, want in zip(tape[:2], staged[:2]):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert tape[2:] == (pytest.approx(staged[2], rel=1e-6), 3)


def test_world_is_the_one_asked_for(keras):
    """The suite runs where it says it does: Keras' backend is this world's (and TF is not loaded outside TF)."""
    import sys

    if BACKEND == "tensorflow":
        assert GRAPH_MODE or __import__("tensorflow").executing_eagerly()
    else:
        assert keras.backend.backend() == BACKEND
        assert "tensorflow" not in sys.modules
