"""The seed tutorial as users have it, migrated and executed end to end on Keras 3 (real Fashion-MNIST).

No network and no system package: Keras's cache ($KERAS_HOME) is filled from the real
Fashion-MNIST sample shipped with the examples (4,000 training, 1,000 test images). The
tutorial picks a test image with ``np.random.choice(range(10000))``, so the cache's test
split is the sample's 1,000 test images repeated ten times (accuracy is that of the 1,000).
Trains the tutorial's CNN for its 8 epochs.
"""
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from eli5_compat.cli import main

pytestmark = [pytest.mark.tooling, pytest.mark.slow, pytest.mark.once]

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples"))
from fashion_mnist_data import SAMPLE, read_idx, write_idx  # noqa: E402

IMAGE_CELLS = ("show_image(image)", "ax2.imshow(heatmap")
TEST_REPEATS = 10
ACCURACY_FLOOR = 0.7


def _keras_cache_from_sample(cache: Path) -> None:
    cache.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        shutil.copy(SAMPLE / name, cache / name)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        data = read_idx(SAMPLE / name)
        write_idx(cache / name, np.concatenate([data] * TEST_REPEATS))


def test_legacy_tutorial_runs_after_migration(tmp_path, monkeypatch):
    keras_home = tmp_path / "keras_home"
    _keras_cache_from_sample(keras_home / "datasets" / "fashion-mnist")
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
    print("tutorial CNN, 8 epochs on the sample: test accuracy {:.4f}".format(accuracy))
    assert accuracy > ACCURACY_FLOOR, "the tutorial's CNN trained for real on the sample (chance: 0.1)"
