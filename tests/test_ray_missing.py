"""Without Ray installed, `explain --ray` and explain_dataset name the extra to install (Ray hidden here)."""
import sys

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.tooling]


@pytest.fixture
def no_ray(monkeypatch):
    for name in ("ray", "ray.data", "pyarrow"):
        monkeypatch.setitem(sys.modules, name, None)  # `import ray` raises ImportError


@pytest.fixture(scope="module")
def saved(tmp_path_factory, keras):
    root = tmp_path_factory.mktemp("noray")
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model.save(root / "model.keras")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "a.png")
    return root


def test_missing_ray_names_the_extra(no_ray, saved, tmp_path, capsys):
    from eli5_compat.cli import main
    from eli5_compat.ray import explain_dataset

    with pytest.raises(ImportError, match=r'pip install "eli5-compat\[ray\]"'):
        explain_dataset(saved / "model.keras", [saved / "a.png"], tmp_path / "out")
    assert main(["explain", str(saved / "model.keras"), str(saved / "a.png"), "-o", str(tmp_path / "o"),
                 "--ray", "--quiet"]) == 2
    assert 'pip install "eli5-compat[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "o").exists(), "nothing written"


def test_bad_worker_counts_are_refused_before_ray_starts(saved, tmp_path):
    from eli5_compat.cli import main
    from eli5_compat.ray import explain_dataset

    with pytest.raises(ValueError, match="num_workers must be a positive int, got: 0"):
        explain_dataset(saved / "model.keras", [saved / "a.png"], tmp_path / "out", num_workers=0)
    with pytest.raises(SystemExit, match="--workers must be at least 1"):
        main(["explain", str(saved / "model.keras"), str(saved / "a.png"), "-o", str(tmp_path / "o"), "--ray",
              "--workers", "0"])
    with pytest.raises(FileNotFoundError, match="no model at"):
        explain_dataset(saved / "nope.keras", [saved / "a.png"], tmp_path / "out")
