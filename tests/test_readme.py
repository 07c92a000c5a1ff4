"""Every Python snippet in the README runs, in order, in one namespace."""
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.eager_only, pytest.mark.slow]

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.tensorflow_only
def test_readme_python_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 6
    namespace = {}
    exec("import numpy as np\nimport eli5_compat as eli5\nfrom tensorflow import keras\n", namespace)
    for number, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, "README.md python block {}".format(number), "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message names the block
            raise AssertionError("README python block {} failed: {!r}\n{}".format(number, exc, block)) from exc


@pytest.mark.backend_only
def test_readme_snippet_for_this_backend_runs(tmp_path, monkeypatch, keras):
    """The README's ```py example for JAX or PyTorch (whichever this world runs), on a small saved model."""
    from conftest import BACKEND

    name = {"jax": "# JAX:", "torch": "# PyTorch:"}[BACKEND]
    blocks = [b for b in re.findall(r"```py\n(.*?)```", README.read_text(), flags=re.S) if b.startswith(name)]
    assert len(blocks) == 1, blocks
    L = keras.layers
    model = keras.Sequential([L.Input((28, 28, 1)), L.Conv2D(4, 3, activation="relu", name="conv"),
                              L.Flatten(), L.Dense(3, activation="softmax")])
    model.save(tmp_path / "model.keras")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(blocks[0], "README.md " + name, "exec"), namespace)
    found = namespace.get("expl") or namespace.get("explanations")[0]
    assert found.targets[0].heatmap.shape == (26, 26)
