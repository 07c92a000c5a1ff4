"""CAM family speed, measured in one run on one machine, printed as ratios.

    python benchmarks/bench_cam.py [--quick]

1. Gradient methods vs Grad-CAM, on the same model, layer and images, in interleaved rounds
   (one call of each method per round, the order reversed every other round):
   ``explain_predictions(model, images, method=m, progress=False)`` on the tutorial CNN
   (28x28x1, 256 images) and MobileNetV2 (weights=None, 224x224x3, 16 images), and
   ``explain_prediction(model, image, method=m)`` on MobileNetV2. Ratio = time(m) / time(gradcam),
   taken per round (the two calls of a ratio ran back to back), then the median and quartiles
   of those ratios.
2. Score-CAM vs tf-keras-vis 0.8.7 ``Scorecam`` on MobileNetV2(weights=None,
   classifier_activation=None) (a linear head, so that both take one softmax of the output),
   sklearn's "flower.jpg" resized to 224x224 and scaled to [-1, 1], layer "out_relu", batch
   size 32; full Score-CAM and the faster variant (max_channels=128 vs max_N=128). Equal output
   is checked (our heatmap vs tf-keras-vis's cam / its max: max abs difference); time is the
   median of interleaved rounds after one warm-up call each; peak memory is the peak resident set
   (VmHWM) of a fresh process that builds the model and makes one call, next to a process that
   only makes one plain forward pass of 32 images (the floor every method pays). (ru_maxrss would
   not do: Linux carries it across exec, so a child started by a large parent reports the
   parent's peak.)
Models get deterministic weights (``bench_gradcam.build_model``'s scheme). Results are printed
and written to benchmarks/results/cam.md (and cam.json).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_gradcam import build_model, docs_for, interleaved_ms  # noqa: E402  (the same models, inputs, rounds)

GRADIENT_METHODS = ("gradcam++", "layercam", "hirescam", "xgradcam", "eigencam")
SCORE_VARIANTS = {"full": None, "faster": 128}
SCORE_LAYER = "out_relu"
SCORE_BATCH = 32
NOTES_MARKER = "## Where the time goes"


def interleaved(fns, rounds, warmup=1):
    """Seconds of every call of each function, in bench_gradcam's interleaved rounds (order reversed
    every other round) after ``warmup`` calls of each."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {key: [] for key in fns}

    def timed(key, fn):
        def call():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
        return call

    interleaved_ms({key: timed(key, fn) for key, fn in fns.items()}, rounds, warmup=0)
    return times


def _summary(values):
    import numpy as np

    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "min": float(np.min(values)),
            "max": float(np.max(values)), "n": len(values)}


def _ratios(times, key, reference):
    import numpy as np

    return _summary(np.asarray(times[key]) / np.asarray(times[reference]))


def bench_gradient(args):
    """Every gradient method vs Grad-CAM, batch and single image."""
    from tensorflow import keras

    import eli5_compat as eli5

    rows = []
    setups = [("tutorial_cnn", 256 if not args.quick else 64, 15 if not args.quick else 3),
              ("mobilenetv2", 16 if not args.quick else 4, 7 if not args.quick else 2)]
    for name, count, rounds in setups:
        model, layer = build_model(keras, name)
        docs = docs_for(model, count)
        fns = {m: (lambda m=m: eli5.explain_predictions(model, docs, layer=layer, method=m, progress=False))
               for m in ("gradcam",) + GRADIENT_METHODS}
        times = interleaved(fns, rounds)
        for m in GRADIENT_METHODS:
            rows.append({"model": name, "call": "explain_predictions, %d images" % count, "method": m,
                         "ms": _summary([t * 1e3 for t in times[m]]),
                         "gradcam_ms": _summary([t * 1e3 for t in times["gradcam"]]),
                         "ratio": _ratios(times, m, "gradcam")})
            print("  ", json.dumps({k: rows[-1][k] for k in ("model", "method")}), "ratio %.3f" % rows[-1]["ratio"]["median"],
                  flush=True)
        if name == "mobilenetv2":
            doc = docs_for(model, 1)
            fns = {m: (lambda m=m: eli5.explain_prediction(model, doc, layer=layer, method=m))
                   for m in ("gradcam",) + GRADIENT_METHODS}
            times = interleaved(fns, 30 if not args.quick else 5, warmup=3)
            for m in GRADIENT_METHODS:
                rows.append({"model": name, "call": "explain_prediction, 1 image", "method": m,
                             "ms": _summary([t * 1e3 for t in times[m]]),
                             "gradcam_ms": _summary([t * 1e3 for t in times["gradcam"]]),
                             "ratio": _ratios(times, m, "gradcam")})
                print("  single", m, "ratio %.3f" % rows[-1]["ratio"]["median"], flush=True)
    return rows


def score_model(keras):
    """MobileNetV2 with a linear head and bench_gradcam's deterministic weight scheme."""
    import numpy as np

    model = keras.applications.MobileNetV2(input_shape=(224, 224, 3), weights=None, classes=1000,
                                           classifier_activation=None)
    rng = np.random.default_rng(0)
    model.set_weights([
        (rng.uniform(0.5, 1.5, w.shape) if "variance" in v.name else rng.normal(0, 0.05, w.shape)).astype("float32")
        for v, w in zip(model.weights, model.get_weights())
    ])
    return model


def flower():
    """sklearn's flower.jpg resized to 224x224 (bilinear), scaled to [-1, 1], shape (1, 224, 224, 3)."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_image

    image = Image.fromarray(load_sample_image("flower.jpg")).resize((224, 224), Image.BILINEAR)
    return (np.asarray(image, dtype=np.float32) / 127.5 - 1.0)[np.newaxis]


def _score_calls(model, doc, target):
    """{"ours-full": fn, "tkv-full": fn, ...}: each returns the (7, 7) map, normalised by its max."""
    import numpy as np
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

    import eli5_compat as eli5

    tkv = Scorecam(model, clone=False)
    calls = {}
    for variant, channels in SCORE_VARIANTS.items():
        def ours(channels=channels):
            expl = eli5.explain_prediction(model, doc, targets=[target], layer=SCORE_LAYER, method="scorecam",
                                           max_channels=channels, batch_size=SCORE_BATCH)
            return np.asarray(expl.targets[0].heatmap, dtype=np.float64)

        def theirs(channels=channels):
            cam = tkv(CategoricalScore(target), doc, penultimate_layer=SCORE_LAYER, seek_penultimate_conv_layer=False,
                      batch_size=SCORE_BATCH, max_N=channels, normalize_cam=False, expand_cam=False)
            cam = np.asarray(cam, dtype=np.float64)[0]
            return cam / cam.max()

        calls["ours-" + variant], calls["tkv-" + variant] = ours, theirs
    return calls


def _channel_facts(model, doc):
    """How many of out_relu's channels are constant (all zero or not) on the photo."""
    import numpy as np
    from tensorflow import keras

    acts = keras.Model(model.inputs, model.get_layer(SCORE_LAYER).output)(doc).numpy()[0]
    flat = acts.reshape(-1, acts.shape[-1])
    constant = flat.min(axis=0) == flat.max(axis=0)
    return {"channels": int(flat.shape[1]), "constant": int(constant.sum()),
            "all_zero": int((constant & (flat.max(axis=0) == 0)).sum())}


def bench_score(args):
    """Score-CAM vs tf-keras-vis: equal output, interleaved time, then peak memory per process."""
    import numpy as np
    from tensorflow import keras

    model = score_model(keras)
    doc = flower()
    target = int(np.argmax(model.predict(doc, verbose=0)[0]))
    calls = _score_calls(model, doc, target)
    result = {"target": target, "channel_facts": _channel_facts(model, doc), "variants": {}}
    rounds = 3 if not args.quick else 1
    for variant in SCORE_VARIANTS:
        ours, theirs = calls["ours-" + variant], calls["tkv-" + variant]
        difference = float(np.max(np.abs(ours() - theirs())))  # also the warm-up call of each
        times = interleaved({"ours": ours, "tkv": theirs}, rounds, warmup=0)
        entry = {"max_abs_difference": difference, "ours_s": _summary(times["ours"]), "tkv_s": _summary(times["tkv"]),
                 "speedup": _summary(np.asarray(times["tkv"]) / np.asarray(times["ours"])), "rounds": rounds}
        result["variants"][variant] = entry
        print("  scorecam", variant, "diff %.2e" % difference, "ours %.2fs tkv %.2fs" % (
            entry["ours_s"]["median"], entry["tkv_s"]["median"]), flush=True)
    if not args.no_memory:
        for which in ["forward"] + list(calls):
            result.setdefault("peak_rss_mb", {})[which] = _memory_worker(which)
            print("  peak RSS", which, "%.0f MB" % result["peak_rss_mb"][which], flush=True)
    return result


def worker_memory(which):
    """In a fresh process: build the model, make one call, print the peak resident set in MB."""
    import numpy as np
    from tensorflow import keras

    model = score_model(keras)
    doc = flower()
    target = int(np.argmax(model.predict(doc, verbose=0)[0]))
    if which == "forward":
        model.predict(np.repeat(doc, SCORE_BATCH, axis=0), batch_size=SCORE_BATCH, verbose=0)
    else:
        _score_calls(model, doc, target)[which]()
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"peak_rss_mb": peak_kb / 1024}))


def _memory_worker(which):
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker-memory", which],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print("  memory worker %s failed:\n%s" % (which, done.stderr[-2000:]))
        return float("nan")
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_mb"]


def _spread(s, fmt="%.2f"):
    return (fmt + " (" + fmt + "-" + fmt + ")") % (s["median"], s["q1"], s["q3"])


def report(rows, score, args):
    lines = ["Gradient methods vs Grad-CAM on the same call (ratio per interleaved round; median, "
             "interquartile range in brackets; target <= 1.3; Eigen-CAM shown for information):", "",
             "| model | call | method | method ms | Grad-CAM ms | ratio | rounds | target |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        target = "(shown)" if r["method"] == "eigencam" else ("<= 1.3" + ("" if r["ratio"]["median"] <= 1.3 else " MISSED"))
        lines.append("| %s | %s | %s | %s | %s | %s | %d | %s |" % (
            r["model"], r["call"], r["method"], _spread(r["ms"], "%.1f"), _spread(r["gradcam_ms"], "%.1f"),
            _spread(r["ratio"]), r["ratio"]["n"], target))
    if score:
        facts = score["channel_facts"]
        lines += ["", "Score-CAM vs tf-keras-vis 0.8.7 Scorecam, MobileNetV2 (weights=None, linear head), flower.jpg at "
                  "224x224 in [-1, 1], layer out_relu (%d channels, %d constant on this image, %d of them all zero), "
                  "batch size 32, target class %d (times: median, min-max in brackets, of %d interleaved rounds after "
                  "one warm-up call each; the ratio is taken per round; target: tf-keras-vis / ours >= 3):" % (
                      facts["channels"], facts["constant"], facts["all_zero"], score["target"],
                      next(iter(score["variants"].values()))["rounds"]), "",
                  "| variant | eli5-compat s | tf-keras-vis s | tf-keras-vis / ours | max abs difference of maps | "
                  "peak RSS ours / tkv | target |", "|---|---|---|---|---|---|---|"]
        memory = score.get("peak_rss_mb", {})
        for variant, v in score["variants"].items():
            name = "Score-CAM" if variant == "full" else "Faster Score-CAM (max_channels=128 / max_N=128)"
            mem = ("%.0f / %.0f MB" % (memory["ours-" + variant], memory["tkv-" + variant])) if memory else "-"
            ok = v["speedup"]["median"] >= 3
            lines.append("| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.2fx (%.2f-%.2f) | %.1e | %s | >= 3x%s |" % (
                name, v["ours_s"]["median"], v["ours_s"]["min"], v["ours_s"]["max"], v["tkv_s"]["median"],
                v["tkv_s"]["min"], v["tkv_s"]["max"], v["speedup"]["median"], v["speedup"]["min"], v["speedup"]["max"],
                v["max_abs_difference"], mem,
                "" if ok else " MISSED"))
        if memory:
            lines += ["", "Peak RSS of a process that only builds the model and runs one forward pass of 32 images: "
                      "%.0f MB." % memory["forward"]]
    import tensorflow as tf

    machine = "%s, %d cores (shared with other jobs), Python %s, TensorFlow %s, Keras %s, %s" % (
        platform.machine(), os.cpu_count(), platform.python_version(), tf.__version__, tf.keras.__version__,
        time.strftime("%Y-%m-%d"))
    text = "Machine: %s\n\n%s\n" % (machine, "\n".join(lines))
    print("\n" + text)
    if not args.quick:
        (HERE / "results").mkdir(exist_ok=True)
        path = HERE / "results" / "cam.md"
        # The hand-written analysis below NOTES_MARKER (profiles of the rows that miss) is kept.
        kept = path.read_text().split(NOTES_MARKER, 1) if path.exists() else []
        path.write_text(text + ("\n" + NOTES_MARKER + kept[1] if len(kept) == 2 else ""))
        (HERE / "results" / "cam.json").write_text(json.dumps({"gradient": rows, "scorecam": score}, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few images and rounds; writes no results file")
    parser.add_argument("--only", choices=["gradient", "scorecam"],
                        help="run one part only (the results file keeps the other part's last results)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--worker-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_memory:
        return worker_memory(args.worker_memory)
    rows, score = [], None
    previous = HERE / "results" / "cam.json"
    if args.only and not args.quick and previous.exists():  # the part not re-run keeps its last results
        kept = json.loads(previous.read_text())
        rows, score = kept.get("gradient", []), kept.get("scorecam")
    if args.only != "scorecam":
        print("gradient methods vs Grad-CAM ...", flush=True)
        rows = bench_gradient(args)
    if args.only != "gradient":
        print("Score-CAM vs tf-keras-vis ...", flush=True)
        score = bench_score(args)
    report(rows, score, args)


if __name__ == "__main__":
    main()
