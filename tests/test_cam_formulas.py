"""Every CAM method against an independent reference written here from its paper's formula.

The terms come from the test's own forward pass (a GradientTape over a split forward built
with public Keras API; in graph mode, ``tf.gradients`` on the model's symbolic tensors), one
image at a time; the formulas are numpy, the Score-CAM upsampling is ``scipy.ndimage.zoom``.
Nothing is shared with eli5_compat. Maps are compared after ReLU and division by their max + 1e-7,
as eli5 0.11 normalises Grad-CAM, within 1e-5.
"""
import numpy as np
import pytest

import eli5_compat as eli5
from conftest import BACKEND, GRAPH_MODE
from reference import as_tensor, seeded, tape_terms as _tape, to_numpy, two_stage_terms

if BACKEND == "tensorflow":
    import tensorflow as tf

ATOL = 1e-5
METHODS = ("gradcam", "gradcam++", "layercam", "hirescam", "xgradcam", "scorecam", "eigencam")
LABELS = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "layercam": "Layer-CAM", "hirescam": "HiResCAM",
          "xgradcam": "XGrad-CAM", "scorecam": "Score-CAM", "eigencam": "Eigen-CAM"}


# --- the references: one image, numpy, from the papers ------------------------------------------

def _normalised(lmap):
    lmap = np.maximum(lmap, 0)
    return lmap / (lmap.max() + 1e-7)


def _unit(grads):
    return grads / np.sqrt(max(np.sum(grads ** 2), 1e-12))


def reference_map(method, acts, grads, image=None, probability=None, max_channels=None):
    """``acts``, ``grads``: (rows, cols, C) for one image; ``grads`` raw dS/dA. ``probability(batch)``:
    the target's probability for a batch of images (Score-CAM only)."""
    acts, grads = acts.astype(np.float64), grads.astype(np.float64)
    spatial = (0, 1)
    if method == "gradcam":  # Selvaraju et al.: w = mean of the (L2-normalised) gradient
        return _normalised(acts @ _unit(grads).mean(axis=spatial))
    if method == "gradcam++":  # Chattopadhay et al., exp-score form, alphas normalised per channel
        second, third = grads ** 2, grads ** 3
        denominator = 2 * second + third * acts.sum(axis=spatial)
        alphas = np.where(second != 0, second / np.where(second != 0, denominator, 1), 0)
        alpha_sums = alphas.sum(axis=spatial)
        alphas = alphas / np.where(alpha_sums != 0, alpha_sums, 1)
        weights = (alphas * np.maximum(grads, 0)).sum(axis=spatial)
        return _normalised(acts @ weights)
    if method == "layercam":  # Jiang et al.: positive gradients weight each activation
        return _normalised((np.maximum(_unit(grads), 0) * acts).sum(axis=-1))
    if method == "hirescam":  # Draelos and Carin: element-wise gradient times activation
        return _normalised((_unit(grads) * acts).sum(axis=-1))
    if method == "xgradcam":  # Fu et al.: gradient averaged with the activations as weights
        weights = (_unit(grads) * acts).sum(axis=spatial) / (acts.sum(axis=spatial) + 1e-7)
        return _normalised(acts @ weights)
    if method == "eigencam":  # Muhammad and Yeasin: projection on the first principal direction
        matrix = acts.reshape(-1, acts.shape[-1])
        _, _, vt = np.linalg.svd(matrix, full_matrices=False)
        projection = matrix @ vt[0]
        projection = -projection if projection.sum() < 0 else projection
        return _normalised(projection.reshape(acts.shape[:2]))
    if method == "scorecam":  # Wang et al.: each upsampled, min-max normalised channel masks the image
        from scipy.ndimage import zoom

        channels = np.arange(acts.shape[-1])
        if max_channels is not None:
            spread = acts.reshape(-1, acts.shape[-1]).std(axis=0)
            channels = np.argsort(-spread, kind="stable")[:max_channels]
        weights = np.zeros(acts.shape[-1])
        size = image.shape[:2]
        masked = []
        for k in channels:
            up = acts[..., k]
            if up.shape != size:
                up = zoom(up, (size[0] / up.shape[0], size[1] / up.shape[1]), order=1)
            mask = (up - up.min()) / (up.max() - up.min() + 1e-7)
            masked.append(image * (mask[..., None] if image.ndim == 3 else mask))
        weights[channels] = probability(np.stack(masked).astype("float32"))
        return _normalised(acts @ weights)
    raise AssertionError(method)


def _spatial_mean(x):
    """Mean over the two spatial axes, with the world's own ops (tf-keras and Keras 2 have no keras.ops)."""
    if BACKEND == "tensorflow":
        return tf.reduce_mean(x, axis=(1, 2))
    import keras

    return keras.ops.mean(x, axis=(1, 2))


def _rounding_sensitivity(method, acts, grads, draws=8):
    """How far the reference map moves when each gradient is changed by one unit of float32 rounding."""
    if method == "scorecam":
        return 0.0  # no gradients
    rng = np.random.default_rng(0)
    base = reference_map(method, acts, grads)
    unit = np.float32(2 ** -23)
    return max(float(np.max(np.abs(reference_map(method, acts, grads * (1 + unit * rng.choice([-1, 1], grads.shape)))
                                   - base))) for _ in range(draws))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _probability(predict, target, softmax_output):
    def probability(batch):
        out = np.asarray(predict(batch), dtype=np.float64)
        return (out if softmax_output else _softmax(out))[:, target]
    return probability


def _check(expl, method, acts, grads, score, target, **scorecam):
    assert expl.method == LABELS[method]
    assert int(expl.targets[0].target) == target
    assert float(expl.targets[0].score) == pytest.approx(score, rel=1e-5)
    want = reference_map(method, acts, grads, **scorecam)
    np.testing.assert_allclose(expl.targets[0].heatmap, want, rtol=0, atol=ATOL)


# --- a plain CNN: every world, graph mode included ---------------------------------------------

@pytest.fixture(scope="module")
def plain(keras):
    L = keras.layers
    inp = L.Input((10, 10, 3))
    h = L.Conv2D(5, 3, padding="same", activation="relu", name="c1")(inp)
    h = L.Conv2D(6, 3, activation="relu", name="c2")(h)
    model = seeded(keras.Model(inp, L.Dense(4, activation="softmax", name="probs")(L.GlobalAveragePooling2D()(h)),
                               name="plain"), 41)
    return model, np.random.default_rng(5).random((3, 10, 10, 3)).astype("float32")


def _plain_terms(model, layer, image, target):
    if GRAPH_MODE:
        session = tf.compat.v1.keras.backend.get_session()
        acts_t, out_t = model.get_layer(layer).output, model.output
        predicted = session.run(out_t, {model.input: image[None]})[0]
        chosen = int(np.argmax(predicted)) if target is None else target
        grads_t = tf.gradients(out_t[:, chosen], acts_t)[0]
        acts, grads = session.run([acts_t, grads_t], {model.input: image[None]})
        return acts[0], grads[0], float(predicted[chosen]), chosen
    if BACKEND == "tensorflow":
        from tensorflow import keras
    else:
        import keras
    if BACKEND == "jax":  # no gradient w.r.t. an intermediate value: sub-models to and from the layer
        to_acts = keras.Model(model.inputs, model.get_layer(layer).output)
        return two_stage_terms(to_acts, keras.Model(model.get_layer(layer).output, model.output), image[None], target)
    split = keras.Model(model.inputs, [model.get_layer(layer).output, model.output])
    return _tape(lambda x: tuple(split(x)), image[None], target)


def _predict(model):
    return lambda batch: model.predict(batch, verbose=0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("layer", ["c1", "c2"])  # c2 is 8x8: Score-CAM upsamples it to 10x10
def test_plain_cnn_single_and_batch(plain, method, layer):
    model, images = plain
    targets = [None, 2, 1]
    for i, target in enumerate(targets):
        acts, grads, score, chosen = _plain_terms(model, layer, images[i], target)
        extra = dict(image=images[i], probability=_probability(_predict(model), chosen, True))
        single = eli5.explain_prediction(model, images[i:i + 1], targets=None if target is None else [target],
                                         layer=layer, method=method)
        _check(single, method, acts, grads, score, chosen, **extra)
    chosen_all = [_plain_terms(model, layer, images[i], t)[3] for i, t in enumerate(targets)]
    batch = eli5.explain_predictions(model, images, targets=chosen_all, layer=layer, method=method,
                                     batch_size=2, progress=False)
    for i, expl in enumerate(batch):
        acts, grads, score, chosen = _plain_terms(model, layer, images[i], chosen_all[i])
        _check(expl, method, acts, grads, score, chosen, image=images[i],
               probability=_probability(_predict(model), chosen, True))


@pytest.mark.parametrize("max_channels", [1, 4])
def test_faster_scorecam_keeps_the_top_channels(plain, max_channels):
    model, images = plain
    acts, grads, score, chosen = _plain_terms(model, "c2", images[0], None)
    for batch_size in (1, 3):
        expl = eli5.explain_prediction(model, images[:1], layer="c2", method="scorecam", max_channels=max_channels,
                                       batch_size=batch_size)
        _check(expl, "scorecam", acts, grads, score, chosen, image=images[0], max_channels=max_channels,
               probability=_probability(_predict(model), chosen, True))


def test_bad_method_options_are_named(plain):
    model, images = plain
    with pytest.raises(ValueError, match="method must be one of 'gradcam', 'gradcam\\+\\+', .* got: 'gradcam\\+'"):
        eli5.explain_prediction(model, images[:1], method="gradcam+")
    with pytest.raises(ValueError, match="max_channels applies to method='scorecam' only"):
        eli5.explain_prediction(model, images[:1], method="layercam", max_channels=3)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="max_channels must be a positive int or None"):
            eli5.explain_prediction(model, images[:1], method="scorecam", max_channels=bad)
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            eli5.explain_prediction(model, images[:1], method="scorecam", batch_size=bad)
    with pytest.raises(ValueError, match="method must be one of"):
        eli5.explain_predictions(model, images, method=None)


# --- the other model kinds (eager worlds) --------------------------------------------------------

@pytest.fixture(scope="module")
def kinds(keras):
    """name -> (model, images, explain kwargs, split forward, softmax output?, predict for Score-CAM)."""
    L = keras.layers
    rng = np.random.default_rng(9)
    found = {}

    # a linear (logits) head: Score-CAM takes the softmax of the output
    inp = L.Input((9, 9, 3))
    conv = L.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    linear = seeded(keras.Model(inp, L.Dense(3, name="logits")(L.Flatten()(conv)), name="linear"), 43)
    split = keras.Model(linear.inputs, [linear.get_layer("conv").output, linear.output])
    found["linear head"] = (linear, rng.random((3, 9, 9, 3)).astype("float32"), {}, lambda x: tuple(split(x)),
                            False, _predict(linear))

    # nested: a functional base inside a Sequential model, explained at an inner layer
    inner_in = L.Input((12, 12, 3))
    h = L.Conv2D(6, 3, activation="relu", name="inner_a")(inner_in)
    h = L.Conv2D(5, 3, activation="relu", name="inner_b")(h)
    base = keras.Model(inner_in, h, name="base")
    nested = seeded(keras.Sequential([L.Input((12, 12, 3)), base, L.GlobalAveragePooling2D(name="gap"),
                                      L.Dense(4, activation="softmax", name="head")], name="outer"), 21)
    extractor = keras.Model(base.inputs, [base.get_layer("inner_a").output, base.output])

    def nested_split(x):
        inner, features = extractor(x)
        return inner, nested.get_layer("head")(nested.get_layer("gap")(features))

    found["nested inner layer"] = (nested, rng.random((3, 12, 12, 3)).astype("float32"), {"layer": "base/inner_a"},
                                   nested_split, True, _predict(nested))

    # subclassed
    class Net(keras.Model):  # a skip connection around the explained layer
        def __init__(self):
            super().__init__(name="net")
            self.stem = L.Conv2D(6, 3, activation="relu", padding="same", name="stem")
            self.block = L.Conv2D(6, 3, activation="relu", padding="same", name="block")
            self.out = L.Dense(3, activation="softmax")

        def call(self, x, training=False):
            stem = self.stem(x)
            return self.out(_spatial_mean(self.block(stem) + stem))

    net = Net()
    net(np.zeros((1, 10, 10, 3), "float32"))
    seeded(net, 8)

    def net_split(x):
        block = net.block(net.stem(x))
        return block, net.out(_spatial_mean(block + net.stem(x)))

    found["subclassed"] = (net, rng.random((3, 10, 10, 3)).astype("float32"), {"layer": "block"}, net_split, True,
                           lambda batch: to_numpy(net(batch)))

    # two inputs, two outputs; the second output is explained
    meta = L.Input((3,), name="meta")
    photo = L.Input((8, 8, 3), name="photo")
    feat = L.Conv2D(4, 3, padding="same", activation="relu", name="feat")(photo)
    joined = L.Concatenate()([L.GlobalAveragePooling2D()(feat), L.Dense(4)(meta)])
    multi = seeded(keras.Model([meta, photo], [L.Dense(2, activation="softmax", name="kind")(joined),
                                               L.Dense(5, activation="softmax", name="colour")(joined)],
                               name="multi"), 30)
    metas = rng.random((3, 3)).astype("float32")
    split_multi = keras.Model(multi.inputs, [multi.get_layer("feat").output, multi.outputs[1]])
    photos = rng.random((3, 8, 8, 3)).astype("float32")
    found["multi-input, output=1"] = (multi, photos, {"output": "colour", "meta": metas}, split_multi, True, multi)

    # logits=True on a softmax output: the pre-softmax score of the same weights
    soft = seeded(keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", name="conv"),
                                    L.Flatten(), L.Dense(3, activation="softmax", name="probs")], name="soft"), 17)
    inp = L.Input((8, 8, 1))
    conv = L.Conv2D(4, 3, activation="relu", name="conv")(inp)
    twin = keras.Model(inp, L.Dense(3, name="logits")(L.Flatten()(conv)), name="twin")
    twin.set_weights(soft.get_weights())
    split_twin = keras.Model(twin.inputs, [twin.get_layer("conv").output, twin.output])
    found["logits=True"] = (soft, rng.random((3, 8, 8, 1)).astype("float32") + 0.5, {"logits": True},
                            lambda x: tuple(split_twin(x)), True, _predict(soft))
    return found


KINDS = ["linear head", "nested inner layer", "subclassed", "multi-input, output=1", "logits=True"]


def _doc(kind, kwargs, images, i, stop=None):
    stop = i + 1 if stop is None else stop
    if "meta" in kwargs:
        return [kwargs["meta"][i:stop], images[i:stop]]
    return images[i:stop]


@pytest.mark.eager_only
@pytest.mark.intermediate_gradients
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_model_kind_single_and_batch(kinds, kind, method):
    model, images, kwargs, split, softmax_output, predict = kinds[kind]
    options = {k: v for k, v in kwargs.items() if k != "meta"}
    targets = [1, 0, 2]
    for i, target in enumerate(targets):
        doc = _doc(kind, kwargs, images, i)
        if "meta" in kwargs:
            acts, grads, score, chosen = _tape(lambda x: tuple(split([as_tensor(doc[0]), x])), doc[1], target)
            meta = doc[0]

            def score_of(batch, meta=meta):
                return predict.predict([np.repeat(meta, len(batch), axis=0), batch], verbose=0)[1]
            probability = _probability(score_of, chosen, softmax_output)
        else:
            acts, grads, score, chosen = _tape(split, doc, target)
            probability = _probability(predict, chosen, softmax_output)
        single = eli5.explain_prediction(model, doc, targets=[target], method=method, **options)
        _check(single, method, acts, grads, score, chosen, image=images[i], probability=probability)
        if i == 0:
            batch = eli5.explain_predictions(model, _doc(kind, kwargs, images, 0, len(images)), targets=targets,
                                             method=method, batch_size=2, progress=False, **options)
        # A batch may round the gradients differently from a single call (PyTorch's matmul kernels
        # differ with the batch size); allow ten times what one unit of float32 rounding in the
        # gradients moves this map (Grad-CAM++'s alpha sums can cancel: up to 2e-5 per unit here).
        atol = max(ATOL, 10 * _rounding_sensitivity(method, acts, grads))
        np.testing.assert_allclose(batch[i].targets[0].heatmap, single.targets[0].heatmap, rtol=0, atol=atol)
        assert batch[i].method == LABELS[method] and int(batch[i].targets[0].target) == target
