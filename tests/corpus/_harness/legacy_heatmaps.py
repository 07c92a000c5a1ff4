"""Run corpus files as they are (unmigrated) under eli5 0.11 and save what they explained.

    /work/main/.legacy-venv/bin/python tests/corpus/_harness/legacy_heatmaps.py [run_x.py ...]

Needs eli5 0.11's environment (TF 2.15, Keras 2.15; the files turn eager execution off
themselves). For each file (default: LEGACY_FILES) it writes the inputs of corpus_inputs.py
with this Keras, runs the original file with the recording harness, and writes
``tests/corpus/expected/<file>.legacy.npz``: ``calls`` (JSON of the recorded calls) and
``heatmap_<n>`` for every heatmap in call order. tests/test_corpus_run.py compares the migrated
run on Keras 3 with it.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HARNESS = Path(__file__).resolve().parent
sys.path.insert(0, str(HARNESS))
import corpus_inputs  # noqa: E402

CORPUS = HARNESS.parent
LEGACY_FILES = ("run_flask_explain_api.py", "run_gradcam_report.py", "run_softmax_trick.py")
# Stable numbers (keras-facts.md; TF_DETERMINISTIC_OPS would make load_model need a seed in graph mode);
# the corpus test sets the same.
STABLE = {"TF_ENABLE_ONEDNN_OPTS": "0", "CUDA_VISIBLE_DEVICES": "-1",
          "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_original(name, tmp):
    """Run the original ``name`` in ``tmp``; (stdout, the recorded call lines, heatmaps folder)."""
    work, extra = corpus_inputs.prepare(name, tmp, CORPUS / "run_gradcam_utils.py")
    shutil.copyfile(CORPUS / name, work / name)
    heatmaps = Path(tmp) / "heatmaps"
    heatmaps.mkdir()
    env = dict(os.environ, **extra, **STABLE)
    env.update(PYTHONPATH=os.pathsep.join([str(HARNESS), str(CORPUS / "_standins")]),
               ELI5_CORPUS_CALLS=str(Path(tmp) / "calls.jsonl"), ELI5_CORPUS_HEATMAPS=str(heatmaps),
               MPLBACKEND="Agg")
    args = corpus_inputs.SETUPS[name][2]
    out = subprocess.run([sys.executable, name, *args], cwd=str(work), env=env, capture_output=True, text=True)
    if out.returncode != 0 or out.stdout.splitlines()[-1:] != ["CORPUS-END"]:
        raise SystemExit("{} failed under eli5 0.11:\n{}\n{}".format(name, out.stdout, out.stderr[-4000:]))
    lines = (Path(tmp) / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    return out.stdout, [json.loads(line) for line in lines], heatmaps


def main(names):
    import eli5
    import tensorflow as tf

    assert eli5.__version__ == "0.11.0" and tf.__version__.startswith("2.15."), (eli5.__version__, tf.__version__)
    for name in names or LEGACY_FILES:
        with tempfile.TemporaryDirectory(prefix="corpus-legacy-") as tmp:
            _, records, heatmaps = run_original(name, tmp)
            calls = [r for r in records if "call" in r]
            arrays = {"heatmap_{}".format(r["heatmap"]): np.load(str(heatmaps / "{}.npy".format(r["heatmap"])))
                      for r in calls if r.get("heatmap")}
            np.savez(str(CORPUS / "expected" / (name + ".legacy.npz")), calls=json.dumps(
                [[r["call"], r.get("returned", r.get("raised"))] for r in calls]), **arrays)
            print("wrote expected/{}.legacy.npz: {} calls, {} heatmaps".format(name, len(calls), len(arrays)))


if __name__ == "__main__":
    main(sys.argv[1:])
