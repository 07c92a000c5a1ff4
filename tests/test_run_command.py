"""`eli5-compat run`: migrate in memory, execute, save the executed copy, leave the file alone."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eli5_compat.cli import main

pytestmark = [pytest.mark.tooling, pytest.mark.slow]

LEGACY_CELLS = [
    "import tensorflow\ntensorflow.compat.v1.disable_eager_execution()\nfrom tensorflow import keras\nimport numpy as np",
    "import eli5",
    "model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, name='conv'),\n"
    "                          keras.layers.Flatten(), keras.layers.Dense(4, activation='softmax')])\n"
    "model.compile('adam', 'sparse_categorical_crossentropy', ['accuracy'])",
    "explanation = eli5.explain_prediction(model, np.random.rand(1, 8, 8, 1))\n"
    "print(explanation.method, explanation.targets[0].heatmap.shape)",
]


def _write(path, cells):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, str(path))
    return path.read_bytes()


def test_run_executes_a_legacy_notebook_without_touching_it(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TF_DETERMINISTIC_OPS", raising=False)
    path = tmp_path / "legacy.ipynb"
    original = _write(path, LEGACY_CELLS)
    assert main(["run", str(path), "-o", str(tmp_path / "done.ipynb"), "--timeout", "600"]) == 0
    out = capsys.readouterr().out
    assert "cell 4: ok" in out and "1 file(s) checked, 1 to change, 0 failed; 2 INFO, 1 WARNING" in out
    assert path.read_bytes() == original
    done = nbformat.read(str(tmp_path / "done.ipynb"), as_version=4)
    printed = "".join(o.get("text", "") for o in done.cells[3].outputs)
    assert "Grad-CAM (6, 6)" in printed


def test_run_reports_a_failing_cell(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TF_DETERMINISTIC_OPS", raising=False)
    path = tmp_path / "broken.ipynb"
    _write(path, ["x = 1", "raise ValueError('boom')", "y = 2"])
    assert main(["run", str(path), "--timeout", "600"]) == 1
    out = capsys.readouterr().out
    assert "cell 1: ok" in out and "cell 2: ERROR ValueError: boom" in out
    assert (tmp_path / "broken.executed.ipynb").exists()
