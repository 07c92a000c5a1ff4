"""Make the sample audit report in docs/audit from the shipped Fashion-MNIST sample.

    python examples/make_audit_report.py --out docs/audit

1. Trains the tutorial's CNN (examples/fashion_mnist_gradcam.py) on the 4,000 training images of
   examples/fashion_mnist_sample (real Fashion-MNIST, shipped; no download).
2. Writes the first --images test images of the sample as 28x28 PNG files and runs
   ``eli5-compat explain model.keras images/ -o results --save-heatmaps`` (the command itself).
3. Generates boxes: for each image, the bounding box of its pixels brighter than --threshold
   (0..255) - the garment's silhouette on Fashion-MNIST's black background. These boxes are
   illustrative, made by a rule, not annotations: they show the audit's mechanics; they do not
   say where a garment's class is decided. Fashion-MNIST garments fill most of the frame, so
   energy shares are high for every class.
4. Runs the audit (eli5_compat.audit, what ``eli5-compat audit results --boxes boxes.csv`` does)
   and writes to --out: report.html (the self-contained report), audit.csv, boxes.csv, and
   report_summary.png / report_worst.png: the report's summary figure and its worst images as PNG
   (matplotlib and Pillow), and report_screenshot.png: the page itself as a headless Chromium
   shows it, when Chromium is installed (Debian's package chromium; --no-screenshot skips it).
Work files (model, images, results) go to a temporary folder unless --work is given.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from tensorflow import keras  # noqa: E402

from eli5_compat.audit import audit_results, summary_figure, write_report  # noqa: E402
from eli5_compat.audit.report import picture, worst  # noqa: E402
from eli5_compat.audit.tables import write_tables  # noqa: E402
from eli5_compat.cli import main as eli5_compat_main  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fashion_mnist_data import SAMPLE, read_idx  # noqa: E402
from fashion_mnist_gradcam import CLASS_LABELS, build_model  # noqa: E402


def generated_boxes(images: np.ndarray, names: list, threshold: int) -> list:
    """(file, x0, y0, x1, y1) rows: each image's bounding box of pixels above ``threshold``."""
    rows = []
    for name, image in zip(names, images):
        ys, xs = np.nonzero(image > threshold)
        if len(xs):
            rows.append((name, int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    return rows


def worst_strip(audit, count: int) -> Image.Image:
    """The report's worst images side by side, as one picture."""
    pictures = [picture(audit, image) for image in worst(audit, count)]
    width = sum(p.width for p in pictures) + 8 * (len(pictures) - 1)
    strip = Image.new("RGBA", (width, max(p.height for p in pictures)), (255, 255, 255, 255))
    left = 0
    for shown in pictures:
        strip.paste(shown, (left, 0))
        left += shown.width + 8
    return strip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/audit"))
    parser.add_argument("--work", type=Path, help="keep the work files here (default: a temporary folder)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=200, help="test images to explain and audit (default 200)")
    parser.add_argument("--threshold", type=int, default=30, help="brightness above which a pixel is the garment")
    parser.add_argument("--worst", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-screenshot", action="store_true", help="skip report_screenshot.png (needs Chromium)")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = args.work.resolve() if args.work else Path(tempfile.mkdtemp(prefix="audit-example-"))
    work.mkdir(parents=True, exist_ok=True)

    x_train = read_idx(SAMPLE / "train-images-idx3-ubyte.gz")
    y_train = read_idx(SAMPLE / "train-labels-idx1-ubyte.gz")
    x_test = read_idx(SAMPLE / "t10k-images-idx3-ubyte.gz")[:args.images]
    y_test = read_idx(SAMPLE / "t10k-labels-idx1-ubyte.gz")[:args.images]
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train.reshape(-1, 28, 28, 1) / 255.0, y_train, batch_size=128, epochs=args.epochs, verbose=2)
    model.save(work / "model.keras")

    os.chdir(work)  # relative paths in the records and the report
    images = Path("images")
    images.mkdir(exist_ok=True)
    names = ["{:04d}_{}.png".format(i, CLASS_LABELS[label].split("/")[0].replace(" ", "_").lower())
             for i, label in enumerate(y_test)]
    for name, image in zip(names, x_test):
        Image.fromarray(image).save(images / name)
    code = eli5_compat_main(["explain", "model.keras", str(images), "-o", "results", "--save-heatmaps", "--quiet"])
    print("eli5-compat explain exit code {}".format(code))
    rows = generated_boxes(x_test, names, args.threshold)
    boxes = Path("boxes.csv")
    boxes.write_text("file,x0,y0,x1,y1\n" + "".join("{},{},{},{},{}\n".format(*row) for row in rows), encoding="utf-8")
    shutil.copy(boxes, out / "boxes.csv")

    audit = audit_results(Path("results"), boxes=boxes)
    shutil.copy(write_tables(audit, Path("results"))["summary"], out / "audit.csv")
    write_report(audit, out / "report.html", args.worst)
    summary_figure(audit).savefig(out / "report_summary.png", dpi=90)
    worst_strip(audit, args.worst).save(out / "report_worst.png")
    if not args.no_screenshot:
        screenshot(out / "report.html", out / "report_screenshot.png")
    print("classes: {}".format(", ".join("{} {}".format(k, c) for k, c in enumerate(CLASS_LABELS))))
    print(open(out / "audit.csv", encoding="utf-8").read())
    print("problems: {}".format(audit.problem_counts() or "none"))
    print("wrote {} (work files in {})".format(out, work))


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 1600) -> None:
    """The top of the page as a headless Chromium renders it (skipped, with a note, without Chromium)."""
    import subprocess

    browser = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(name)), None)
    if browser is None:
        print("no Chromium found: no screenshot (install Debian's chromium package)")
        return
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--screenshot={}".format(png.resolve()), "--window-size={},{}".format(width, height),
                    html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    print("screenshot: {}".format(png))


if __name__ == "__main__":
    main()
