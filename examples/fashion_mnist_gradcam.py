"""The seed tutorial as a script: train the Fashion-MNIST CNN, explain test images with Grad-CAM.

    python examples/fashion_mnist_gradcam.py --epochs 1 --samples 3 --out gradcam_output

Runs in eager mode on Keras 3 (or tf-keras with TF_USE_LEGACY_KERAS=1). The data come from
Keras's cache, Debian's ``dataset-fashion-mnist``, the download, or, offline without either,
the real Fashion-MNIST sample shipped in examples/fashion_mnist_sample (see
fashion_mnist_data.py); the script says which it used.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402
import matplotlib.cm  # noqa: E402,F401
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from tensorflow import keras  # noqa: E402

import eli5_compat as eli5  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fashion_mnist_data import load_fashion_mnist  # noqa: E402

CLASS_LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
STYLES = {
    "viridis": {},
    "reds": {"colormap": matplotlib.cm.Reds, "alpha_limit": 0.9},
    "reds_nearest": {"resampling_filter": Image.NEAREST, "colormap": matplotlib.cm.Reds, "alpha_limit": 0.9},
}


def build_model(num_classes: int = 10):
    """The tutorial's CNN: three 3x3 ReLU convolutions, Flatten, a softmax Dense layer."""
    layers = keras.layers
    return keras.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), padding="same", activation="relu", name="conv2d"),
        layers.Conv2D(16, (3, 3), padding="same", activation="relu", name="conv2d_1"),
        layers.Conv2D(8, (3, 3), padding="same", activation="relu", name="conv2d_2"),
        layers.Flatten(name="flatten"),
        layers.Dense(num_classes, activation="softmax", name="dense"),
    ])


def save_overlay(image: Image.Image, path: Path, scale: int) -> None:
    """Save an overlay enlarged ``scale`` times (nearest neighbour) so 28x28 pixels are visible."""
    image.resize((image.width * scale, image.height * scale), Image.NEAREST).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default 1, about a minute)")
    parser.add_argument("--samples", type=int, default=3, help="test images to explain (default 3)")
    parser.add_argument("--out", type=Path, default=Path("gradcam_output"), help="folder for the PNG files")
    parser.add_argument("--scale", type=int, default=8, help="enlargement of the saved overlays (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    ((x_train, y_train), (x_test, y_test)), source = load_fashion_mnist()
    print("Fashion-MNIST from {}".format(source))
    x_train, x_test = x_train.reshape(-1, 28, 28, 1) / 255.0, x_test.reshape(-1, 28, 28, 1) / 255.0

    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x_train, y_train, batch_size=256, epochs=args.epochs, validation_data=(x_test, y_test), verbose=2)
    print("trained {} epoch(s) in {:.1f} s".format(args.epochs, time.perf_counter() - started))
    predictions = model.predict(x_test, verbose=0).argmax(axis=1)
    print("Test Accuracy : {:.4f}".format(float(np.mean(predictions == y_test))))

    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    written = 0
    for idx in rng.choice(len(x_test), size=args.samples, replace=False):
        doc = x_test[idx:idx + 1]
        print("image {}: actual {}, predicted {}".format(idx, CLASS_LABELS[y_test[idx]], CLASS_LABELS[predictions[idx]]))
        explanation = eli5.keras.explain_prediction.explain_prediction(model, doc)
        for style, kwargs in STYLES.items():
            save_overlay(eli5.format_as_image(explanation, **kwargs), args.out / "{}_{}.png".format(idx, style), args.scale)
            written += 1
        for layer in ("conv2d_1", "conv2d"):
            by_layer = eli5.keras.explain_prediction.explain_prediction(model, doc, layer=layer)
            save_overlay(eli5.format_as_image(by_layer), args.out / "{}_layer_{}.png".format(idx, layer), args.scale)
            written += 1
    print("wrote {} overlay PNG files to {}".format(written, args.out.resolve()))


if __name__ == "__main__":
    main()
