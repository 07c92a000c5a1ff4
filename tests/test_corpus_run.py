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
is what ``run`` executed. The runs always use this (Keras 3) interpreter with
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
from PIL import Image

from eli5_compat.migrate import migrate_notebook, migrate_source

pytestmark = [pytest.mark.tooling, pytest.mark.once, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"
EXPECTED = CORPUS / "expected"
STANDINS = CORPUS / "_standins"
HARNESS = CORPUS / "_harness"
MARKER = "CORPUS-END"

EXPLANATION, IMAGE = "Explanation", "PIL.Image"
TERMS = "tuple(ndarray, ndarray, ndarray, int64, float32)"


def _model(path, shape, classes, names=("conv1", "conv2"), seed=0):
    """A tiny seeded CNN (conv, pool, conv, global pool, softmax) saved to ``path``."""
    import keras  # Keras 3: the runs below use it whatever the world

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape),
        keras.layers.Conv2D(4, 3, activation="relu", name=names[0]),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(4, 3, activation="relu", name=names[1]),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(path))


def _png(path, size, mode="RGB", seed=0):
    """A seeded noise image with a bright square (something for the model to look at)."""
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "L": 1}[mode]
    pixels = rng.integers(0, 120, (size[1], size[0], channels), dtype=np.uint8)
    pixels[size[1] // 4: size[1] // 2, size[0] // 3: 2 * size[0] // 3] = 230
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(str(path))
    return path


def _kaggle(work):
    train = work.parent / "input" / "chest-xray-pneumonia" / "chest_xray" / "train"
    for label, name in enumerate(("NORMAL", "PNEUMONIA")):
        for i in range(2):
            _png(train / name / "IM-{:04d}.png".format(i), (40, 40), seed=10 * label + i)
    return {}


def _notebook(work):
    _model(work / "models" / "xray_cnn.h5", (32, 32, 3), 2)
    _png(work / "images" / "patient042.png", (48, 48))
    return {}


def _streamlit(work):
    _model(work / "xray_model.h5", (28, 28, 1), 2)
    return {"STANDIN_UPLOAD": str(_png(work / "upload.png", (64, 64), mode="L"))}


def _flask(work):
    _model(work / "weights" / "xray_cnn.h5", (32, 32, 3), 3)
    return {"STANDIN_UPLOAD": str(_png(work / "request.jpg.png", (50, 40)))}


def _report(work):
    _model(work / "model.h5", (32, 32, 3), 3)
    _png(work / "images" / "a.png", (32, 32), seed=1)
    _png(work / "images" / "b.png", (36, 36), seed=2)
    # the library the script imports, as `eli5-compat migrate --in-place` leaves it
    shutil.copyfile(EXPECTED / "run_gradcam_utils.py", work / "run_gradcam_utils.py")
    return {}


def _softmax(work):
    _model(work / "dogs_vs_cats.h5", (32, 32, 3), 2, names=("block1_conv", "block2_conv"))
    _png(work / "cat.png", (40, 30))
    return {}


def _training(work):
    for label, name in enumerate(("benign", "malignant", "nevus")):
        for i in range(2):
            _png(work / "data" / "train" / name / "{}.png".format(i), (36, 36), seed=10 * label + i)
    return {}


# file: (folder it runs in, inputs, script arguments, the eli5 calls it makes in order)
CASES = {
    "run_kaggle_xray_kernel.py": ("kaggle/working", _kaggle, [], [
        ("show_prediction", IMAGE), ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)]),
    "run_xray_notebook.ipynb": (".", _notebook, [], [
        ("show_prediction", IMAGE), ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)]),
    "run_streamlit_xray_app.py": (".", _streamlit, [], [("show_prediction", IMAGE)]),
    "run_flask_explain_api.py": (".", _flask, [], [("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)]),
    "run_gradcam_report.py": (".", _report, ["images"], [
        ("gradcam_backend", TERMS), ("gradcam", "ndarray"), ("explain_prediction", EXPLANATION),
        ("format_as_image", IMAGE)] * 2),
    "run_softmax_trick.py": (".", _softmax, [], [
        ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE), ("show_prediction", IMAGE)]),
    "run_train_then_explain.py": (".", _training, [], [
        ("explain_prediction", EXPLANATION), ("format_as_image", IMAGE)] * 3),
}

# Runs that fail today for a known reason outside this test: the error they must stop with.
# Each is an expected failure while it fails exactly so, and a failure once it runs (then
# remove it here).
KNOWN_FAILURES = {
    "run_kaggle_xray_kernel.py": (
        "NotImplementedError: Implement enable_gui in a subclass",
        "`eli5-compat run SCRIPT.py` gives scripts with notebook syntax a bare IPython InteractiveShell, "
        "whose `%matplotlib inline` raises NotImplementedError (eli5_compat/_run_script.py)"),
}


def _environment(tmp_path, extra):
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env.pop("TF_DETERMINISTIC_OPS", None)  # a user's environment, not the suite's
    env.update(extra)
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


def _migrated_by_run(original: Path) -> bytes:
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
    assert set(CASES) <= files


@pytest.mark.parametrize("name", sorted(CASES))
def test_migrated_file_runs_to_its_end_on_keras3(name, tmp_path):
    folder, make_inputs, arguments, expected_calls = CASES[name]
    work = tmp_path / folder
    work.mkdir(parents=True, exist_ok=True)
    env = _environment(tmp_path, make_inputs(work))
    original = work / name
    shutil.copyfile(CORPUS / name, original)

    command = [sys.executable, "-m", "eli5_compat", "run", str(original), *arguments]
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
    if not name.endswith(".ipynb"):  # a kernel is shut down without running its atexit hooks
        at_exit = {r["pid"]: r["eager"] for r in records if "exit" in r}
        assert {at_exit.get(r["pid"]) for r in records if "call" in r} == {True}, records

    # the file is untouched; run executed the reviewed expected migration and printed its report
    assert original.read_bytes() == (CORPUS / name).read_bytes()
    assert _migrated_by_run(original) == _expected_migration(name)
    expected_report = (EXPECTED / (name + ".report.txt")).read_text(encoding="utf-8")
    assert expected_report.replace(name + ":", str(original) + ":") in report
    assert not known, "{} runs now: remove it from KNOWN_FAILURES".format(name)
