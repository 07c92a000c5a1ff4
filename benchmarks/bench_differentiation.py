"""The core's differentiation: tf.GradientTape vs tf.gradients, in one run per world, as ratios.

    python benchmarks/bench_differentiation.py [--rounds-factor 3] [--only "graph mode"]

For each world (Keras 3 and tf-keras in /work/main/.venv, graph mode with eager disabled on
TF 2.15 in /work/main/.legacy-venv; pass other pythons with --keras3-python / --graph-python)
a worker builds the Grad-CAM core twice on the same model, layer and signature, once with
the tape (``_engine_tf._USE_TAPE = True``, the default) and once with ``tf.gradients``, and then
times the two compiled computations in interleaved rounds (one call of each per round, the
rounds run in one order and then in the reverse one), so a shared machine's drift and a slot's
position in the round affect both alike. A third entry calls the tape computation again
under another name: its ratio to the tape (an A/A comparison) is the noise of the measure.
It also reports each computation's graph size (ops in the traced function; in graph mode, the
ops added to the session graph by building it) and, through the public API, how many ops
repeated calls add to the graph after the first (the growth that slowed eli5 0.11 down).
Models: the tutorial CNN (28x28x1) and MobileNetV2 (weights=None), a single image and a batch.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_gradcam import MODELS, build_model, docs_for, interleaved_ms  # noqa: E402

WORLDS = {
    "Keras 3": ("keras3", {}),
    "tf-keras": ("keras3", {"TF_USE_LEGACY_KERAS": "1"}),
    "graph mode": ("graph", {"ELI5_COMPAT_GRAPH_MODE": "1"}),
}
BATCH = {"tutorial_cnn": 256, "mobilenetv2": 8}
ROUNDS = {("tutorial_cnn", 1): 300, ("tutorial_cnn", 256): 40, ("mobilenetv2", 1): 40, ("mobilenetv2", 8): 12}


def _build_core(model, layer, docs, use_tape):
    """One compiled core with the chosen differentiation; returns (call, ops in its graph)."""
    import numpy as np
    import tensorflow as tf

    from eli5_compat.keras import _engine_tf as _engine

    specs = ((tuple(docs.shape[1:]), "float32"),)
    targets = np.full((len(docs),), -1, np.int64)
    previous, _engine._USE_TAPE = _engine._USE_TAPE, use_tape
    try:
        if tf.executing_eagerly():
            fn = _engine._build_eager(model, layer, specs, 0, False)
            x, t = (tf.constant(docs),), tf.constant(targets)
            return (lambda: [v.numpy() for v in fn(x, t)]), len(fn.graph.get_operations())
        graph = _compat_session(model).graph
        before = len(graph.get_operations())
        placeholders, target_ph, fetches, session = _engine._build_graph(model, layer, specs, 0, False)
        added = len(graph.get_operations()) - before
        feed = {placeholders[0]: docs, target_ph: targets}
        return (lambda: session.run(list(fetches), feed_dict=feed)), added
    finally:
        _engine._USE_TAPE = previous


def _compat_session(model):
    from eli5_compat.keras import _compat

    return _compat.v1_session(model)


def _both_orders(fns, rounds):
    """Median ms of each function over interleaved rounds run in one order and then in the
    reverse order (geometric mean of the two), so a slot's position in the round cancels out."""
    forward = interleaved_ms(fns, rounds)
    backward = interleaved_ms(dict(reversed(list(fns.items()))), rounds)
    return {key: (forward[key] * backward[key]) ** 0.5 for key in fns}


def _growth(model, layer_name, doc, use_tape, calls=20):
    """Ops added to the default graph by calls 2..calls of explain_prediction (graph mode)."""
    import tensorflow as tf

    import eli5_compat as eli5
    from eli5_compat.keras import _engine_tf as _engine

    if tf.executing_eagerly():
        return None
    previous, _engine._USE_TAPE = _engine._USE_TAPE, use_tape
    try:
        _engine.clear_cache()
        eli5.explain_prediction(model, doc, layer=layer_name)
        graph = _compat_session(model).graph
        before = len(graph.get_operations())
        for _ in range(calls - 1):
            eli5.explain_prediction(model, doc, layer=layer_name)
        return len(graph.get_operations()) - before
    finally:
        _engine._USE_TAPE = previous
        _engine.clear_cache()


def worker(out_path, factor):
    import numpy as np
    import tensorflow as tf

    if os.environ.get("ELI5_COMPAT_GRAPH_MODE") == "1":
        tf.compat.v1.disable_eager_execution()
    from tensorflow import keras

    results = []
    for name in MODELS:
        model, layer_name = build_model(keras, name)
        layer = model.get_layer(layer_name)
        for batch in (1, BATCH[name]):
            docs = docs_for(model, batch)
            tape, tape_ops = _build_core(model, layer, docs, True)
            grads, grads_ops = _build_core(model, layer, docs, False)
            same = all(np.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(tape(), grads()))
            rounds = max(3, int(ROUNDS[(name, batch)] * factor))
            ms = _both_orders({"gradients": grads, "tape": tape, "tape_again": tape}, rounds)
            results.append({"model": name, "batch": batch, "rounds": rounds, "same_numbers": bool(same),
                            "gradients_ms": ms["gradients"], "tape_ms": ms["tape"],
                            "tape_again_ms": ms["tape_again"], "ratio": ms["tape"] / ms["gradients"],
                            "noise": ms["tape_again"] / ms["tape"],
                            "tape_ops": tape_ops, "gradients_ops": grads_ops,
                            "growth_tape": _growth(model, layer_name, docs[:1], True) if batch == 1 else None,
                            "growth_gradients": _growth(model, layer_name, docs[:1], False) if batch == 1 else None})
    Path(out_path).write_text(json.dumps({"tf": tf.__version__, "rows": results}))


def _run(python, env_extra, factor):
    out = HERE / "results" / "differentiation.tmp"
    out.parent.mkdir(exist_ok=True)
    cmd = [python, str(Path(__file__).resolve()), "--worker", "--out", str(out), "--rounds-factor", str(factor)]
    done = subprocess.run(cmd, env=dict(os.environ, **env_extra), capture_output=True, text=True)
    if done.returncode != 0:
        print("  worker failed:\n" + done.stderr[-3000:])
        return None
    found = json.loads(out.read_text())
    out.unlink()
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keras3-python", default="/work/main/.venv/bin/python")
    parser.add_argument("--graph-python", default="/work/main/.legacy-venv/bin/python")
    parser.add_argument("--rounds-factor", type=float, default=1.0, help="scale the number of rounds")
    parser.add_argument("--only", choices=sorted(WORLDS), help="measure one world only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.out, args.rounds_factor)
    pythons = {"keras3": args.keras3_python, "graph": args.graph_python}
    lines = ["| world | model | batch | tf.gradients ms | tape ms | tape / gradients | A/A noise "
             "| ops (gradients / tape) | growth over 19 calls (gradients / tape) | same numbers |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for world, (python_key, env) in WORLDS.items():
        if args.only and world != args.only:
            continue
        found = _run(pythons[python_key], env, args.rounds_factor)
        for row in (found or {}).get("rows", []):
            growth = ("-" if row["growth_tape"] is None
                      else "%d / %d" % (row["growth_gradients"], row["growth_tape"]))
            lines.append("| %s (TF %s) | %s | %d | %.2f | %.2f | %.3f | %.3f | %d / %d | %s | %s |" % (
                world, found["tf"], row["model"], row["batch"], row["gradients_ms"], row["tape_ms"],
                row["ratio"], row["noise"], row["gradients_ops"], row["tape_ops"], growth, row["same_numbers"]))
    print("\n".join(lines))
    print("\nratio > 1: the tape is slower. A/A noise: the tape timed twice under two names.")


if __name__ == "__main__":
    main()
