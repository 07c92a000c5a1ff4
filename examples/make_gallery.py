"""Regenerate the README gallery (docs/gallery) from real images.

    python examples/make_gallery.py --out docs/gallery

1. Fashion-MNIST: trains the tutorial's CNN (examples/fashion_mnist_gradcam.py) and writes
   Grad-CAM overlays of test images, an original/heatmap/overlay grid, a methods-by-images
   figure of every CAM method, and the faithfulness metrics of every method on 200 test
   images (metrics.md: eli5_compat.metrics.compare_methods).
2. A real photo: scikit-learn ships two photos (china.jpg, a temple; flower.jpg). A small
   fully convolutional CNN learns to tell patches of one from the other; Grad-CAM of the class
   "flower" on a side-by-side composite of both photos should light up the flower half
   (and a one-row figure shows every CAM method on it).
Needs scikit-learn (for the photos); Fashion-MNIST comes from examples/fashion_mnist_data.py
(the full dataset; the gallery is not meant to be made from the shipped sample).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from tensorflow import keras  # noqa: E402

import eli5_compat as eli5  # noqa: E402
from eli5_compat.cam import METHOD_NAMES  # noqa: E402
from eli5_compat.metrics import compare_methods  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fashion_mnist_data import load_fashion_mnist  # noqa: E402
from fashion_mnist_gradcam import CLASS_LABELS, build_model  # noqa: E402


def enlarge(image: Image.Image, scale: int) -> Image.Image:
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)


def fashion_gallery(out: Path, epochs: int) -> None:
    ((x_train, y_train), (x_test, y_test)), source = load_fashion_mnist()
    print("Fashion-MNIST from {}".format(source))
    x_train, x_test = x_train.reshape(-1, 28, 28, 1) / 255.0, x_test.reshape(-1, 28, 28, 1) / 255.0
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=256, epochs=epochs, verbose=2)
    picks = [int(np.flatnonzero(y_test == label)[0]) for label in (0, 1, 5, 7, 8, 9)]
    explanations = eli5.explain_predictions(model, x_test[picks], progress=False)
    for idx, expl in zip(picks, explanations):
        label = CLASS_LABELS[y_test[idx]].replace("/", "-").replace(" ", "_").lower()
        enlarge(eli5.format_as_image(expl), 6).save(out / "fashion_{}.png".format(label))
    titles = ["{}: {} ({:.2f})".format(CLASS_LABELS[y_test[i]], CLASS_LABELS[e.targets[0].target],
                                       float(e.targets[0].score)) for i, e in zip(picks[:3], explanations[:3])]
    eli5.plot_explanations(explanations[:3], row_titles=titles).savefig(out / "fashion_grid.png", dpi=80)
    methods_figure(model, x_test[picks[:4]], [CLASS_LABELS[y_test[i]] for i in picks[:4]], out / "fashion_methods.png")
    table = compare_methods(model, x_test[:200], targets=y_test[:200])
    (out / "metrics.md").write_text(table.to_markdown() + "\n", encoding="utf-8")
    print("faithfulness of each method, tutorial CNN, 200 Fashion-MNIST test images (true classes):")
    print(table.to_markdown())


def methods_figure(model: keras.Model, images: np.ndarray, titles: list, path: Path, explain_kwargs: dict = None,
                   **format_kwargs) -> None:
    """Rows: images; columns: the original, then every CAM method's overlay."""
    by_method = {}
    for method in METHOD_NAMES:
        explanations = eli5.explain_predictions(model, images, method=method, progress=False, **(explain_kwargs or {}))
        by_method[explanations[0].method] = explanations
    eli5.plot_explanations(by_method, row_titles=titles, **format_kwargs).savefig(path, dpi=80)


def photo_gallery(out: Path, seed: int) -> None:
    from sklearn.datasets import load_sample_image

    photos = [np.asarray(Image.fromarray(load_sample_image(name)).resize((160, 120), Image.BILINEAR))
              for name in ("china.jpg", "flower.jpg")]
    rng = np.random.default_rng(seed)
    crops, labels = [], []
    for label, photo in enumerate(photos):
        for _ in range(600):
            top, left = rng.integers(0, 120 - 48), rng.integers(0, 160 - 48)
            crops.append(photo[top:top + 48, left:left + 48])
            labels.append(label)
    x = np.stack(crops).astype("float32") / 255.0
    y = np.array(labels)
    L = keras.layers
    inp = keras.Input((None, None, 3))
    h = L.Conv2D(16, 3, activation="relu", padding="same")(inp)
    h = L.MaxPooling2D(2)(h)
    h = L.Conv2D(32, 3, activation="relu", padding="same", name="features")(h)
    out_layer = L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(h))
    model = keras.Model(inp, out_layer, name="temple_or_flower")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=4, shuffle=True, verbose=2)
    composite = np.concatenate([photos[0][:, :80], photos[1][:, 80:]], axis=1)
    doc = composite[np.newaxis].astype("float32") / 255.0
    expl = eli5.explain_prediction(model, doc, targets=[1], layer="features")
    shown = eli5.base.Explanation(expl.estimator, image=Image.fromarray(composite), targets=expl.targets)
    enlarge(eli5.format_as_image(shown, alpha_limit=0.75), 3).save(out / "photo_flower_half.png")
    methods_figure(model, doc, ["flower"], out / "photo_methods.png", dict(targets=[1], layer="features"),
                   alpha_limit=0.75)
    heatmap = expl.targets[0].heatmap
    half = heatmap.shape[1] // 2
    print("photo: mean heatmap on the temple half {:.3f}, on the flower half {:.3f}".format(
        heatmap[:, :half].mean(), heatmap[:, half:].mean()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/gallery"))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    fashion_gallery(args.out, args.epochs)
    photo_gallery(args.out, args.seed)
    print("wrote the gallery to {}".format(args.out.resolve()))


if __name__ == "__main__":
    main()
