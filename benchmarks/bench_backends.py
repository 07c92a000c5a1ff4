"""Grad-CAM speed on each Keras 3 backend against a hand-written floor for that backend.

    KERAS_BACKEND=jax   /work/venvs/jax/bin/python   benchmarks/bench_backends.py [--quick]
    KERAS_BACKEND=torch /work/venvs/torch/bin/python benchmarks/bench_backends.py [--quick]
    KERAS_BACKEND=tensorflow .venv/bin/python benchmarks/bench_backends.py   (comparison rows only)

One run measures the backend Keras was started with (``KERAS_BACKEND``; no TensorFlow needed
for jax or torch) and replaces that backend's rows in benchmarks/results/backends.md and
backends.json, keeping the other backends' rows and the hand-written "## Where the time goes"
section. Rows, on the same weights and inputs (``bench_gradcam.build_model`` / ``docs_for``):

* tutorial CNN (28x28x1, layer conv2d_2), one image: ``eli5.explain_prediction(model, doc)``
  (warm) vs the floor on that image;
* tutorial CNN, 256 images: ``eli5.explain_predictions(model, docs, batch_size=256,
  progress=False)`` (one batch, as the floor) vs the floor on the same 256 images;
* MobileNetV2 (weights=None, 224x224x3, layer out_relu), one image.

The floor is the simplest fast Grad-CAM a user could write on the backend, heatmaps only
(NumPy out), built once, on two sub-models split at the explained layer
(``keras.Model(model.inputs, layer.output)`` and ``keras.Model(layer.output, model.outputs[0])``):

* JAX: both sub-models' ``stateless_call`` (the variables' values taken once) inside one
  ``jax.jit``-ed function: activations, ``jax.grad`` of the top class's score with respect to
  them, then eli5's formula (gradients / max(||gradients||, 1e-6) per image, spatial mean,
  channel-weighted sum, ReLU, / (max + 1e-7)); compiled (warm) before timing.
* PyTorch: the same sub-models called eagerly (the first under ``torch.no_grad``),
  ``torch.autograd.grad``, the formula in torch under ``torch.no_grad``. With
  ``--torch-compile`` the floor is also timed wrapped in ``torch.compile`` (shown apart).
* TensorFlow (for comparison only): ``bench_gradcam.floor_function``.

Each row also times the engine seam alone (``_engine.compute_terms(..., gradients=False)``, as
Grad-CAM calls it: the compiled gradient pass, NumPy out), which tells the engine's cost apart from the API's Python work. The calls
run in bench_gradcam's interleaved rounds; the ratio is taken per round (the calls of a round
ran back to back), then the median and interquartile range. The maps are compared: max abs
difference of eli5-compat's heatmaps and the floor's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cam import NOTES_MARKER, _summary, interleaved  # noqa: E402  (rounds and summaries as there)
from bench_gradcam import build_model, docs_for  # noqa: E402  (the same models and inputs)

TARGETS = {"jax": 1.3, "torch": 1.5, "tensorflow": None}
RESULTS = HERE / "results"


def sub_models(keras, model, layer_name):
    """The model split at the explained layer: (inputs -> activations, activations -> output 0)."""
    activations = model.get_layer(layer_name).output
    return keras.Model(model.inputs, activations), keras.Model(activations, model.outputs[0])


def jax_floor(keras, model, layer_name):
    """The JAX floor: one jax.jit-ed Grad-CAM over the two sub-models' stateless calls."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    features, head = sub_models(keras, model, layer_name)
    state = ([v.value for v in features.trainable_variables], [v.value for v in features.non_trainable_variables],
             [v.value for v in head.trainable_variables], [v.value for v in head.non_trainable_variables])

    @jax.jit
    def gradcam(f_train, f_fixed, h_train, h_fixed, x):
        acts, _ = features.stateless_call(f_train, f_fixed, x, training=False)

        def top_scores(a):
            probs, _ = head.stateless_call(h_train, h_fixed, a, training=False)
            return jnp.sum(jnp.max(probs, axis=-1))

        grads = jax.grad(top_scores)(acts)
        spatial = tuple(range(1, acts.ndim - 1))
        norm = jnp.sqrt(jnp.sum(grads * grads, axis=spatial + (acts.ndim - 1,), keepdims=True))
        weights = jnp.mean(grads / jnp.maximum(norm, 1e-6), axis=spatial)
        cam = jax.nn.relu(jnp.einsum("n...c,nc->n...", acts, weights))
        return cam / (jnp.max(cam, axis=spatial, keepdims=True) + 1e-7)

    return lambda x: np.asarray(gradcam(*state, x))


def torch_floor(keras, model, layer_name, compiled=False):
    """The PyTorch floor: the two sub-models called eagerly, torch.autograd.grad, the formula in torch."""
    import torch

    features, head = sub_models(keras, model, layer_name)

    def gradcam(x):
        with torch.no_grad():
            acts = features(x, training=False)
        acts = acts.detach().requires_grad_(True)
        probs = head(acts, training=False)
        (grads,) = torch.autograd.grad(probs.max(dim=-1).values.sum(), acts)
        with torch.no_grad():
            spatial = tuple(range(1, acts.dim() - 1))
            norm = torch.sqrt(torch.sum(grads * grads, dim=spatial + (acts.dim() - 1,), keepdim=True))
            weights = torch.mean(grads / torch.clamp(norm, min=1e-6), dim=spatial)
            cam = torch.relu(torch.einsum("n...c,nc->n...", acts, weights))
            return cam / (torch.amax(cam, dim=spatial, keepdim=True) + 1e-7)

    if compiled:
        gradcam = torch.compile(gradcam)
    return lambda x: gradcam(torch.from_numpy(x)).numpy()


def floor_for(backend, keras, model, layer_name):
    if backend == "jax":
        return jax_floor(keras, model, layer_name)
    if backend == "torch":
        return torch_floor(keras, model, layer_name)
    from bench_gradcam import floor_function

    return floor_function(keras, model, layer_name)


def _heatmaps(explanations):
    import numpy as np

    return np.stack([np.asarray(e.targets[0].heatmap) for e in explanations])


def bench_row(backend, keras, name, count, rounds, args):
    """One row: eli5-compat's call, the engine seam alone and the floor, in interleaved rounds."""
    import numpy as np

    import eli5_compat as eli5
    from eli5_compat.keras import _engine

    model, layer = build_model(keras, name)
    docs = docs_for(model, count)
    floor = floor_for(backend, keras, model, layer)
    layer_object = model.get_layer(layer)
    top = np.full(count, -1, dtype=np.int64)
    if count == 1:
        call, label = (lambda: [eli5.explain_prediction(model, docs, layer=layer)]), "explain_prediction, 1 image"
    else:
        call = lambda: eli5.explain_predictions(model, docs, layer=layer, batch_size=count, progress=False)
        label = "explain_predictions, %d images (batch_size=%d)" % (count, count)
    fns = {"floor": lambda: floor(docs), "compat": call,
           "engine": lambda: _engine.compute_terms(model, layer_object, [docs], top, 0, False, gradients=False)}
    if args.torch_compile and backend == "torch":
        fns["floor_compiled"] = _compiled_floor(keras, model, layer, docs)
    start = time.perf_counter()
    difference = float(np.max(np.abs(_heatmaps(call()) - floor(docs))))  # also the first (compiling) calls
    warm_s = time.perf_counter() - start
    times = interleaved(fns, rounds, warmup=2)
    floor_times = np.asarray(times["floor"])
    row = {"model": name, "call": label, "images": count, "rounds": rounds, "max_abs_difference": difference,
           "first_calls_s": warm_s}
    for key in fns:
        row[key + "_ms"] = _summary(np.asarray(times[key]) * 1e3)
        if key != "floor":
            row[key + "_ratio"] = _summary(np.asarray(times[key]) / floor_times)
    print("  %s %s: eli5-compat %.2f ms, engine %.2f ms, floor %.2f ms, ratio %.2f (%.2f-%.2f), max |diff| %.1e" % (
        name, label, row["compat_ms"]["median"], row["engine_ms"]["median"], row["floor_ms"]["median"],
        row["compat_ratio"]["median"], row["compat_ratio"]["q1"], row["compat_ratio"]["q3"], difference), flush=True)
    if args.profile:
        _profile(call)
    return row


def _compiled_floor(keras, model, layer, docs):
    """The torch floor under torch.compile (compiled by its first call here)."""
    fn = torch_floor(keras, model, layer, compiled=True)
    start = time.perf_counter()
    fn(docs)
    print("  torch.compile of the floor: first call %.1f s" % (time.perf_counter() - start), flush=True)
    return lambda: fn(docs)


def _profile(call, calls=30):
    """cProfile of ``calls`` warm calls: the 25 entries with the most cumulative time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def machine(backend, keras):
    versions = {"jax": lambda: __import__("jax").__version__,
                "torch": lambda: "%s, torch.get_num_threads() = %d" % (__import__("torch").__version__,
                                                      __import__("torch").get_num_threads()),
                "tensorflow": lambda: __import__("tensorflow").__version__}
    return "%s, %d cores (shared with other jobs), Python %s, Keras %s, %s %s, eli5-compat at %s, %s" % (
        platform.machine(), os.cpu_count(), platform.python_version(), keras.__version__,
        {"jax": "JAX", "torch": "PyTorch", "tensorflow": "TensorFlow"}[backend], versions[backend](),
        _commit(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def _commit():
    """The commit of the eli5_compat being measured (with "+changes" when its files differ from it)."""
    import subprocess

    import eli5_compat

    root = Path(eli5_compat.__file__).resolve().parent
    git = lambda *a: subprocess.run(["git", *a], cwd=root, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", ".") else "")


def _spread(s, fmt):
    return (fmt + " (" + fmt + "-" + fmt + ")") % (s["median"], s["q1"], s["q3"])


def table(results):
    """The markdown table of every backend's rows (backends in the order jax, torch, tensorflow)."""
    lines = ["| backend | model | call | eli5-compat ms | engine seam ms | floor ms | eli5-compat / floor | "
             "engine / floor | rounds | max abs diff of maps | target |", "|---" * 11 + "|"]
    for backend in sorted(results, key=lambda b: list(TARGETS).index(b) if b in TARGETS else 9):
        target = TARGETS.get(backend)
        for r in results[backend]["rows"]:
            if target is None:
                verdict = "(shown)"
            else:
                verdict = "<= %.1f%s" % (target, "" if r["compat_ratio"]["median"] <= target else " MISSED")
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %.1e | %s |" % (
                backend, r["model"], r["call"], _spread(r["compat_ms"], "%.2f"), _spread(r["engine_ms"], "%.2f"),
                _spread(r["floor_ms"], "%.2f"), _spread(r["compat_ratio"], "%.2f"),
                _spread(r["engine_ratio"], "%.2f"), r["rounds"], r["max_abs_difference"], verdict))
            if "floor_compiled_ms" in r:
                lines.append("| %s | %s | (floor under torch.compile) | | | %s | floor compiled / floor %s | | %d | | "
                             "(shown) |" % (backend, r["model"], _spread(r["floor_compiled_ms"], "%.2f"),
                                           _spread(r["floor_compiled_ratio"], "%.2f"), r["rounds"]))
    return lines


def write_results(results):
    machines = ["- %s: %s" % (b, results[b]["machine"]) for b in sorted(results)]
    text = "\n".join([
        "# Grad-CAM on each Keras 3 backend vs a hand-written floor", "",
        "Written by `benchmarks/bench_backends.py` (run once per backend; see its docstring for the rows and "
        "the floors). Times: median (interquartile range) of interleaved rounds, per call; ratios taken per "
        "round. \"engine seam\" is `_engine.compute_terms(..., gradients=False)` alone (the gradient pass, NumPy out).", "",
        "Machines:", *machines, "", *table(results), ""])
    path = RESULTS / "backends.md"
    kept = path.read_text().split(NOTES_MARKER, 1) if path.exists() else []
    path.write_text(text + ("\n" + NOTES_MARKER + kept[1] if len(kept) == 2 else ""))
    (RESULTS / "backends.json").write_text(json.dumps(results, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few images and rounds; writes no results file")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of each eli5-compat call")
    parser.add_argument("--torch-compile", action="store_true", help="also time the torch floor under torch.compile")
    parser.add_argument("--only", help="comma-separated row numbers to run (1-3); writes no results file")
    parser.add_argument("--threads", type=int, help="PyTorch: torch.set_num_threads (default: PyTorch's own)")
    parser.add_argument("--poll-seconds", type=float,
                        help="JAX: how long the engine polls for a started computation before blocking "
                             "(eli5_compat.keras._engine_jax._POLL_SECONDS; 0 blocks at once); writes no results file")
    args = parser.parse_args()
    import keras

    backend = keras.backend.backend()
    if args.poll_seconds is not None and backend == "jax":
        from eli5_compat.keras import _engine_jax

        _engine_jax._POLL_SECONDS = args.poll_seconds
    if args.threads and backend == "torch":
        import torch

        torch.set_num_threads(args.threads)
    rows = [("tutorial_cnn", 1, 200 if not args.quick else 20), ("tutorial_cnn", 256 if not args.quick else 32,
                                                                25 if not args.quick else 5),
            ("mobilenetv2", 1, 30 if not args.quick else 5)]
    if args.only:
        rows = [rows[int(i) - 1] for i in args.only.split(",")]
    print("Grad-CAM on Keras 3 with the %s backend, eli5-compat vs the floor ..." % backend, flush=True)
    measured = {"machine": machine(backend, keras),
                "rows": [bench_row(backend, keras, name, count, rounds, args) for name, count, rounds in rows]}
    previous = RESULTS / "backends.json"
    results = json.loads(previous.read_text()) if previous.exists() else {}
    results[backend] = measured
    print("\n" + "\n".join(table({backend: measured})))
    if not args.quick and not args.only and args.poll_seconds is None:
        RESULTS.mkdir(exist_ok=True)
        write_results(results)


if __name__ == "__main__":
    main()
