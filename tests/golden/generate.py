"""Write the golden outputs by running legacy eli5 0.11 (TF 2.15, Keras 2, graph mode).

Run it in the legacy environment (see README, "Golden tests"):

    .legacy-venv/bin/python tests/golden/generate.py tests/golden/data

It never imports eli5_compat. It writes goldens.json (facts, strings, types, exceptions)
and goldens.npz (weights, docs and result arrays).
"""
from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

os.environ.update(TF_ENABLE_ONEDNN_OPTS="0", TF_DETERMINISTIC_OPS="1", CUDA_VISIBLE_DEVICES="-1",
                  TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import eli5  # noqa: E402
import eli5.base  # noqa: E402,F401
import eli5.formatters.image  # noqa: E402,F401
import eli5.keras  # noqa: E402,F401  (a bare `import eli5` skips the Keras part silently)
import matplotlib  # noqa: E402
import matplotlib.cm  # noqa: E402,F401
from PIL import Image  # noqa: E402
from tensorflow import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402


def _fresh_models(names):
    """Build the golden models in a new Keras session (legacy's graph grows with every call)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(1234)
    built = cases.build_models(keras)
    for name, model in built.items():
        if name != "untrained":  # "untrained" keeps Keras' own (seeded) initialisation
            model.set_weights(cases.seeded_weights(model, cases.weights_seed(name)))
    return {name: built[name] for name in names}


def main(out_dir: str) -> None:
    names = sorted(cases.TARGETS)
    arrays, docs, records = {}, {}, {}
    variants = cases.format_variants(matplotlib, Image)
    for name in names:
        models = _fresh_models([name])
        model = models[name]
        for i, w in enumerate(model.get_weights()):
            arrays["weights/%s/%03d" % (name, i)] = w
        docs[name] = cases.make_docs(tuple(model.input_shape[1:]), cases.weights_seed(name))
        for kind, doc in docs[name].items():
            arrays["docs/%s/%s" % (name, kind)] = doc
        found_records, found = cases.run_good(eli5, models, docs, variants, extras=False)
        records.update(found_records)
        arrays.update({"results/" + k: v for k, v in found.items()})
    models = _fresh_models(["tutorial", "rgb_pool"])
    found_records, found = cases.run_good(eli5, {}, docs, variants, extras=models)
    records.update(found_records)
    arrays.update({"results/" + k: v for k, v in found.items()})
    other = keras.Sequential([keras.layers.Input((28, 28, 1)), keras.layers.Conv2D(2, 3, name="foreign")], name="other")
    context = types.SimpleNamespace(
        e=eli5, m=models, d=docs, keras=keras, np=np, Image=Image,
        expl=eli5.explain_prediction(models["tutorial"], docs["tutorial"]["f32"]), other_layer=other.get_layer("foreign"),
    )
    bad = cases.run_bad(eli5, context)
    import keras as keras_package
    import PIL

    versions = {"eli5": eli5.__version__, "tensorflow": tf.__version__, "keras": keras_package.__version__,
                "numpy": np.__version__, "matplotlib": matplotlib.__version__, "pillow": PIL.__version__,
                "mode": "graph (disable_eager_execution)"}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "goldens.json").write_text(json.dumps(
        {"generated_by": versions, "good": records, "bad": bad}, indent=1, sort_keys=True) + "\n")
    np.savez_compressed(out / "goldens.npz", **arrays)
    print("wrote %d good cases, %d bad inputs, %d arrays to %s" % (len(records), len(bad), len(arrays), out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent / "data"))
