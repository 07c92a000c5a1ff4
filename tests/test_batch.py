"""The batch API: each explanation equals what explain_prediction gives for that image alone."""
import numpy as np
import pytest

import eli5_compat as eli5
from reference import seeded


@pytest.fixture(scope="module")
def model(keras):
    layers = keras.layers
    built = keras.Sequential([
        layers.Input(shape=(10, 10, 3)),
        layers.Conv2D(6, 3, activation="relu", name="c1"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Conv2D(5, 2, activation="relu", name="c2"),
        layers.Flatten(name="flat"),
        layers.Dense(4, activation="softmax", name="out"),
    ], name="batchy")
    return seeded(built, 11)


@pytest.fixture(scope="module")
def docs():
    return np.random.default_rng(5).random((7, 10, 10, 3))


def _assert_same(batch_expl, single_expl):
    got, want = batch_expl.targets[0], single_expl.targets[0]
    assert got.target == want.target and type(got.target) is type(want.target)
    assert type(got.score) is np.float32 and got.score == pytest.approx(want.score, rel=1e-5)
    np.testing.assert_allclose(got.heatmap, want.heatmap, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(batch_expl.image), np.asarray(single_expl.image))
    assert (batch_expl.method, batch_expl.description, batch_expl.estimator) == (
        single_expl.method, single_expl.description, single_expl.estimator)


def test_each_explanation_equals_the_single_call(model, docs):
    many = eli5.explain_predictions(model, docs, batch_size=3)
    assert len(many) == len(docs)
    for i, expl in enumerate(many):
        _assert_same(expl, eli5.explain_prediction(model, docs[i:i + 1]))


def test_targets_per_image_and_for_all(model, docs):
    per_image = [0, 1, 2, 3, 0, 1, 2]
    for i, expl in enumerate(eli5.keras.explain_predictions(model, docs, targets=per_image, batch_size=4)):
        _assert_same(expl, eli5.explain_prediction(model, docs[i:i + 1], targets=[per_image[i]]))
    same = eli5.explain_predictions(model, docs, targets=np.int64(2), layer="c1")
    assert [int(e.targets[0].target) for e in same] == [2] * 7
    _assert_same(same[4], eli5.explain_prediction(model, docs[4:5], targets=[2], layer="c1"))


def test_iterable_of_batches_and_streaming(model, docs):
    pulled = []

    def batches():
        for start in (0, 3, 5):
            pulled.append(start)
            yield docs[start:start + {0: 3, 3: 2, 5: 2}[start]]

    stream = eli5.iter_explanations(model, batches())
    first = next(stream)
    assert pulled == [0], "iter_explanations must not read ahead of the batch it explains"
    rest = list(stream)
    assert len(rest) == 6
    _assert_same(first, eli5.explain_prediction(model, docs[:1]))
    _assert_same(rest[-1], eli5.explain_prediction(model, docs[6:7]))


@pytest.mark.eager_only
@pytest.mark.tensorflow_only
def test_tf_data_dataset_with_labels(model, docs):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((docs.astype("float32"), np.arange(7) % 4)).batch(3)
    got = eli5.explain_predictions(model, dataset, progress=False)
    assert len(got) == 7
    _assert_same(got[5], eli5.explain_prediction(model, docs[5:6].astype("float32")))


def test_bad_batch_arguments(model, docs):
    with pytest.raises(ValueError, match="targets has 3 entries but there are 7 images"):
        eli5.explain_predictions(model, docs, targets=[1, 2, 3])
    with pytest.raises(ValueError, match="outside the required range"):
        eli5.explain_predictions(model, docs, targets=9)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        eli5.explain_predictions(model, docs, batch_size=0)
    with pytest.raises(ValueError, match="Batch size does not match"):
        eli5.explain_predictions(model, docs[:, :9])
    with pytest.raises(TypeError, match="docs must be a numpy array of images or an iterable"):
        eli5.explain_predictions(model, 3.5)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        eli5.iter_explanations(model, docs, batch_size=-1)  # checked at the call, not at the first next()
    with pytest.raises(ValueError, match="out of range"):
        eli5.iter_explanations(model, docs, output=3)


def test_docs_are_not_changed(model, docs):
    before = docs.copy()
    eli5.explain_predictions(model, docs, batch_size=2, progress=False)
    np.testing.assert_array_equal(docs, before)


def test_images_built_on_first_read_equal_the_single_call(model, docs):
    import pickle
    import threading

    import attr
    from PIL import Image

    buffer = docs.copy()
    many = eli5.explain_predictions(model, buffer, batch_size=4, progress=False)
    buffer[:] = 0  # a caller reusing its buffer: the images still show the docs as they were
    singles = [eli5.explain_prediction(model, docs[i:i + 1]) for i in range(len(docs))]
    seen = [None] * len(many)

    def read(i):
        seen[i] = many[i].image

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(many))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for expl, single, image in zip(many, singles, seen):
        assert type(image) is type(single.image) and isinstance(image, Image.Image)
        assert image is expl.image  # built once, then kept
        assert (image.mode, image.size, image.tobytes()) == (single.image.mode, single.image.size,
                                                            single.image.tobytes())
    fresh = eli5.explain_predictions(model, docs, batch_size=4, progress=False)
    assert attr.asdict(fresh[2])["image"].tobytes() == singles[2].image.tobytes()  # asdict reads it too
    back = pickle.loads(pickle.dumps(fresh[3]))
    assert back.image.tobytes() == singles[3].image.tobytes()
    assert repr(fresh[5]).endswith("image=%r)" % (fresh[5].image,))
