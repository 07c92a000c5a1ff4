"""Grad-CAM speed and memory, measured in one run on one machine, printed as ratios.

    python benchmarks/bench_gradcam.py --eli5-016-python .bench-venv/bin/python [--quick]

Compares, on the same weights and inputs:
  * eli5_compat.explain_prediction (one image, warm) vs eli5 0.16 vs the floor: a
    hand-written compiled GradientTape Grad-CAM on a model built once;
  * eli5_compat.explain_predictions at batch 256 (the user's call: a list of Explanations,
    whose PIL images are built when first read), per image, vs the floor at batch 256, in
    interleaved rounds; and the same call followed by reading every explanation's image;
  * 2,000 repeated single calls: median of the last 100 vs the first 100, and RSS growth;
  * graph mode (tf-keras, eager disabled): per-call time at call 10 vs call 300, and graph size.
For the two "over time" ratios a control (the floor; in graph mode a plain forward pass) runs
between the calls, and the table also shows the ratio divided by the control's own ratio, which
removes the drift of a shared machine's speed.
Models: the tutorial CNN (28x28x1) and MobileNetV2 (weights=None, 224x224x3).
eli5 0.16 runs in its own environment (benchmarks/setup_envs.sh), never a dependency.
Results are printed and written to benchmarks/results/latest.md.
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
MODELS = ("tutorial_cnn", "mobilenetv2")


def build_model(keras, name):
    """The benchmark models with deterministic weights (the same in every process)."""
    import numpy as np

    L = keras.layers
    if name == "tutorial_cnn":
        model = keras.Sequential([
            L.Input((28, 28, 1)),
            L.Conv2D(32, 3, padding="same", activation="relu", name="conv2d"),
            L.Conv2D(16, 3, padding="same", activation="relu", name="conv2d_1"),
            L.Conv2D(8, 3, padding="same", activation="relu", name="conv2d_2"),
            L.Flatten(), L.Dense(10, activation="softmax"),
        ], name="tutorial_cnn")
        layer = "conv2d_2"
    else:
        model = keras.applications.MobileNetV2(input_shape=(224, 224, 3), weights=None, classes=1000)
        layer = "out_relu"
    rng = np.random.default_rng(0)
    model.set_weights([
        (rng.uniform(0.5, 1.5, w.shape) if "variance" in v.name else rng.normal(0, 0.05, w.shape)).astype("float32")
        for v, w in zip(model.weights, model.get_weights())
    ])
    return model, layer


def docs_for(model, count):
    import numpy as np

    shape = tuple(model.inputs[0].shape[1:])
    return np.random.default_rng(1).random((count,) + shape).astype("float32")


def floor_function(keras, model, layer_name):
    """The floor: a compiled GradientTape Grad-CAM over a model built once (heatmaps only)."""
    import tensorflow as tf

    extractor = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])

    @tf.function
    def gradcam(x):
        with tf.GradientTape() as tape:
            acts, probs = extractor(x, training=False)
            score = tf.reduce_max(probs, axis=-1)
        grads = tape.gradient(score, acts)
        grads = tf.math.l2_normalize(grads, axis=[1, 2, 3])
        weights = tf.reduce_mean(grads, axis=[1, 2])
        cam = tf.nn.relu(tf.einsum("bhwc,bc->bhw", acts, weights))
        return cam / (tf.reduce_max(cam, axis=[1, 2], keepdims=True) + 1e-7)

    return lambda x: gradcam(x).numpy()


def median_ms(fn, calls, warmup=5):
    import numpy as np

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def interleaved_ms(fns, rounds, warmup=1):
    """Median ms of each function, run in interleaved rounds (one call of each per round, the order
    reversed every other round), so a shared machine's drift in speed, and a slot's position in
    the round, affect them all alike."""
    import numpy as np

    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {key: [] for key in fns}
    for round_ in range(rounds):
        for key, fn in (list(fns.items()) if round_ % 2 == 0 else list(fns.items())[::-1]):
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {key: float(np.median(t) * 1e3) for key, t in times.items()}


def _drift(prefix, times, control, skip):
    """Median of the first and last 100 timings after ``skip`` warm-up calls, and the same for the
    control run interleaved with them (its ratio is the machine's own drift)."""
    import numpy as np

    first, last = np.median(times[skip:skip + 100]), np.median(times[-100:])
    c_first, c_last = np.median(control[skip:skip + 100]), np.median(control[-100:])
    return {prefix + "first100_ms": float(first * 1e3), prefix + "last100_ms": float(last * 1e3),
            prefix + "drift_corrected": float((last / first) / (c_last / c_first))}


def rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2 ** 20


def bench_main(args):
    """eli5_compat and the floor, in this process (Keras 3, eager)."""
    from tensorflow import keras

    import eli5_compat as eli5

    results = {}
    for name in MODELS:
        model, layer = build_model(keras, name)
        floor = floor_function(keras, model, layer)
        single_calls = 30 if name == "mobilenetv2" else 300
        batch = 256 if not args.quick else 32
        repeats = args.repeats
        doc = docs_for(model, 1)
        many = docs_for(model, batch)
        r = results[name] = {}
        single_ms = interleaved_ms({"floor": lambda: floor(doc),
                                    "compat": lambda: eli5.explain_prediction(model, doc, layer=layer)},
                                   single_calls, warmup=5)
        r["floor_single_ms"], r["compat_single_ms"] = single_ms["floor"], single_ms["compat"]
        batch_runs = 5 if name == "mobilenetv2" else 25
        user_call = lambda: eli5.explain_predictions(model, many, layer=layer, batch_size=batch, progress=False)
        with_images = lambda: [expl.image for expl in user_call()]
        batch_ms = interleaved_ms({"floor": lambda: floor(many), "compat": user_call, "images": with_images},
                                  batch_runs)
        r["floor_batch_ms_per_image"] = batch_ms["floor"] / batch
        r["compat_batch_ms_per_image"] = batch_ms["compat"] / batch
        r["compat_images_ms_per_image"] = batch_ms["images"] / batch
        r["batch"] = batch
        times, control = [], []
        rss_start = None
        for i in range(repeats):
            start = time.perf_counter()
            eli5.explain_prediction(model, doc, layer=layer)
            middle = time.perf_counter()
            floor(doc)  # the control: tells machine-speed drift apart from slowdown of our own
            control.append(time.perf_counter() - middle)
            times.append(middle - start)
            if i == 19:
                rss_start = rss_mb()
        r["repeats"] = repeats
        r.update(_drift("", times, control, 20))
        r["rss_growth_mb"] = rss_mb() - rss_start
        print("  measured", name, json.dumps({k: round(v, 3) for k, v in r.items()}), flush=True)
    return results


def worker_eli5_016(out_path):
    """Run in eli5 0.16's environment: single-image warm time per model."""
    from tensorflow import keras

    import eli5

    results = {}
    for name in MODELS:
        model, layer = build_model(keras, name)
        doc = docs_for(model, 1)
        calls = 10 if name == "mobilenetv2" else 100
        results[name] = {"eli5_016_single_ms": median_ms(
            lambda: eli5.explain_prediction(model, doc, layer=layer), calls, warmup=3), "eli5_version": eli5.__version__}
    Path(out_path).write_text(json.dumps(results))


def worker_graph(out_path, calls):
    """Run with TF_USE_LEGACY_KERAS=1: eager disabled, per-call time at call 10 vs the last."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    from tensorflow import keras

    import eli5_compat as eli5

    results = {}
    for name in MODELS:
        model, layer = build_model(keras, name)
        doc = docs_for(model, 1)
        graph = tf.compat.v1.get_default_graph()
        session = tf.compat.v1.keras.backend.get_session()
        forward = model.outputs[0]
        times, control, ops = [], [], []
        for _ in range(calls):
            start = time.perf_counter()
            eli5.explain_prediction(model, doc, layer=layer)
            middle = time.perf_counter()
            session.run(forward, {model.inputs[0]: doc})  # the control: a plain forward pass
            control.append(time.perf_counter() - middle)
            times.append(middle - start)
            ops.append(len(graph.get_operations()))
        import numpy as np

        window = slice(5, 15)
        results[name] = {"graph_call10_ms": float(np.median(times[window]) * 1e3),
                         "graph_last_ms": float(np.median(times[-10:]) * 1e3),
                         "graph_drift_corrected": float((np.median(times[-10:]) / np.median(times[window]))
                                                        / (np.median(control[-10:]) / np.median(control[window]))),
                         "graph_calls": len(times), "graph_ops_after_10": ops[9], "graph_ops_last": ops[-1]}
    Path(out_path).write_text(json.dumps(results))


def run_worker(python, mode, env_extra, extra_args=()):
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / ("%s.tmp" % mode)
    env = dict(os.environ, **env_extra)
    cmd = [python, str(Path(__file__).resolve()), "--worker", mode, "--out", str(out), *extra_args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print("  %s worker failed:\n%s" % (mode, done.stderr[-3000:]))
        return {}
    found = json.loads(out.read_text())
    out.unlink()
    return found


def report(results, args):
    lines = ["| model | measure | eli5-compat | reference | ratio | target |", "|---|---|---|---|---|---|"]

    def row(model, measure, ours, ref, ref_name, target, corrected=None):
        ratio = (ref / ours) if "faster" in target else (ours / ref)
        shown = "%.2f%s" % (ratio, "x faster" if "faster" in target else "x")
        if corrected is not None:
            shown += " (%.2fx drift-corrected)" % corrected
        lines.append("| %s | %s | %.3f ms | %s %.3f ms | %s | %s |" % (model, measure, ours, ref_name, ref, shown, target))

    for name in MODELS:
        r = results.get(name, {})
        if "eli5_016_single_ms" in r:
            row(name, "single image, warm", r["compat_single_ms"], r["eli5_016_single_ms"], "eli5 0.16", ">= 10x faster")
        row(name, "single image, warm", r["compat_single_ms"], r["floor_single_ms"], "floor", "<= 2x floor")
        row(name, "explain_predictions, batch %d, per image" % r["batch"], r["compat_batch_ms_per_image"],
            r["floor_batch_ms_per_image"], "floor", "<= 1.15x floor")
        row(name, "same, then reading every .image", r["compat_images_ms_per_image"],
            r["floor_batch_ms_per_image"], "floor", "(shown)")
        row(name, "%d calls: last 100 vs first 100" % r["repeats"], r["last100_ms"], r["first100_ms"], "first 100",
            "<= 1.1x", r["drift_corrected"])
        lines.append("| %s | RSS growth over %d calls | %.1f MB | | | < 50 MB |" % (name, r["repeats"], r["rss_growth_mb"]))
        if "graph_call10_ms" in r:
            row(name, "graph mode: call %d vs call 10" % r["graph_calls"], r["graph_last_ms"], r["graph_call10_ms"],
                "call 10", "<= 1.2x", r["graph_drift_corrected"])
            lines.append("| %s | graph ops after call 10 / call %d | %d / %d | | | flat |" % (
                name, r["graph_calls"], r["graph_ops_after_10"], r["graph_ops_last"]))
    import tensorflow as tf

    machine = "%s, %d cores, Python %s, TensorFlow %s, %s" % (
        platform.machine(), os.cpu_count(), platform.python_version(), tf.__version__, time.strftime("%Y-%m-%d"))
    text = "Machine: %s\n\n%s\n" % (machine, "\n".join(lines))
    print("\n" + text)
    (HERE / "results").mkdir(exist_ok=True)
    if not args.quick:
        (HERE / "results" / "latest.md").write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eli5-016-python", help="python of an environment with eli5 0.16 (setup_envs.sh)")
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--graph-calls", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="small batch and few calls; writes no results file")
    parser.add_argument("--worker", choices=["eli5-016", "graph"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.graph_calls = min(args.repeats, 300), min(args.graph_calls, 60)
    if args.worker == "eli5-016":
        return worker_eli5_016(args.out)
    if args.worker == "graph":
        return worker_graph(args.out, args.graph_calls)
    print("eli5-compat (Keras 3, eager) and the floor ...", flush=True)
    results = bench_main(args)
    if args.eli5_016_python:
        print("eli5 0.16 ...", flush=True)
        for name, found in run_worker(args.eli5_016_python, "eli5-016", {}).items():
            results[name].update(found)
    print("graph mode (tf-keras, eager disabled) ...", flush=True)
    graph = run_worker(sys.executable, "graph", {"TF_USE_LEGACY_KERAS": "1"},
                       ["--graph-calls", str(args.graph_calls)])
    for name, found in graph.items():
        results[name].update(found)
    report(results, args)


if __name__ == "__main__":
    main()
