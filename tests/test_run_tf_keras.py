"""A Keras 2 ``.h5`` model that Keras 3 cannot load runs through ``run --target tf-keras``.

The fixture ``tests/data/keras2_sepcnn.h5`` (a custom CNN with SeparableConv2D blocks) was saved
by TF 2.15 / Keras 2.15, and ``keras2_sepcnn_legacy.npz`` holds eli5 0.11's explanation of it,
both written by ``tests/golden/make_keras2_h5.py`` in the legacy environment. Code that imports the
standalone ``keras`` package (Keras 2 in eli5 0.11's day) runs too: the target points it at tf_keras.
"""
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eli5_compat.cli import main

pytestmark = pytest.mark.tooling

DATA = Path(__file__).resolve().parent / "data"
H5 = DATA / "keras2_sepcnn.h5"
LEGACY = DATA / "keras2_sepcnn_legacy.npz"

# Written as for eli5 0.11 on TF 2.15: eager switched off, Keras through tensorflow.
CELLS = [
    "import tensorflow as tf\n"
    "from tensorflow.python.framework.ops import disable_eager_execution\n"
    "disable_eager_execution()\n"
    "from tensorflow import keras\n"
    "import numpy as np\n"
    "import eli5",
    "model = keras.models.load_model('keras2_sepcnn.h5')\n"
    "print(type(model).__module__.split('.')[0], tf.executing_eagerly())",
    "legacy = np.load('keras2_sepcnn_legacy.npz')\n"
    "explanation = eli5.explain_prediction(model, legacy['doc'])\n"
    "image = eli5.show_prediction(model, legacy['doc'])\n"
    "print(type(explanation).__name__, repr(explanation.error), type(image).__name__, image.size)\n"
    "best = explanation.targets[0]\n"
    "np.savez('result.npz', heatmap=best.heatmap, target=best.target, score=best.score)",
]


@pytest.fixture()
def notebook(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_DETERMINISTIC_OPS", raising=False)
    shutil.copy(H5, tmp_path / H5.name)
    shutil.copy(LEGACY, tmp_path / LEGACY.name)
    path = tmp_path / "keras2_model.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in CELLS], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), str(path))
    return path


def _printed(path, cell):
    return "".join(o.get("text", "") for o in nbformat.read(str(path), as_version=4).cells[cell].outputs)


def test_keras3_cannot_load_the_keras2_h5():
    import keras  # Keras 3 in every world: TF_USE_LEGACY_KERAS only changes tf.keras

    assert keras.__version__.startswith("3.")
    with pytest.raises(TypeError, match="Error when deserializing class 'SeparableConv2D'"):
        keras.models.load_model(str(H5))


@pytest.mark.slow
def test_run_target_tf_keras_explains_the_keras2_h5_as_eli5_0_11_did(notebook, capsys):
    original = notebook.read_bytes()
    done = notebook.with_name("done.ipynb")
    assert main(["run", "--target", "tf-keras", str(notebook), "-o", str(done), "--timeout", "600"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Target: tf-keras (")
    assert "cell 3: ok" in out and notebook.read_bytes() == original
    assert _printed(done, 1) == "tf_keras True\n"  # tf-keras in the kernel, eager on
    assert _printed(done, 2) == "Explanation '' Image (32, 32)\n"  # error '' as eli5 0.11 sets it
    result, legacy = np.load(notebook.with_name("result.npz")), np.load(LEGACY)
    assert int(result["target"]) == int(legacy["target"])
    np.testing.assert_allclose(result["score"], legacy["score"], rtol=0, atol=1e-6)
    assert result["heatmap"].shape == legacy["heatmap"].shape == (8, 8)
    np.testing.assert_allclose(result["heatmap"], legacy["heatmap"], rtol=0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.once  # its kernel is Keras 3 whatever the world: once per CI is enough
def test_run_default_keras3_target_stops_at_loading_the_keras2_h5(notebook, capsys):
    assert main(["run", str(notebook), "--timeout", "600"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Target: keras3 (")
    assert "cell 1: ok" in out and "cell 2: ERROR TypeError" in out and "cell 3" not in out


# Written as for eli5 0.11 with the standalone Keras 2 package: `keras` was Keras 2 then.
SCRIPT = """\
import sys
import numpy as np
import tensorflow as tf
from keras.models import load_model
import keras.backend as K
import eli5

tf.compat.v1.disable_eager_execution()
model = load_model('keras2_sepcnn.h5')
legacy = np.load('keras2_sepcnn_legacy.npz')
explanation = eli5.explain_prediction(model, legacy['doc'])
best = explanation.targets[0]
np.savez('result.npz', heatmap=best.heatmap, target=best.target, score=best.score)
print(type(model).__module__.split('.')[0], K.__name__.split('.')[0], tf.executing_eagerly(), sys.argv[1:])
"""


@pytest.mark.slow
def test_run_target_tf_keras_points_standalone_keras_imports_at_tf_keras(tmp_path, monkeypatch, capfd):
    monkeypatch.delenv("TF_DETERMINISTIC_OPS", raising=False)
    shutil.copy(H5, tmp_path / H5.name)
    shutil.copy(LEGACY, tmp_path / LEGACY.name)
    script = tmp_path / "explain_keras2.py"
    script.write_text(SCRIPT)
    assert main(["run", "--target", "tf-keras", str(script), "--flag"]) == 0
    out, err = capfd.readouterr()
    assert script.read_text() == SCRIPT
    assert out.splitlines()[-1] == "tf_keras tf_keras True ['--flag']"  # Keras 2 from `keras` imports, eager on
    assert "explain_keras2.py:4:1: INFO: `from keras.models import ...` -> `from tf_keras.models import ...`" in err
    assert "explain_keras2.py:5:1: INFO: `import keras.backend as K` -> `import tf_keras.backend as K`" in err
    result, legacy = np.load(tmp_path / "result.npz"), np.load(LEGACY)
    assert int(result["target"]) == int(legacy["target"])
    np.testing.assert_allclose(result["score"], legacy["score"], rtol=0, atol=1e-6)
    assert result["heatmap"].shape == legacy["heatmap"].shape == (8, 8)
    np.testing.assert_allclose(result["heatmap"], legacy["heatmap"], rtol=0, atol=1e-5)
