"""Models eli5 0.11 could not explain, each checked against an independent reference.

The reference (tests/reference.py) runs its own GradientTape over a forward pass the test
builds from public Keras API, then applies eli5 0.11's formula in numpy.
"""
import threading

import numpy as np
import tensorflow as tf
import pytest

import eli5_compat as eli5
from reference import gradcam_map, seeded, tape_terms

pytestmark = pytest.mark.eager_only  # issue 3: eager mode on Keras 3 and tf-keras

ATOL = 1e-5


def _heat(expl):
    return expl.targets[0].heatmap


# --- nested models -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def nested(keras):
    L = keras.layers
    inner_in = L.Input((12, 12, 3))
    x = L.Conv2D(6, 3, activation="relu", name="inner_a")(inner_in)
    x = L.Conv2D(5, 3, activation="relu", name="inner_b")(x)
    base = keras.Model(inner_in, x, name="base")
    model = keras.Sequential([L.Input((12, 12, 3)), base, L.GlobalAveragePooling2D(name="gap"),
                              L.Dense(4, activation="softmax", name="head")], name="outer")
    seeded(model, 21)
    flat = keras.Sequential([L.Input((12, 12, 3)), L.Conv2D(6, 3, activation="relu", name="a"),
                             L.Conv2D(5, 3, activation="relu", name="b"), L.GlobalAveragePooling2D(),
                             L.Dense(4, activation="softmax")], name="flat")
    flat.set_weights(model.get_weights())
    doc = np.random.default_rng(4).random((1, 12, 12, 3)).astype("float32")
    return model, base, flat, doc


def test_nested_layer_none_picks_the_base_model_and_equals_the_flat_model(nested):
    model, base, flat, doc = nested
    got = eli5.explain_prediction(model, doc)
    want = eli5.explain_prediction(flat, doc)  # flat: its last conv; nested: the base's output
    np.testing.assert_allclose(_heat(got), _heat(want), rtol=0, atol=ATOL)
    assert got.targets[0].target == want.targets[0].target


@pytest.mark.parametrize("form", ["name", "path", "instance"])
def test_nested_inner_layer_matches_reference_and_flat_model(nested, form, keras):
    model, base, flat, doc = nested
    layer = {"name": "inner_a", "path": "base/inner_a", "instance": base.get_layer("inner_a")}[form]
    got = eli5.explain_prediction(model, doc, layer=layer)
    np.testing.assert_allclose(_heat(got), _heat(eli5.explain_prediction(flat, doc, layer="a")), rtol=0, atol=ATOL)
    extractor = keras.Model(base.inputs, [base.get_layer("inner_a").output, base.output])

    def forward(x):
        inner, features = extractor(x)
        return inner, model.get_layer("head")(model.get_layer("gap")(features))

    acts, grads, score, chosen = tape_terms(forward, doc)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].target == chosen and got.targets[0].score == pytest.approx(score, rel=1e-5)


def test_two_levels_of_nesting(keras, nested):
    _, _, flat, doc = nested
    L = keras.layers
    deepest_in = L.Input((12, 12, 3))
    deepest = keras.Model(deepest_in, L.Conv2D(6, 3, activation="relu", name="deep_a")(deepest_in), name="deepest")
    middle_in = L.Input((12, 12, 3))
    middle = keras.Model(middle_in, L.Conv2D(5, 3, activation="relu", name="mid_b")(deepest(middle_in)), name="middle")
    model = keras.Sequential([L.Input((12, 12, 3)), middle, L.GlobalAveragePooling2D(),
                              L.Dense(4, activation="softmax")], name="two_levels")
    model.set_weights(flat.get_weights())
    for layer, flat_layer in [(None, "b"), ("deep_a", "a"), ("middle/deepest/deep_a", "a"), ("mid_b", "b")]:
        got = eli5.explain_prediction(model, doc, layer=layer)
        np.testing.assert_allclose(_heat(got), _heat(eli5.explain_prediction(flat, doc, layer=flat_layer)),
                                   rtol=0, atol=ATOL, err_msg=str(layer))


def test_ambiguous_nested_name_lists_candidates_and_a_path_selects(keras):
    L = keras.layers
    base_in = L.Input((8, 8, 1))
    base = keras.Model(base_in, L.Conv2D(3, 3, name="conv")(base_in), name="base")
    inp = L.Input((8, 8, 1))
    x = L.Conv2D(3, 3, padding="same", name="conv")(inp)
    x = L.Concatenate(name="cat")([x[:, 1:-1, 1:-1, :], base(inp)])
    out = L.Dense(2, activation="softmax", name="head")(L.GlobalAveragePooling2D()(x))
    model = seeded(keras.Model(inp, out, name="dup"), 3)
    doc = np.random.default_rng(0).random((1, 8, 8, 1))
    with pytest.raises(ValueError, match=r"ambiguous.*'conv'.*'base/conv'"):
        eli5.explain_prediction(model, doc, layer="conv")
    assert _heat(eli5.explain_prediction(model, doc, layer="base/conv")).shape == (6, 6)
    with pytest.raises(ValueError, match=r"No such layer: 'nope' in path 'base/nope'"):
        eli5.explain_prediction(model, doc, layer="base/nope")


@pytest.mark.slow
def test_mobilenetv2_base_inside_sequential(keras):
    L = keras.layers
    base = keras.applications.MobileNetV2(input_shape=(64, 64, 3), include_top=False, weights=None, alpha=0.35)
    model = keras.Sequential([L.Input((64, 64, 3)), base, L.GlobalAveragePooling2D(),
                              L.Dense(3, activation="softmax", name="head")], name="transfer")
    doc = np.random.default_rng(9).random((1, 64, 64, 3)).astype("float32")
    extractor = keras.Model(base.inputs, [base.get_layer("block_16_project").output, base.output])

    def forward(x):
        inner, features = extractor(x, training=False)
        return inner, model.get_layer("head")(model.layers[1](features))

    acts, grads, _, chosen = tape_terms(forward, doc)
    got = eli5.explain_prediction(model, doc, layer="block_16_project")
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].target == chosen
    auto = eli5.explain_prediction(model, doc)  # legacy's choice: the base model's output
    assert _heat(auto).shape == (2, 2) and np.isfinite(_heat(auto)).all()


# --- subclassed models ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def subclassed(keras):
    L = keras.layers

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.conv1 = L.Conv2D(4, 3, activation="relu", name="first")
            self.conv2 = L.Conv2D(6, 3, activation="relu", name="second")
            self.pool = L.GlobalAveragePooling2D()
            self.head = L.Dense(3, activation="softmax")

        def call(self, x, training=False):
            return self.head(self.pool(self.conv2(self.conv1(x))))

    net = Net()
    net(np.zeros((1, 10, 10, 3), "float32"))
    seeded(net, 8)
    doc = np.random.default_rng(2).random((1, 10, 10, 3)).astype("float32")
    return net, doc


@pytest.mark.parametrize("form", [None, "second", "conv2", "instance", "first"])
def test_subclassed_model_matches_reference(subclassed, form):
    net, doc = subclassed
    layer = net.conv2 if form == "instance" else form
    got = eli5.explain_prediction(net, doc, layer=layer)
    use_first = form == "first"

    def forward(x):
        first = net.conv1(x)
        if use_first:
            return first, net.head(net.pool(net.conv2(first)))
        second = net.conv2(first)
        return second, net.head(net.pool(second))

    acts, grads, score, chosen = tape_terms(forward, doc)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].target == chosen and got.targets[0].score == pytest.approx(score, rel=1e-5)


def test_unbuilt_subclassed_model_is_a_clear_error(keras):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.conv = keras.layers.Conv2D(2, 3)
            self.flat = keras.layers.Flatten()
            self.out = keras.layers.Dense(2)

        def call(self, x):
            return self.out(self.flat(self.conv(x)))

    with pytest.raises(ValueError, match="has not been built yet"):
        eli5.explain_prediction(Tiny(), np.zeros((1, 6, 6, 1)))


# --- several outputs, several inputs, grayscale --------------------------------------------------

@pytest.fixture(scope="module")
def two_heads(keras):
    L = keras.layers
    inp = L.Input((9, 9, 1), name="img")
    feat = L.Conv2D(4, 3, activation="relu", name="feat")(inp)
    pooled = L.GlobalAveragePooling2D()(feat)
    kind = L.Dense(3, activation="softmax", name="kind")(pooled)
    colour = L.Dense(5, activation="softmax", name="colour")(pooled)
    model = seeded(keras.Model(inp, [kind, colour], name="two_heads"), 12)
    return model, np.random.default_rng(1).random((1, 9, 9, 1)).astype("float32")


@pytest.mark.parametrize("output", [1, "colour"])
def test_multi_output_explains_the_chosen_output(two_heads, keras, output):
    model, doc = two_heads
    got = eli5.explain_prediction(model, doc, output=output, targets=[4])
    sub = keras.Model(model.inputs, [model.get_layer("feat").output, model.outputs[1]])
    acts, grads, score, _ = tape_terms(lambda x: tuple(sub(x)), doc, target=4)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].score == pytest.approx(score, rel=1e-5)
    default = eli5.explain_prediction(model, doc)  # the first output, as before
    assert default.targets[0].target < 3


def test_multi_output_bad_choices(two_heads):
    model, doc = two_heads
    with pytest.raises(ValueError, match=r"output=2 is out of range: the model has 2 output"):
        eli5.explain_prediction(model, doc, output=2)
    with pytest.raises(ValueError, match="No model output named 'size'"):
        eli5.explain_prediction(model, doc, output="size")
    with pytest.raises(ValueError, match="outside the required range"):
        eli5.keras.gradcam_backend(model, doc, [3], model.get_layer("feat"), output="kind")


@pytest.fixture(scope="module")
def two_inputs(keras):
    L = keras.layers
    meta = L.Input((3,), name="meta")
    img = L.Input((8, 8, 3), name="photo")
    x = L.GlobalAveragePooling2D()(L.Conv2D(4, 3, activation="relu", name="conv")(img))
    out = L.Dense(2, activation="softmax")(L.Concatenate()([x, L.Dense(4)(meta)]))
    model = seeded(keras.Model([meta, img], out, name="two_inputs"), 30)
    rng = np.random.default_rng(6)
    return model, rng.random((1, 3)).astype("float32"), rng.random((1, 8, 8, 3)).astype("float32")


def test_multi_input_doc_as_list_or_dict(two_inputs, keras):
    model, meta, photo = two_inputs
    as_list = eli5.explain_prediction(model, [meta, photo])
    as_dict = eli5.explain_prediction(model, {"photo": photo, "meta": meta})
    np.testing.assert_array_equal(_heat(as_list), _heat(as_dict))
    assert as_list.image.size == (8, 8) and as_list.image.mode == "RGB"
    sub = keras.Model(model.inputs, [model.get_layer("conv").output, model.output])
    acts, grads, _, _ = tape_terms(lambda x: tuple(sub([tf.constant(meta), x])), photo)
    np.testing.assert_allclose(_heat(as_list), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    from PIL import Image

    given = Image.new("RGB", (32, 32))
    assert eli5.explain_prediction(model, [meta, photo], image=given).image is given


def test_multi_input_bad_docs(two_inputs):
    model, meta, photo = two_inputs
    with pytest.raises(KeyError, match=r"doc is missing model input\(s\) \['meta'\]"):
        eli5.explain_prediction(model, {"photo": photo})
    with pytest.raises(ValueError, match="The model has 2 inputs"):
        eli5.explain_prediction(model, [photo])
    with pytest.raises(TypeError, match="pass doc as a list or a dict"):
        eli5.explain_prediction(model, photo)


def test_grayscale_rank3_input(keras):
    L = keras.layers
    inp = L.Input((10, 10))
    conv = L.Conv2D(4, 3, activation="relu", name="conv")(L.Reshape((10, 10, 1))(inp))
    model = seeded(keras.Model(inp, L.Dense(3, activation="softmax")(L.Flatten()(conv)), name="gray"), 5)
    doc = np.random.default_rng(3).random((1, 10, 10)).astype("float32")
    got = eli5.explain_prediction(model, doc)
    sub = keras.Model(model.inputs, [model.get_layer("conv").output, model.output])
    acts, grads, _, _ = tape_terms(lambda x: tuple(sub(x)), doc)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.image.mode == "L" and got.image.size == (10, 10)


# --- logits, paths, safety -------------------------------------------------------------------

@pytest.fixture(scope="module")
def saturated(keras):
    L = keras.layers
    model = keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", name="conv"),
                              L.Flatten(), L.Dense(3, activation="softmax", name="probs")], name="saturated")
    seeded(model, 17)
    kernel, bias = model.get_layer("probs").get_weights()
    model.get_layer("probs").set_weights([kernel * 400.0, bias])  # softmax saturates to exactly 1.0
    inp = L.Input((8, 8, 1))
    conv = L.Conv2D(4, 3, activation="relu", name="conv")(inp)
    linear = keras.Model(inp, L.Dense(3, name="logits")(L.Flatten()(conv)), name="linear")
    linear.set_weights(model.get_weights())
    doc = np.random.default_rng(8).random((1, 8, 8, 1)).astype("float32") + 0.5
    return model, linear, doc


def test_logits_true_explains_the_pre_softmax_score(saturated, keras):
    model, linear, doc = saturated
    plain = eli5.explain_prediction(model, doc)
    assert plain.targets[0].score == pytest.approx(1.0) and _heat(plain).max() < 1e-6  # legacy: blank
    got = eli5.explain_prediction(model, doc, logits=True)
    sub = keras.Model(linear.inputs, [linear.get_layer("conv").output, linear.output])
    acts, grads, score, chosen = tape_terms(lambda x: tuple(sub(x)), doc)
    np.testing.assert_allclose(_heat(got), gradcam_map(acts, grads), rtol=0, atol=ATOL)
    assert got.targets[0].score == pytest.approx(score, rel=1e-5) and got.targets[0].target == chosen
    assert _heat(got).max() > 0.5
    w = eli5.keras.gradcam_backend(model, doc, None, model.get_layer("conv"), logits=True)
    assert w[4] == pytest.approx(score, rel=1e-5)
    batch = eli5.explain_predictions(model, np.repeat(doc, 2, axis=0), logits=True)
    np.testing.assert_allclose(_heat(batch[1]), _heat(got), rtol=0, atol=ATOL)


def test_logits_needs_a_softmax(keras, saturated):
    _, linear, doc = saturated
    with pytest.raises(ValueError, match="logits=True needs an output computed by a softmax"):
        eli5.explain_prediction(linear, doc, logits=True)


def test_layer_off_the_path_and_layer_without_spatial_axes(keras):
    L = keras.layers
    inp = L.Input((8, 8, 1))
    used = L.Conv2D(3, 3, activation="relu", name="used")(inp)
    side = L.Conv2D(3, 3, name="side")(inp)
    out = L.Dense(2, activation="softmax", name="head")(L.GlobalAveragePooling2D(name="gap")(used))
    model = seeded(keras.Model(inp, [out, side], name="side_branch"), 2)
    doc = np.zeros((1, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="Gradient calculation resulted in None values"):
        eli5.explain_prediction(model, doc, layer="side")
    with pytest.raises(ValueError, match="Can not perform Grad-CAM on the retrieved activation layer"):
        eli5.explain_prediction(model, doc, layer="gap")


def test_concurrent_calls_equal_serial_calls_and_leave_the_model_alone(nested):
    model, base, _, doc = nested
    docs = [np.random.default_rng(i).random((1, 12, 12, 3)).astype("float32") for i in range(8)]
    layers = [None, "inner_a", "base/inner_b", None]
    weights_before = [w.copy() for w in model.get_weights()]
    serial = {(i, j): _heat(eli5.explain_prediction(model, d, layer=layers[j % 4]))
              for i, d in enumerate(docs) for j in range(4)}
    found, errors = {}, []

    def work(j):
        try:
            for i, d in enumerate(docs):
                found[(i, j)] = _heat(eli5.explain_prediction(model, d, layer=layers[j % 4]))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(j,)) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for key, heat in serial.items():
        np.testing.assert_array_equal(found[key], heat)
    for now, before in zip(model.get_weights(), weights_before):
        np.testing.assert_array_equal(now, before)
    assert [type(lay).__name__ for lay in model.layers] == ["Functional", "GlobalAveragePooling2D", "Dense"]


# --- unsuitable layers reached through nesting (issue 10, item 5) ---------------------------

@pytest.fixture(scope="module")
def squeeze_excite(keras):
    """An EfficientNet-like base whose squeeze-and-excitation layers have no spatial axes."""
    L = keras.layers
    base_in = L.Input((10, 10, 3))
    x = L.Conv2D(4, 3, activation="relu", name="top_conv")(base_in)
    s = L.GlobalAveragePooling2D(name="se_squeeze")(x)
    s = L.Dense(2, activation="relu", name="se_reduce")(s)
    s = L.Reshape((1, 1, 4), name="se_reshape")(L.Dense(4, activation="sigmoid", name="se_expand")(s))
    base = keras.Model(base_in, L.Multiply(name="se_excite")([x, s]), name="effnet_like")
    model = keras.Sequential([L.Input((10, 10, 3)), base, L.GlobalAveragePooling2D(name="pool"),
                              L.Dense(3, activation="softmax", name="head")], name="se_model")
    return seeded(model, 12), base, np.random.default_rng(3).random((1, 10, 10, 3)).astype("float32")


@pytest.mark.parametrize("form", ["name", "path", "instance"])
def test_nested_layer_without_spatial_axes_names_layer_shape_and_a_candidate(squeeze_excite, form):
    model, base, doc = squeeze_excite
    layer = {"name": "se_reduce", "path": "effnet_like/se_reduce", "instance": base.get_layer("se_reduce")}[form]
    with pytest.raises(ValueError) as caught:
        eli5.explain_prediction(model, doc, layer=layer)
    assert str(caught.value) == (
        "Can not perform Grad-CAM on layer 'effnet_like/se_reduce' (Dense, inside a nested model): "
        "its output shape is (None, 2), not a 4-D (batch, height, width, channels) feature map. "
        "Choose a layer that outputs such a feature map, e.g. the last Conv2D or activation before the "
        "global pooling. The nearest suitable layer is 'effnet_like/top_conv' (output shape "
        "(None, 8, 8, 4)): pass layer='effnet_like/top_conv'."
    )
    suggested = eli5.explain_prediction(model, doc, layer="effnet_like/top_conv")  # the advice works
    assert _heat(suggested).shape == (8, 8)


def test_nested_pooling_layer_is_named_too(squeeze_excite):
    model, _, doc = squeeze_excite
    with pytest.raises(ValueError) as caught:
        eli5.explain_prediction(model, doc, layer="se_squeeze")
    assert str(caught.value).startswith(
        "Can not perform Grad-CAM on layer 'effnet_like/se_squeeze' (GlobalAveragePooling2D, inside a "
        "nested model): its output shape is (None, 4), not a 4-D (batch, height, width, channels) feature map."
    )


def test_nested_base_without_any_suitable_layer_points_to_the_summaries(keras):
    L = keras.layers
    base_in = L.Input((6, 6, 1))
    base = keras.Model(base_in, L.Dense(3, name="only_dense")(L.Flatten(name="flat")(base_in)), name="dense_base")
    inp = L.Input((6, 6, 1))
    conv = L.Conv2D(2, 3, name="conv")(inp)
    out = L.Dense(2, activation="softmax", name="head")(
        L.Concatenate(name="cat")([base(inp), L.Flatten(name="flat_top")(conv)]))
    model = seeded(keras.Model(inp, out, name="no_candidate"), 4)
    with pytest.raises(ValueError) as caught:
        eli5.explain_prediction(model, np.zeros((1, 6, 6, 1), "float32"), layer="dense_base/only_dense")
    assert str(caught.value) == (
        "Can not perform Grad-CAM on layer 'dense_base/only_dense' (Dense, inside a nested model): "
        "its output shape is (None, 3), not a 4-D (batch, height, width, channels) feature map. "
        "Choose a layer that outputs such a feature map, e.g. the last Conv2D or activation before the "
        "global pooling. See model.summary() and the nested model's summary() for candidates."
    )


@pytest.mark.parametrize("layer", ["pool", "head", -1, "instance"])
def test_top_level_unsuitable_layer_keeps_eli5_011_message(squeeze_excite, layer):
    model, _, doc = squeeze_excite
    if layer == "instance":
        layer = model.get_layer("pool")  # a top-level layer passed as an instance
    with pytest.raises(ValueError) as caught:
        eli5.explain_prediction(model, doc, layer=layer)
    assert str(caught.value) == "Can not perform Grad-CAM on the retrieved activation layer"
