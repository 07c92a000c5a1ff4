"""``eli5-compat explain``: Grad-CAM (or another CAM method's) overlays for image files, from a saved Keras model."""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._atomic import atomic_path

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
    heatmap: Optional[str] = None  # with --save-heatmaps: the .npy file, relative to the output folder
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


@dataclass(frozen=True)
class ExplainOptions:
    """What ``eli5-compat explain`` does to each image (its command-line options, see ``--help``)."""

    preprocess: str = "unit"
    target: Optional[int] = None
    top: int = 1
    layer: Optional[str] = None
    colormap: str = "viridis"
    alpha_limit: float = 0.65
    resampling: str = "lanczos"
    method: str = "gradcam"
    max_channels: Optional[int] = None
    metrics: Tuple[str, ...] = ()
    batch_size: int = 32
    resize: bool = True
    convert: bool = False
    save_heatmaps: bool = False
    progress: bool = False

    @classmethod
    def from_args(cls, args: Any) -> "ExplainOptions":
        """The options of a parsed ``eli5-compat explain`` command line."""
        return cls(args.preprocess, args.target, args.top, args.layer, args.colormap, args.alpha_limit,
                   args.resampling, args.method, args.max_channels, tuple(args.metrics), args.batch_size,
                   not args.no_resize, args.convert, args.save_heatmaps, not args.quiet)


class Explainer:
    """A loaded model with the options: reads image files, explains them and writes their outputs.

    ``out_dir`` is where files are written; ``out_name`` is how records name that folder (the
    folder as the user gave it, when ``out_dir`` is its absolute form). Raises ValueError or
    FileNotFoundError when the model cannot be loaded, KeyError for an unknown colormap.
    """

    def __init__(self, model_path: Path, options: ExplainOptions, out_dir: Path,
                 out_name: Optional[str] = None) -> None:
        import matplotlib
        from PIL import Image as PILImage

        self.model = load_model(Path(model_path))
        self.options = options
        self.out_dir = Path(out_dir)
        self.out_name = Path(out_name if out_name is not None else out_dir)
        height, width, self.channels = model_image_shape(self.model)
        self.size = (height, width)
        self.colormap = matplotlib.colormaps[options.colormap]
        self.resampling = getattr(PILImage.Resampling, options.resampling.upper())
        self.layer: Any = None

    def explain_files(self, files: Sequence[str], paths: Optional[Sequence[Path]] = None) -> List[ImageResult]:
        """Rows for ``files`` (error rows for images that cannot be explained), outputs written.

        ``paths``: where to read each file, when that differs from its name in the records.
        """
        rows: List[ImageResult] = []
        good: List[Tuple[str, Image.Image, np.ndarray]] = []
        for name, path in zip(files, paths if paths is not None else files):
            try:
                image, pixels = read_image(Path(path), self.size, self.channels, self.options.resize,
                                           self.options.convert)
                good.append((name, image, preprocess(self.options.preprocess, pixels)))
            except ImageProblem as exc:
                rows.append(ImageResult(str(name), error=str(exc)))
        if good:
            rows.extend(self._explain(good))
        return rows

    def _explain(self, good: List[Tuple[str, Image.Image, np.ndarray]]) -> List[ImageResult]:
        from .keras import explain_predictions
        from .keras.explain_prediction import choose_layer

        options = self.options
        docs = np.stack([doc for _, _, doc in good])
        if self.layer is None:
            self.layer = choose_layer(self.model, [docs[:1]], 0, _layer_arg(options.layer))
        if options.target is not None:
            plans: List[Tuple[Optional[int], Optional[np.ndarray]]] = [(None, np.full(len(good), options.target))]
        elif options.top == 1:
            plans = [(1, None)]  # explain_predictions takes each image's top class in its own forward pass
        else:
            order = np.argsort(-self._outputs(docs), axis=1)[:, :options.top]
            plans = [(rank + 1, order[:, rank]) for rank in range(order.shape[1])]
        rows = []
        for rank, targets in plans:
            explained = explain_predictions(self.model, docs, targets=None if targets is None else targets.astype(int),
                                            layer=self.layer,
                                            batch_size=options.batch_size, progress=options.progress,
                                            method=options.method, max_channels=options.max_channels)
            scores = _metric_scores(self.model, docs, explained, options.metrics, options.batch_size)
            for i, ((name, image, _), expl) in enumerate(zip(good, explained)):
                stem = overlay_stem(name, rank, options.top)
                target = expl.targets[0]
                rows.append(ImageResult(str(name), int(target.target), float(target.score), rank, self.layer.name,
                                        self._write_overlay(stem, image, expl), **heatmap_stats(target.heatmap),
                                        heatmap=self._write_heatmap(stem, target.heatmap), method=options.method,
                                        metrics={metric: float(values[i]) for metric, values in scores.items()}))
        return rows

    def _outputs(self, docs: np.ndarray) -> np.ndarray:
        """The model's outputs, ``batch_size`` images per call (``model.predict`` costs ~0.1 s a call)."""
        size = self.options.batch_size
        from .keras._engine import as_numpy

        return np.concatenate([as_numpy(self.model(docs[start:start + size], training=False))
                               for start in range(0, len(docs), size)])

    def _write_overlay(self, stem: str, image: Image.Image, expl: Any) -> str:
        from .base import Explanation
        from .formatters.image import format_as_image

        shown = Explanation(expl.estimator, image=image, targets=expl.targets)
        overlay = format_as_image(shown, resampling_filter=self.resampling, colormap=self.colormap,
                                  alpha_limit=self.options.alpha_limit)
        with atomic_path(self.out_dir / (stem + ".png")) as temporary:
            overlay.save(temporary, format="PNG")
        return str(self.out_name / (stem + ".png"))

    def _write_heatmap(self, stem: str, heatmap: np.ndarray) -> Optional[str]:
        if not self.options.save_heatmaps:
            return None
        relative = Path(HEATMAP_DIR) / (stem + ".npy")
        (self.out_dir / HEATMAP_DIR).mkdir(parents=True, exist_ok=True)
        with atomic_path(self.out_dir / relative) as temporary:
            np.save(temporary, np.asarray(heatmap, dtype=np.float32))
        return relative.as_posix()


HEATMAP_DIR = "heatmaps"


def overlay_stem(file: str, rank: Optional[int], top: int) -> str:
    """The overlay's file name without ``.png``: NAME, or NAME.topK when several classes are explained."""
    return "{}{}".format(Path(file).stem, "" if rank is None or top == 1 else ".top{}".format(rank))


def sort_records(rows: List[ImageResult], files: Sequence[str]) -> List[ImageResult]:
    """The results' order: failed images first, then by rank, each in the order of ``files``."""
    position = {str(name): i for i, name in enumerate(files)}
    return sorted(rows, key=lambda r: (r.error is None, r.rank or 0, position.get(r.file, len(position))))


def to_records(rows: List[ImageResult]) -> List[Dict[str, Any]]:
    """The rows as flat dicts: one key per field, then one per metric (in eli5_compat.metrics' order)."""
    from .metrics import METRICS

    names = sorted({name for row in rows for name in row.metrics}, key=list(METRICS).index)
    records = []
    for row in rows:
        record = {key: value for key, value in asdict(row).items() if key != "metrics"}
        record.update((name, row.metrics.get(name)) for name in names)
        records.append(record)
    return records


def write_results(out_dir: Path, rows: List[ImageResult]) -> List[Dict[str, Any]]:
    """results.json and results.csv in ``out_dir`` (each written atomically); returns the records."""
    records = to_records(rows)
    with atomic_path(out_dir / "results.json") as temporary:
        temporary.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    columns = list(records[0]) if records else ["file"]
    with atomic_path(out_dir / "results.csv") as temporary:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(records)
    return records


def count_explained(rows: List[ImageResult]) -> int:
    """How many images (not classes) were explained."""
    return len({row.file for row in rows if not row.error})


def report_errors(rows: List[ImageResult]) -> int:
    """Print each failed image to stderr; returns how many failed."""
    failed = [row for row in rows if row.error]
    for row in failed:
        print("{}: ERROR: {} (skipped)".format(row.file, row.error), file=sys.stderr)
    return len(failed)


def run(args: Any) -> int:
    """The explain command; returns the exit code (0 all explained, 1 some images failed, 2 no model)."""
    try:
        explainer = Explainer(args.model, ExplainOptions.from_args(args), args.out)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print("eli5-compat explain: ERROR: {}".format(exc), file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    files = find_images(args.images)
    rows = sort_records(explainer.explain_files([str(path) for path in files]), [str(path) for path in files])
    write_results(args.out, rows)
    failed = report_errors(rows)
    print("explained {} image(s), {} failed; overlays and results.json/results.csv in {}".format(
        count_explained(rows), failed, args.out))
    return 1 if failed else 0


def _metric_scores(model: Any, docs: np.ndarray, explained: List[Any], names: Sequence[str],
                   batch_size: int) -> Dict[str, np.ndarray]:
    """Each requested faithfulness metric, per image (see eli5_compat.metrics)."""
    from .metrics import METRICS

    return {name: METRICS[name][0](model, docs, explained, batch_size=batch_size) for name in names}


def _layer_arg(layer: Optional[str]) -> Any:
    return int(layer) if layer is not None and layer.lstrip("-").isdigit() else layer

