"""Images per second of `eli5-compat explain`: one process vs Ray Data with 1 and 2 workers, in one run.

    python benchmarks/bench_ray.py [--rounds 2] [--quick]

Needs the ray extra (pip install -e ".[tensorflow,ray]"). Each measurement is the whole command
in a fresh process (`python -m eli5_compat explain MODEL IMAGES -o OUT --quiet`, plus
`--ray --workers N`), so it includes importing TensorFlow, starting a local Ray, starting the
actors and loading the model in each, and writing every overlay and results file. Every
configuration runs on a small and a large folder of images; from the two times come the
steady-state throughput (extra images / extra seconds) and the fixed start-up cost (the small
run's time less its images at that throughput). Configurations run interleaved, round after
round, and the median over rounds is reported.
Models: the tutorial CNN (28x28x1 PNGs, --preprocess unit) and MobileNetV2 (weights=None,
224x224 RGB JPEGs, --preprocess symmetric), built by bench_gradcam.build_model.
Results are printed and written to benchmarks/results/ray.md (not with --quick).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent

# model -> (small, large) image counts, preprocessing, batch size
SIZES = {"tutorial_cnn": ((64, 16384), "unit", 64), "mobilenetv2": ((16, 384), "symmetric", 16)}
CONFIGS = (("single process", ()), ("Ray, 1 worker", ("--ray", "--workers", "1")),
           ("Ray, 2 workers", ("--ray", "--workers", "2")))


def make_inputs(folder: Path, name: str, counts) -> dict:
    """The model saved as .keras and one folder of images per count."""
    import numpy as np
    from PIL import Image
    from tensorflow import keras

    from bench_gradcam import build_model

    model, layer = build_model(keras, name)
    model.save(folder / (name + ".keras"))
    height, width, channels = model.inputs[0].shape[1:]
    rng = np.random.default_rng(0)
    folders = {}
    for count in counts:
        images = folder / "{}_{}".format(name, count)
        images.mkdir()
        for i in range(count):
            pixels = rng.integers(0, 256, (height, width) if channels == 1 else (height, width, channels), dtype=np.uint8)
            Image.fromarray(pixels).save(images / "{:05d}.{}".format(i, "png" if channels == 1 else "jpg"))
        folders[count] = images
    return {"model": folder / (name + ".keras"), "layer": layer, "folders": folders}


def timed_run(inputs: dict, count: int, preprocess: str, batch: int, extra, out: Path) -> float:
    command = [sys.executable, "-m", "eli5_compat", "explain", str(inputs["model"]), str(inputs["folders"][count]),
               "-o", str(out), "--quiet", "--preprocess", preprocess, "--layer", inputs["layer"],
               "--batch-size", str(batch), *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAY_USAGE_STATS_ENABLED="0")
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)  # every run writes into a new, empty folder
    if done.returncode != 0:
        raise RuntimeError("{} failed:\n{}".format(" ".join(command), done.stderr[-3000:]))
    return took


def measure(models, rounds: int, work: Path) -> list:
    rows = []
    for name in models:
        counts, preprocess, batch = SIZES[name]
        inputs = make_inputs(work, name, counts)
        times = {(label, count): [] for label, _ in CONFIGS for count in counts}
        for r in range(rounds):
            for count in counts:
                for label, extra in CONFIGS:  # interleaved: every configuration once per round
                    took = timed_run(inputs, count, preprocess, batch, extra, work / "out")
                    times[label, count].append(took)
                    print("{} {} images, {}: {:.1f} s".format(name, count, label, took), flush=True)
        small, large = counts
        for label, _ in CONFIGS:
            t_small, t_large = statistics.median(times[label, small]), statistics.median(times[label, large])
            steady = (large - small) / (t_large - t_small)
            rows.append(dict(model=name, config=label, batch=batch, small=small, large=large, t_small=t_small,
                             t_large=t_large, end_to_end=large / t_large, steady=steady,
                             startup=t_small - small / steady, rounds=rounds))
    return rows


def report(rows: list, write: bool) -> str:
    import ray
    import tensorflow as tf

    lines = ["Machine: {}, {} cores (shared with other jobs), Python {}, TensorFlow {}, Ray {}, {}".format(
        platform.machine(), os.cpu_count(), platform.python_version(), tf.__version__, ray.__version__,
        time.strftime("%Y-%m-%d")), "",
        "`eli5-compat explain` in a fresh process per run (Grad-CAM, overlays written; median of {} interleaved "
        "rounds). Steady state: (large - small images) / (large - small seconds); start-up: the small run's time "
        "less its images at the steady rate (importing TensorFlow, starting Ray and the actors, loading the "
        "model).".format(rows[0]["rounds"]), "",
        "| model | run | batch | small run | large run | end to end, large run | steady state | start-up |",
        "|---|---|---|---|---|---|---|---|"]
    base = {}
    for row in rows:
        if row["config"] == "single process":
            base[row["model"]] = row["steady"]
        lines.append("| {model} | {config} | {batch} | {small} images, {t_small:.1f} s | {large} images, {t_large:.1f} s "
                     "| {end_to_end:.1f} images/s | {steady:.1f} images/s ({ratio:.2f}x single) | {startup:.1f} s |".format(
                         ratio=row["steady"] / base[row["model"]], **row))
    text = "\n".join(lines) + "\n"
    if write:
        (HERE / "results" / "ray.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--models", default="tutorial_cnn,mobilenetv2")
    parser.add_argument("--quick", action="store_true", help="one round, the tutorial CNN only; writes no file")
    args = parser.parse_args()
    models = ["tutorial_cnn"] if args.quick else args.models.split(",")
    with tempfile.TemporaryDirectory() as work:
        rows = measure(models, 1 if args.quick else args.rounds, Path(work))
    print(report(rows, write=not args.quick))


if __name__ == "__main__":
    main()
