"""Write the Keras 2 ``.h5`` fixture and eli5 0.11's explanation of it (TF 2.15, graph mode).

Run it in the legacy environment (TF 2.15 / Keras 2.15 / eli5 0.11, see README "Golden tests"):

    .legacy-venv/bin/python tests/golden/make_keras2_h5.py tests/data

It never imports eli5_compat. It writes:

- ``keras2_sepcnn.h5``: a small custom CNN with SeparableConv2D blocks, saved by Keras 2.15
  (weights drawn from a seeded numpy generator, so they are not Keras' initialisation);
- ``keras2_sepcnn_legacy.npz``: the doc (``doc``, shape (1, 32, 32, 3)) and what eli5 0.11's
  ``explain_prediction`` returned for that doc on the model loaded back from the ``.h5``
  (``heatmap``, ``target``, ``score``) and the versions that made them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.update(TF_ENABLE_ONEDNN_OPTS="0", TF_DETERMINISTIC_OPS="1", CUDA_VISIBLE_DEVICES="-1",
                  TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import eli5  # noqa: E402
import eli5.keras  # noqa: E402,F401  (a bare `import eli5` skips the Keras part silently)
from tensorflow import keras  # noqa: E402

SEED = 20261204
CLASSES = 5


def build(layers) -> "keras.Model":
    """A user-style custom CNN: a stem, two SeparableConv2D blocks with a residual add, a head."""
    inputs = layers.Input((32, 32, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inputs)
    for block, filters in enumerate((16, 24), start=1):
        shortcut = layers.Conv2D(filters, 1, strides=2, padding="same", name="block%d_shortcut" % block)(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", activation="relu", name="block%d_sep1" % block)(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", name="block%d_sep2" % block)(x)
        x = layers.BatchNormalization(name="block%d_bn" % block)(x)
        x = layers.MaxPooling2D(2, name="block%d_pool" % block)(x)
        x = layers.Add(name="block%d_add" % block)([x, shortcut])
        x = layers.Activation("relu", name="block%d_relu" % block)(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(CLASSES, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="sepcnn")


def seeded_weights(model, rng: np.random.Generator):
    """Weights from ``rng``; BatchNormalization variances stay positive."""
    weights = []
    for variable in model.weights:
        shape = tuple(variable.shape)
        if "moving_variance" in variable.name:
            weights.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            fan_in = max(1, int(np.prod(shape[:-1])))
            weights.append(rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape).astype("float32"))
    return weights


def main(out_dir: str) -> None:
    out = Path(out_dir)
    rng = np.random.default_rng(SEED)
    model = build(keras.layers)
    model.set_weights(seeded_weights(model, rng))
    model.compile("adam", "categorical_crossentropy", ["accuracy"])  # as users save them: compiled
    h5 = out / "keras2_sepcnn.h5"
    model.save(str(h5))
    doc = rng.uniform(0.0, 1.0, (1, 32, 32, 3)).astype("float32")

    keras.backend.clear_session()
    loaded = keras.models.load_model(str(h5))
    explanation = eli5.explain_prediction(loaded, doc)
    if explanation.error:
        raise SystemExit("eli5 0.11 failed: {}".format(explanation.error))
    target = explanation.targets[0]
    heatmap = np.asarray(target.heatmap)
    np.savez_compressed(out / "keras2_sepcnn_legacy.npz", doc=doc, heatmap=heatmap,
                        target=np.asarray(target.target), score=np.asarray(target.score),
                        versions=np.asarray("tensorflow {} / eli5 {}".format(tf.__version__, eli5.__version__)))
    print("wrote {} ({} bytes), target {}, score {:.6f}, heatmap {} min {:.4f} max {:.4f}".format(
        h5, h5.stat().st_size, target.target, float(target.score), heatmap.shape, heatmap.min(), heatmap.max()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[1] / "data"))
