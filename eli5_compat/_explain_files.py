"""``eli5-compat explain``: Grad-CAM (or another CAM method's) overlays for image files, from a saved Keras model."""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
_IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def _caffe(x: np.ndarray) -> np.ndarray:
    return x[..., ::-1] - _IMAGENET_MEAN_BGR


def _torch(x: np.ndarray) -> np.ndarray:
    return (x / 255.0 - _IMAGENET_MEAN) / _IMAGENET_STD


# name -> (function of float32 pixels in 0..255, what it does, needs 3 channels)
PREPROCESSING: Dict[str, Tuple[Callable[[np.ndarray], np.ndarray], str, bool]] = {
    "none": (lambda x: x, "pixels as they are, 0..255", False),
    "unit": (lambda x: x / 255.0, "scale to [0, 1]", False),
    "symmetric": (lambda x: x / 127.5 - 1.0, "scale to [-1, 1] (MobileNet, Inception, EfficientNetV2 style)", False),
    "caffe": (_caffe, "RGB to BGR, minus the ImageNet mean per channel (VGG, ResNet50 style)", True),
    "torch": (_torch, "scale to [0, 1], then ImageNet mean/std per channel (DenseNet style)", True),
}


class ImageProblem(Exception):
    """An image that cannot be explained; it is reported and skipped."""


@dataclass
class ImageResult:
    """One row of results.json / results.csv."""

    file: str
    target: Optional[int] = None
    score: Optional[float] = None
    rank: Optional[int] = None
    layer: Optional[str] = None
    overlay: Optional[str] = None
    heatmap_min: Optional[float] = None
    heatmap_max: Optional[float] = None
    heatmap_mean: Optional[float] = None
    peak_row: Optional[float] = None
    peak_col: Optional[float] = None
    error: Optional[str] = None
    method: Optional[str] = None
    metrics: Dict[str, float] = field(default_factory=dict)  # written as one column each


def load_model(path: Path) -> Any:
    """A Keras model from a ``.keras`` or ``.h5`` file, or a SavedModel folder (needs tf-keras)."""
    if not path.exists():
        raise FileNotFoundError("no model at {}".format(path))
    if path.is_dir():
        try:
            import tf_keras
        except ImportError:
            raise ValueError("{} is a SavedModel folder: Keras 3 cannot load those as models with layers. "
                             "Install tf-keras (pip install tf-keras) or save the model as .keras.".format(path))
        return tf_keras.models.load_model(str(path), compile=False)
    from .keras._backend_check import configured_keras

    keras = configured_keras()
    try:
        return keras.models.load_model(str(path), compile=False)
    except Exception as exc:
        raise ValueError("could not load a Keras model from {}: {}".format(path, exc)) from exc


def find_images(paths: Sequence[Path]) -> List[Path]:
    """Image files given directly or found (recursively) in folders, in a stable order."""
    found: List[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def model_image_shape(model: Any) -> Tuple[Optional[int], Optional[int], int]:
    """(height, width, channels) the model's first input expects."""
    from .keras import _inputs

    shapes = _inputs.input_shapes(model)
    if not shapes or len(shapes[0]) != 4:
        raise ValueError("the model's input is not a batch of images (batch, height, width, channels)")
    _, height, width, channels = shapes[0]
    return height, width, int(channels or 3)


def read_image(path: Path, size: Tuple[Optional[int], Optional[int]], channels: int, resize: bool,
               convert: bool) -> Tuple[Image.Image, np.ndarray]:
    """The image at its own size (for the overlay) and its float32 pixels at the model's size."""
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.copy()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageProblem("cannot read the image ({})".format(exc)) from None
    wanted = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
    if wanted is None:
        raise ImageProblem("the model expects {} channels, which no image mode has".format(channels))
    mode = "RGB" if image.mode in ("P", "CMYK", "YCbCr", "LAB", "HSV") else image.mode
    mode = {"LA": "L", "I;16": "L", "I": "L", "F": "L", "1": "L"}.get(mode, mode)
    if mode != wanted and not convert and {mode, wanted} != {"RGB", "RGBA"}:
        raise ImageProblem("the image is {} ({}) but the model expects {} channel(s); pass --convert to "
                           "convert it".format(mode, _describe(mode), channels))
    image = image.convert(wanted)
    model_view = image
    height, width = size
    if (height and image.height != height) or (width and image.width != width):
        if not resize:
            raise ImageProblem("the image is {}x{} but the model expects {}x{} (drop --no-resize to resize "
                               "it)".format(image.width, image.height, width, height))
        model_view = image.resize((width or image.width, height or image.height), Image.BILINEAR)
    pixels = np.asarray(model_view, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    return image, pixels


def _describe(mode: str) -> str:
    return {"L": "grayscale", "RGB": "colour", "RGBA": "colour with alpha"}.get(mode, mode)


def preprocess(name: str, pixels: np.ndarray) -> np.ndarray:
    """Apply a named preprocessing (see PREPROCESSING) to float32 pixels in 0..255."""
    function, _, needs_rgb = PREPROCESSING[name]
    if needs_rgb and pixels.shape[-1] != 3:
        raise ImageProblem("--preprocess {} needs 3-channel (RGB) input".format(name))
    return function(pixels).astype(np.float32)


def heatmap_stats(heatmap: np.ndarray) -> Dict[str, float]:
    """Summary numbers of a heatmap; the peak is in the heatmap's own (row, col) coordinates."""
    row, col = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    return {"heatmap_min": float(heatmap.min()), "heatmap_max": float(heatmap.max()),
            "heatmap_mean": float(heatmap.mean()), "peak_row": int(row), "peak_col": int(col)}


def write_results(out_dir: Path, rows: List[ImageResult]) -> None:
    """results.json and results.csv in ``out_dir``."""
    from .metrics import METRICS

    names = sorted({name for row in rows for name in row.metrics}, key=list(METRICS).index)
    records = []
    for row in rows:
        record = {key: value for key, value in row.__dict__.items() if key != "metrics"}
        record.update((name, row.metrics.get(name)) for name in names)
        records.append(record)
    (out_dir / "results.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    columns = list(records[0]) if records else ["file"]
    with (out_dir / "results.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)


def run(args: Any) -> int:
    """The explain command; returns the exit code (0 all explained, 1 some images failed, 2 no model)."""
    import matplotlib
    from PIL import Image as PILImage

    from .base import Explanation
    from .formatters.image import format_as_image
    from .keras import explain_predictions
    from .keras.explain_prediction import choose_layer

    try:
        model = load_model(args.model)
        height, width, channels = model_image_shape(model)
        colormap = matplotlib.colormaps[args.colormap]
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print("eli5-compat explain: ERROR: {}".format(exc), file=sys.stderr)
        return 2
    resampling = getattr(PILImage.Resampling, args.resampling.upper())
    args.out.mkdir(parents=True, exist_ok=True)
    rows: List[ImageResult] = []
    good: List[Tuple[Path, Image.Image, np.ndarray]] = []
    for path in find_images(args.images):
        try:
            image, pixels = read_image(path, (height, width), channels, not args.no_resize, args.convert)
            good.append((path, image, preprocess(args.preprocess, pixels)))
        except ImageProblem as exc:
            rows.append(ImageResult(str(path), error=str(exc)))
            print("{}: ERROR: {} (skipped)".format(path, exc), file=sys.stderr)
    if good:
        docs = np.stack([doc for _, _, doc in good])
        layer = choose_layer(model, [docs[:1]], 0, _layer_arg(args.layer))
        if args.target is not None:
            plans = [(None, np.full(len(good), args.target))]
        else:
            predictions = model.predict(docs, batch_size=args.batch_size, verbose=0)
            order = np.argsort(-predictions, axis=1)[:, :args.top]
            plans = [(rank + 1, order[:, rank]) for rank in range(order.shape[1])]
        for rank, targets in plans:
            explained = explain_predictions(model, docs, targets=targets.astype(int), layer=layer,
                                            batch_size=args.batch_size, progress=not args.quiet,
                                            method=args.method, max_channels=args.max_channels)
            scores = _metric_scores(model, docs, explained, args.metrics, args.batch_size)
            for i, ((path, image, _), expl) in enumerate(zip(good, explained)):
                name = "{}{}.png".format(path.stem, "" if rank is None or args.top == 1 else ".top{}".format(rank))
                shown = Explanation(expl.estimator, image=image, targets=expl.targets)
                format_as_image(shown, resampling_filter=resampling, colormap=colormap,
                                alpha_limit=args.alpha_limit).save(args.out / name)
                target = expl.targets[0]
                rows.append(ImageResult(str(path), int(target.target), float(target.score), rank, layer.name,
                                        str(args.out / name), **heatmap_stats(target.heatmap), method=args.method,
                                        metrics={metric: float(values[i]) for metric, values in scores.items()}))
    write_results(args.out, rows)
    failed = sum(1 for r in rows if r.error)
    print("explained {} image(s), {} failed; overlays and results.json/results.csv in {}".format(
        len(good), failed, args.out))
    return 1 if failed else 0


def _metric_scores(model: Any, docs: np.ndarray, explained: List[Any], names: Sequence[str],
                   batch_size: int) -> Dict[str, np.ndarray]:
    """Each requested faithfulness metric, per image (see eli5_compat.metrics)."""
    from .metrics import METRICS

    return {name: METRICS[name][0](model, docs, explained, batch_size=batch_size) for name in names}


def _layer_arg(layer: Optional[str]) -> Any:
    return int(layer) if layer is not None and layer.lstrip("-").isdigit() else layer
