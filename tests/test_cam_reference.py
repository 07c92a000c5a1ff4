"""Graph mode (TF 2.15, eager disabled): the CAM methods on the model kinds beyond a plain CNN.

test_cam_formulas.py checks every method on these kinds in the eager worlds with a
GradientTape, and on a plain CNN in graph mode. Here the same paper formulas
(``reference_map`` there) get their terms from ``tf.gradients`` on a symbolic graph the test
builds from the model's own layers, evaluated in the Keras session: a nested model explained at
an inner layer, two inputs and two outputs with ``output=``, ``logits=True`` on a softmax
output, and a linear head (Score-CAM takes the softmax of the output). In every world: Score-CAM
on a multi-label sigmoid output, whose weights are the output itself (no softmax).
"""
import numpy as np
import pytest
import tensorflow as tf

import eli5_compat as eli5
from conftest import GRAPH_MODE
from reference import seeded
from test_cam_formulas import LABELS, METHODS, _check, _probability



def _terms(inputs, feed, acts_t, scores_t, target):
    """Activations, raw gradients of the target's score, the score and the class, for one image."""
    session = tf.compat.v1.keras.backend.get_session()
    scores = session.run(scores_t, dict(zip(inputs, feed)))[0]
    chosen = int(np.argmax(scores)) if target is None else target
    grads_t = tf.gradients(scores_t[:, chosen], acts_t)[0]
    acts, grads = session.run([acts_t, grads_t], dict(zip(inputs, feed)))
    return acts[0], grads[0], float(scores[chosen]), chosen


def _placeholder(shape):
    return tf.compat.v1.placeholder(tf.float32, (None,) + tuple(shape))


@pytest.fixture(scope="module")
def kinds(keras):
    """name -> (model, docs(i, stop), explain kwargs, terms(i, target), probability(i, chosen), image(i))."""
    L = keras.layers
    rng = np.random.default_rng(19)
    found = {}

    # nested: a functional base inside a Sequential model, explained at an inner layer
    inner_in = L.Input((11, 11, 3))
    h = L.Conv2D(5, 3, activation="relu", name="inner_a")(inner_in)
    base = keras.Model(inner_in, L.Conv2D(4, 3, activation="relu", name="inner_b")(h), name="base")
    nested = seeded(keras.Sequential([L.Input((11, 11, 3)), base, L.GlobalAveragePooling2D(name="gap"),
                                      L.Dense(3, activation="softmax", name="head")], name="outer"), 23)
    images = rng.random((3, 11, 11, 3)).astype("float32")
    x = _placeholder((11, 11, 3))
    acts_t = base.get_layer("inner_a")(x)
    scores_t = nested.get_layer("head")(nested.get_layer("gap")(base.get_layer("inner_b")(acts_t)))
    found["nested inner layer"] = (
        nested, lambda i, stop, images=images: images[i:stop], {"layer": "base/inner_a"},
        lambda i, t, x=x, a=acts_t, s=scores_t, images=images: _terms([x], [images[i:i + 1]], a, s, t),
        lambda i, c, model=nested: _probability(lambda b: model.predict(b, verbose=0), c, True),
        lambda i, images=images: images[i])

    # two inputs, two outputs; the second output is explained
    meta = L.Input((2,), name="meta")
    photo = L.Input((7, 7, 3), name="photo")
    feat = L.Conv2D(4, 3, padding="same", activation="relu", name="feat")(photo)
    joined = L.Concatenate()([L.GlobalAveragePooling2D()(feat), L.Dense(3)(meta)])
    multi = seeded(keras.Model([meta, photo], [L.Dense(2, activation="softmax", name="kind")(joined),
                                               L.Dense(4, activation="softmax", name="colour")(joined)],
                               name="multi"), 31)
    metas = rng.random((3, 2)).astype("float32")
    photos = rng.random((3, 7, 7, 3)).astype("float32")
    session = tf.compat.v1.keras.backend.get_session()

    def multi_terms(i, target):
        feed = {multi.inputs[0]: metas[i:i + 1], multi.inputs[1]: photos[i:i + 1]}
        scores = session.run(multi.outputs[1], feed)[0]
        chosen = int(np.argmax(scores)) if target is None else target
        grads_t = tf.gradients(multi.outputs[1][:, chosen], multi.get_layer("feat").output)[0]
        acts, grads = session.run([multi.get_layer("feat").output, grads_t], feed)
        return acts[0], grads[0], float(scores[chosen]), chosen

    def multi_probability(i, chosen):
        return _probability(lambda b: multi.predict([np.repeat(metas[i:i + 1], len(b), axis=0), b], verbose=0)[1],
                            chosen, True)

    found["multi-input, output=1"] = (multi, lambda i, stop: [metas[i:stop], photos[i:stop]], {"output": "colour"},
                                      multi_terms, multi_probability, lambda i: photos[i])

    # logits=True on a softmax output: the pre-softmax score, from a linear twin with the same weights
    soft = seeded(keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", name="conv"),
                                    L.Flatten(), L.Dense(3, activation="softmax", name="probs")], name="soft"), 17)
    twin = keras.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", name="conv"),
                             L.Flatten(), L.Dense(3, name="logits")], name="twin")
    twin.set_weights(soft.get_weights())
    grey = rng.random((3, 8, 8, 1)).astype("float32") + 0.5
    found["logits=True"] = (
        soft, lambda i, stop: grey[i:stop], {"logits": True},
        lambda i, t: _terms([twin.input], [grey[i:i + 1]], twin.get_layer("conv").output, twin.output, t),
        lambda i, c: _probability(lambda b: soft.predict(b, verbose=0), c, True), lambda i: grey[i])

    # a linear head: Score-CAM weights are the softmax of the output
    inp = L.Input((9, 9, 3))
    conv = L.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    linear = seeded(keras.Model(inp, L.Dense(3, name="logits")(L.Flatten()(conv)), name="linear"), 43)
    plain_images = rng.random((3, 9, 9, 3)).astype("float32")
    found["linear head"] = (
        linear, lambda i, stop: plain_images[i:stop], {},
        lambda i, t: _terms([linear.input], [plain_images[i:i + 1]], linear.get_layer("conv").output,
                            linear.output, t),
        lambda i, c: _probability(lambda b: linear.predict(b, verbose=0), c, False), lambda i: plain_images[i])
    return found


@pytest.mark.graph_only
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["nested inner layer", "multi-input, output=1", "logits=True", "linear head"])
def test_graph_mode_model_kinds_single_and_batch(kinds, kind, method):
    model, docs, options, terms, probability, image = kinds[kind]
    targets, peaks = [2, 0, 1], []
    batch = eli5.explain_predictions(model, docs(0, 3), targets=targets, method=method, batch_size=2,
                                     progress=False, **options)
    for i, target in enumerate(targets):
        acts, grads, score, chosen = terms(i, target)
        extra = dict(image=image(i), probability=probability(i, chosen))
        single = eli5.explain_prediction(model, docs(i, i + 1), targets=[target], method=method, **options)
        _check(single, method, acts, grads, score, chosen, **extra)
        peaks.append(single.targets[0].heatmap.max())
        _check(batch[i], method, acts, grads, score, chosen, **extra)
    assert batch[0].method == LABELS[method]
    assert max(peaks) > 0.5, "a map with content, so the comparison means something"


@pytest.mark.parametrize("max_channels", [None, 3])
def test_scorecam_on_a_sigmoid_output_weights_by_the_output(keras, max_channels):
    L = keras.layers
    inp = L.Input((6, 6, 3))
    conv = L.Conv2D(5, 3, activation="relu", name="conv")(inp)
    model = seeded(keras.Model(inp, L.Dense(3, activation="sigmoid", name="labels")(L.Flatten()(conv))), 57)
    images = np.random.default_rng(3).random((2, 6, 6, 3)).astype("float32")
    session = tf.compat.v1.keras.backend.get_session() if GRAPH_MODE else None
    extractor = keras.Model(model.inputs, [model.get_layer("conv").output, model.output])
    batch = eli5.explain_predictions(model, images, targets=[2, 0], method="scorecam", max_channels=max_channels,
                                     batch_size=2, progress=False)
    for i, target in enumerate([2, 0]):
        acts, out = (session.run(extractor.outputs, {model.input: images[i:i + 1]}) if GRAPH_MODE
                     else [t.numpy() for t in extractor(images[i:i + 1])])
        predict = lambda b: model.predict(b, verbose=0)  # noqa: E731
        extra = dict(image=images[i], probability=_probability(predict, target, True), max_channels=max_channels)
        single = eli5.explain_prediction(model, images[i:i + 1], targets=[target], method="scorecam",
                                         max_channels=max_channels, batch_size=2)
        for expl in (single, batch[i]):  # the gradients are not used by Score-CAM
            _check(expl, "scorecam", acts[0], np.zeros_like(acts[0]), float(out[0, target]), target, **extra)
        assert single.targets[0].heatmap.max() > 0.5
