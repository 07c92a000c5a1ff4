"""The executable corpus files (tests/corpus/run_*) run to their end on Keras 3 after migration.

Each file runs through ``eli5-compat run`` (migrated in memory, the file untouched) in a tmp
folder where the test first writes what the code expects there: tiny seeded Keras models
saved as the code loads them, PNG images, uploads. Only for these runs, PYTHONPATH carries

- ``tests/corpus/_standins``: tiny stand-ins for ``streamlit`` and ``flask`` (and ``bin/pip``,
  first on PATH, so ``!pip install`` lines install nothing), documented in their modules;
- ``tests/corpus/_harness``: a ``sitecustomize`` that records each call user code makes to
  eli5_compat's public functions (name, what it returned, whether eager execution was on) and,
  at exit, whether eager execution was on, as JSON lines in ``$ELI5_CORPUS_CALLS``.

Each test asserts that the file printed its end marker last, that the recorded calls are
exactly the expected ones (Explanations with a heatmap, PIL images, Grad-CAM terms), that eager
execution was on throughout, and that the checked-in expected migration (tests/corpus/expected)
is what ``run`` executed. For the files with ``expected/<file>.legacy.npz`` (the original run
under eli5 0.11 by ``_harness/legacy_heatmaps.py`` on the same inputs), the calls must be the
same and every heatmap within 1e-5 of eli5 0.11's. The runs always use this (Keras 3) interpreter with
``TF_USE_LEGACY_KERAS`` removed, so they are the same in every world: marked ``once`` and
``tooling``.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from eli5_compat.migrate import migrate_notebook, migrate_source

_spec = importlib.util.spec_from_file_location(
    "corpus_inputs", Path(__file__).parent / "corpus" / "_harness" / "corpus_inputs.py")
corpus_inputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_inputs)

pytestmark = [pytest.mark.tooling, pytest.mark.once, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"
EXPECTED = CORPUS / "expected"
STANDINS = CORPUS / "_standins"
HARNESS = CORPUS / "_harness"
MARKER = "CORPUS-END"

STABLE = {"TF_ENABLE_ONEDNN_OPTS": "0", "CUDA_VISIBLE_DEVICES": "-1",
          "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}  # as legacy_heatmaps.py ran eli5 0.11
HEATMAP_TOLERANCE = 1e-5  # TF 2.15 graph mode vs TF 2.16+ eager (keras-facts.md)

EXPLANATION, IMAGE = "Explanation", "PIL.Image"
TERMS = "tuple(ndarray, ndarray, ndarray, int64, float32)"


# file: the eli5 calls it makes, in order (its inputs: tests/corpus/_harness/corpus_inputs.py)
CASES = {
    "run_kaggle_xray_kernel.py": [
        ("show_prediction", IMAGE), ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)],
    "run_xray_notebook.ipynb": [
        ("show_prediction", IMAGE), ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)],
    "run_streamlit_xray_app.py": [("show_prediction", IMAGE)],
    "run_flask_explain_api.py": [("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)],
    "run_gradcam_report.py": [
        ("gradcam_backend", TERMS), ("gradcam", "ndarray"), ("explain_prediction", EXPLANATION),
        ("format_as_image", IMAGE)] * 2,
    "run_softmax_trick.py": [
        ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE), ("show_prediction", IMAGE)],
    "run_train_then_explain.py": [("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)] * 3,
}

# What `!pip install` lines asked the stand-in pip for (files without one must not call it)
PIP = {"run_kaggle_xray_kernel.py": ["pip install eli5-compat -q"], "run_xray_notebook.ipynb": ["pip install eli5-compat"]}

# Runs that fail today for a known reason outside this test: the error they must stop with.
# Each is an expected failure while it fails exactly so, and a failure once it runs (then
# remove it here).
KNOWN_FAILURES = {}


def _environment(tmp_path, extra):
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env.pop("TF_DETERMINISTIC_OPS", None)  # a user's environment, not the suite's
    env.update(extra)
    env.update(STABLE)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(HARNESS), str(STANDINS), str(REPO)]),
        "PATH": os.pathsep.join([str(STANDINS / "bin"), env.get("PATH", "")]),
        "ELI5_CORPUS_CALLS": str(tmp_path / "calls.jsonl"),
        "STANDIN_PIP_LOG": str(tmp_path / "pip.log"),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    })
    return env


def _records(tmp_path):
    lines = (tmp_path / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _migrated_by_run(original: Path):
    """What ``eli5-compat run`` executes for ``original`` (the migrated text it builds in memory)."""
    if original.suffix == ".ipynb":
        notebook = nbformat.read(str(original), as_version=nbformat.NO_CONVERT)
        return [cell.source for cell in migrate_notebook(notebook).notebook.cells]
    return migrate_source(original.read_bytes().decode("utf-8")).text.encode("utf-8")


def _expected_migration(name):
    if name.endswith(".ipynb"):
        return [cell.source for cell in nbformat.read(str(EXPECTED / name), as_version=nbformat.NO_CONVERT).cells]
    return (EXPECTED / name).read_bytes()


def test_every_run_file_has_a_case():
    files = {p.name for p in CORPUS.glob("run_*") if p.suffix in (".py", ".ipynb")}
    assert files - set(CASES) == {"run_gradcam_utils.py"}  # imported by run_gradcam_report.py
    assert set(CASES) == set(files) - {"run_gradcam_utils.py"} == set(corpus_inputs.SETUPS)


def _same_as_eli5_011(name, records, tmp_path):
    """The migrated run's calls and heatmaps equal the original's under eli5 0.11 (legacy_heatmaps.py)."""
    legacy = np.load(str(EXPECTED / (name + ".legacy.npz")))
    calls = [r for r in records if "call" in r]
    assert [[r["call"], r["returned"]] for r in calls] == json.loads(str(legacy["calls"]))
    numbers = [r["heatmap"] for r in calls if r["heatmap"]]
    assert {"heatmap_{}".format(n) for n in numbers} == set(legacy.files) - {"calls"}
    for n in numbers:
        ours = np.load(str(tmp_path / "{}.npy".format(n)))
        np.testing.assert_allclose(ours, legacy["heatmap_{}".format(n)], rtol=0, atol=HEATMAP_TOLERANCE)


@pytest.mark.parametrize("name", sorted(CASES))
def test_migrated_file_runs_to_its_end_on_keras3(name, tmp_path):
    expected_calls = CASES[name]
    work, extra = corpus_inputs.prepare(name, tmp_path, EXPECTED / "run_gradcam_utils.py")
    env = _environment(tmp_path, extra)
    legacy = EXPECTED / (name + ".legacy.npz")
    if legacy.exists():
        env["ELI5_CORPUS_HEATMAPS"] = str(tmp_path)
    original = work / name
    shutil.copyfile(CORPUS / name, original)

    command = [sys.executable, "-m", "eli5_compat", "run", str(original), *corpus_inputs.SETUPS[name][2]]
    if name.endswith(".ipynb"):
        executed = tmp_path / "executed.ipynb"
        command[4:4] = ["-o", str(executed), "--timeout", "300"]
    out = subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    known = KNOWN_FAILURES.get(name)
    if known and out.returncode != 0 and known[0] in out.stderr:
        pytest.xfail(known[1])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    if name.endswith(".ipynb"):
        printed = "".join(o.get("text", "") for c in nbformat.read(str(executed), as_version=4).cells
                          for o in c.get("outputs", []) if o.get("output_type") == "stream")
        report = out.stdout
    else:
        printed, report = out.stdout, out.stderr
    assert printed.splitlines()[-1] == MARKER, printed[-2000:]

    records = _records(tmp_path)
    calls = [(r["call"], r.get("returned", "raised " + r.get("raised", "?"))) for r in records if "call" in r]
    assert calls == expected_calls
    assert all(r["eager"] for r in records if "call" in r), records
    at_exit = {r["pid"]: r["eager"] for r in records if "exit" in r}  # the notebook's kernel's too
    # A script's process always writes its exit record. A notebook's kernel may be stopped by
    # nbclient before its atexit hooks run (seen once in CI): then there is no record, but one
    # that is there must say eager.
    allowed = ({True, None} if name.endswith(".ipynb") else {True})
    assert {at_exit.get(r["pid"]) for r in records if "call" in r} <= allowed, records
    assert False not in at_exit.values(), records

    pip_log = tmp_path / "pip.log"
    assert (pip_log.read_text().splitlines() if pip_log.exists() else []) == PIP.get(name, [])

    # the file is untouched; run executed the reviewed expected migration and printed its report
    assert original.read_bytes() == (CORPUS / name).read_bytes()
    assert _migrated_by_run(original) == _expected_migration(name)
    expected_report = (EXPECTED / (name + ".report.txt")).read_text(encoding="utf-8")
    assert expected_report.replace(name + ":", str(original) + ":") in report
    if legacy.exists():
        _same_as_eli5_011(name, records, tmp_path)
    assert not known, "{} runs now: remove it from KNOWN_FAILURES".format(name)
