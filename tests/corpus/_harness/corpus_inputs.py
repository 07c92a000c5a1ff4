"""What each executable corpus file (tests/corpus/run_*) expects to find where it runs.

Shared by tests/test_corpus_run.py (Keras 3) and legacy_heatmaps.py (eli5 0.11's TF 2.15 /
Keras 2 environment): the same tiny CNNs, with the same weights drawn from a seeded generator,
saved by the running Keras as the file loads them, and the same seeded PNG images.
"""
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

CORPUS = Path(__file__).resolve().parents[1]


def tiny_cnn(path, shape, classes, names=("conv1", "conv2"), seed=0):
    """Conv, pool, conv, global pool, softmax; weights from ``numpy.random.default_rng(seed)``."""
    import keras  # Keras 3 in the main environment, Keras 2.15 in the legacy one

    model = keras.Sequential([
        keras.Input(shape),
        keras.layers.Conv2D(4, 3, activation="relu", name=names[0]),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(4, 3, activation="relu", name=names[1]),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(path))


def png(path, size, mode="RGB", seed=0):
    """A seeded noise image with a bright rectangle (something for the model to look at)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 120, (size[1], size[0], 3), dtype=np.uint8)
    pixels[size[1] // 4: size[1] // 2, size[0] // 3: 2 * size[0] // 3] = 230
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(str(path))
    return path


def _kaggle(work, _):
    train = work.parent / "input" / "chest-xray-pneumonia" / "chest_xray" / "train"
    for label, name in enumerate(("NORMAL", "PNEUMONIA")):
        for i in range(2):
            png(train / name / "IM-{:04d}.png".format(i), (40, 40), seed=10 * label + i)
    return {}


def _notebook(work, _):
    tiny_cnn(work / "models" / "xray_cnn.h5", (32, 32, 3), 2)
    png(work / "images" / "patient042.png", (48, 48))
    return {}


def _streamlit(work, _):
    tiny_cnn(work / "xray_model.h5", (28, 28, 1), 2)
    return {"STANDIN_UPLOAD": str(png(work / "upload.png", (64, 64), mode="L"))}


def _flask(work, _):
    tiny_cnn(work / "weights" / "xray_cnn.h5", (32, 32, 3), 3, seed=1)
    return {"STANDIN_UPLOAD": str(png(work / "request.jpg.png", (50, 40)))}


def _report(work, library):
    tiny_cnn(work / "model.h5", (32, 32, 3), 3, seed=2)
    png(work / "images" / "a.png", (32, 32), seed=1)
    png(work / "images" / "b.png", (36, 36), seed=2)
    shutil.copyfile(library, work / "run_gradcam_utils.py")  # the module the script imports
    return {}


def _softmax(work, _):
    tiny_cnn(work / "dogs_vs_cats.h5", (32, 32, 3), 2, names=("block1_conv", "block2_conv"), seed=3)
    png(work / "cat.png", (40, 30), seed=3)
    return {}


def _training(work, _):
    for label, name in enumerate(("benign", "malignant", "nevus")):
        for i in range(2):
            png(work / "data" / "train" / name / "{}.png".format(i), (36, 36), seed=10 * label + i)
    return {}


# file: (folder it runs in, below the run's tmp folder; what to write there; script arguments)
SETUPS = {
    "run_kaggle_xray_kernel.py": ("kaggle/working", _kaggle, []),
    "run_xray_notebook.ipynb": (".", _notebook, []),
    "run_streamlit_xray_app.py": (".", _streamlit, []),
    "run_flask_explain_api.py": (".", _flask, []),
    "run_gradcam_report.py": (".", _report, ["images"]),
    "run_softmax_trick.py": (".", _softmax, []),
    "run_train_then_explain.py": (".", _training, []),
}


def prepare(name, tmp, library):
    """Write ``name``'s inputs under ``tmp``; its working folder and extra environment variables.

    ``library``: the version of run_gradcam_utils.py to put beside run_gradcam_report.py (the
    migrated one on Keras 3, the original under eli5 0.11).
    """
    folder, make, _ = SETUPS[name]
    work = Path(tmp) / folder
    work.mkdir(parents=True, exist_ok=True)
    return work, make(work, library)
