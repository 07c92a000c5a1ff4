"""The seed tutorial as users have it, migrated and executed end to end on Keras 3 (real Fashion-MNIST).

Needs Debian's dataset-fashion-mnist files (.ci/run installs them); Keras reads them offline
through $KERAS_HOME. Trains the tutorial's CNN for its 8 epochs: a few minutes on 2 cores.
"""
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from eli5_compat.cli import main

pytestmark = [pytest.mark.tooling, pytest.mark.slow, pytest.mark.once]

REPO = Path(__file__).resolve().parents[1]
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
IMAGE_CELLS = ("show_image(image)", "ax2.imshow(heatmap")


def test_legacy_tutorial_runs_after_migration(tmp_path, monkeypatch):
    assert FASHION_MNIST.is_dir(), "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
    keras_home = tmp_path / "keras_home"
    (keras_home / "datasets").mkdir(parents=True)
    (keras_home / "datasets" / "fashion-mnist").symlink_to(FASHION_MNIST)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)  # the notebook runs on Keras 3
    # The kernel gets a user's environment, not the suite's reproducibility settings
    # (TF_DETERMINISTIC_OPS makes Keras' unseeded training shuffle fail; oneDNN trains faster).
    monkeypatch.delenv("TF_DETERMINISTIC_OPS", raising=False)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    notebook = tmp_path / "legacy_tutorial.ipynb"
    shutil.copy(REPO / "examples" / "legacy_tutorial.ipynb", notebook)
    assert main(["migrate", str(notebook)]) == 0
    migrated = nbformat.read(str(tmp_path / "legacy_tutorial.migrated.ipynb"), as_version=4)

    from nbclient import NotebookClient

    NotebookClient(migrated, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code_cells = [c for c in migrated.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code_cells), "every code cell ran"
    assert not [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    image_cells = [c for c in code_cells if any(marker in c.source for marker in IMAGE_CELLS)]
    assert len(image_cells) == 7
    for cell in image_cells:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source[:60]
    text = "".join(o.get("text", "") for c in code_cells for o in c.outputs)
    assert "Explanation Method : Grad-CAM" in text
    assert "Explanation Object : <class 'eli5_compat.base.Explanation'>" in text
    accuracy = float(text.split("Test Accuracy : ")[1].split()[0])
    assert accuracy > 0.85, "the tutorial's CNN trained for real"
