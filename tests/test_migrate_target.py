"""`target=`: "keras3" (default) rewrites Keras 2 code too; "tf-keras" changes only eli5 and the eager switch."""
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eli5_compat.migrate import (TARGETS, migrate_cell, migrate_file, migrate_notebook, migrate_source,
                                 render)

pytestmark = pytest.mark.tooling

LEGACY = ("import eli5\nimport tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n"
          "model.compile('adam', 'mse', ['mae'])\nshape = model.layers[0].output_shape\n")


def test_tf_keras_changes_only_eli5_and_the_eager_switch():
    new, findings = migrate_cell(LEGACY, target="tf-keras")
    assert new == ("import eli5_compat as eli5\nimport tensorflow as tf\n"
                   "# eli5-compat migrate: removed tf.compat.v1.disable_eager_execution() (eli5_compat runs in eager mode)\n"
                   "model.compile('adam', 'mse', ['mae'])\nshape = model.layers[0].output_shape\n")
    assert [(f.line, f.level) for f in findings] == [(1, "INFO"), (3, "INFO")]


def test_keras3_is_the_default_and_rewrites_keras2_code():
    assert migrate_cell(LEGACY)[0] == migrate_cell(LEGACY, target="keras3")[0]
    new, findings = migrate_cell(LEGACY)
    # `model` is bound nowhere here: the positional compile() is reported with the keywords, not rewritten.
    assert new.endswith("model.compile('adam', 'mse', ['mae'])\n"
                        "shape = model.layers[0].output.shape\n")
    assert [(f.line, f.level) for f in findings] == [(1, "INFO"), (3, "INFO"), (4, "WARNING"), (5, "INFO")]
    assert "optimizer='adam', loss='mse', metrics=['mae']" in findings[2].message


@pytest.mark.parametrize("call", [
    lambda t: migrate_cell("x = 1\n", target=t),
    lambda t: migrate_source("x = 1\n", target=t),
    lambda t: migrate_notebook(new_notebook(cells=[new_code_cell("x = 1")]), target=t),
    lambda t: render([], 1, 0, 0, target=t),
])
def test_unknown_target_names_the_choices(call):
    with pytest.raises(ValueError, match=r"unknown migration target 'keras2': choose one of 'keras3', 'tf-keras'"):
        call("keras2")


def test_unknown_target_for_a_file_writes_nothing(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("import eli5\n")
    with pytest.raises(ValueError, match="choose one of"):
        migrate_file(path, target="tf_keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_target_is_recorded_and_rendered(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(LEGACY)
    outcome = migrate_file(path, write=False, target="tf-keras")
    assert outcome.target == "tf-keras" and outcome.changed
    assert migrate_source(LEGACY, target="tf-keras").target == "tf-keras"
    assert migrate_notebook(new_notebook(cells=[new_code_cell(LEGACY)])).target == "keras3"
    report = render(outcome.findings, 1, 1, 0, target="tf-keras")
    assert report.splitlines()[0] == "Target: tf-keras ({})".format(TARGETS["tf-keras"])
    assert render([], 1, 0, 0).splitlines()[0] == "Target: keras3 (Keras 3 on TensorFlow 2.16+)"


# target tf-keras: the standalone keras package is Keras 3 even with TF_USE_LEGACY_KERAS=1 ----------------
WHY = "the standalone keras package is Keras 3 even with TF_USE_LEGACY_KERAS=1; tf_keras is Keras 2"


@pytest.mark.parametrize("before, after, shown", [
    ("import keras\n", "import tf_keras as keras\n", "`import keras` -> `import tf_keras as keras`"),
    ("import keras as k\n", "import tf_keras as k\n", "`import keras as k` -> `import tf_keras as k`"),
    ("import keras.backend as K\n", "import tf_keras.backend as K\n",
     "`import keras.backend as K` -> `import tf_keras.backend as K`"),
    ("import numpy as np, keras\n", "import numpy as np, tf_keras as keras\n",
     "`import keras` -> `import tf_keras as keras`"),
    ("from keras.models import load_model\n", "from tf_keras.models import load_model\n",
     "`from keras.models import ...` -> `from tf_keras.models import ...`"),
    ("from keras import layers, backend as K\n", "from tf_keras import layers, backend as K\n",
     "`from keras import ...` -> `from tf_keras import ...`"),
    ("from keras.applications.mobilenet_v2 import (\n    preprocess_input,  # keep\n)\n",
     "from tf_keras.applications.mobilenet_v2 import (\n    preprocess_input,  # keep\n)\n",
     "`from keras.applications.mobilenet_v2 import ...` -> `from tf_keras.applications.mobilenet_v2 import ...`"),
    ("from keras import *\n", "from tf_keras import *\n", "`from keras import ...` -> `from tf_keras import ...`"),
    ("try:\n    import keras\nexcept ImportError:\n    keras = None\n",
     "try:\n    import tf_keras as keras\nexcept ImportError:\n    keras = None\n",
     "`import keras` -> `import tf_keras as keras`"),
])
def test_tf_keras_target_points_keras_imports_at_tf_keras(before, after, shown):
    new, findings = migrate_cell(before, target="tf-keras")
    assert new == after
    assert [(f.level, f.message) for f in findings] == [("INFO", "{} (target tf-keras: {}).".format(shown, WHY))]
    assert migrate_cell(new, target="tf-keras") == (new, [])  # a second run changes nothing


@pytest.mark.parametrize("source", [
    "import keras_preprocessing\n", "from keras_applications import resnet\n", "from tensorflow import keras\n",
    "import tensorflow.keras as keras\n", "from . import keras\n", "from .keras import layers\n",
    "import tf_keras as keras\n", "x = importlib.import_module(name)\n",
])
def test_tf_keras_target_leaves_other_imports_alone(source):
    assert migrate_cell(source, target="tf-keras") == (source, [])


def test_tf_keras_target_reports_what_one_import_cannot_say():
    source = ("import keras.layers\nimport numpy, keras.applications.resnet50, keras\nimport importlib\n"
              "m = importlib.import_module('keras.models')\nk = __import__(\"keras\")\n"
              "from importlib import import_module as load\nu = load('keras.utils')\n")
    new, findings = migrate_cell(source, target="tf-keras")
    assert new == source
    assert [(f.line, f.column, f.level) for f in findings] == [(1, 1, "ERROR"), (2, 1, "ERROR"), (4, 5, "ERROR"),
                                                               (5, 5, "ERROR"), (7, 5, "ERROR")]
    assert findings[0].message == (
        "`import keras.layers` binds the name `keras` to the standalone keras package, which is Keras 3 even with "
        "TF_USE_LEGACY_KERAS=1, and one import cannot bind it to tf_keras (Keras 2) while loading `tf_keras.layers`: "
        "write `import tf_keras as keras` and `import tf_keras.layers` instead (the second also binds `tf_keras`).")
    assert findings[1].message.endswith("`import tf_keras.applications.resnet50` instead (the second also binds "
                                        "`tf_keras`); migrate left this import as it is.")
    assert [f.message for f in findings[2:]] == [
        "`importlib.import_module('keras.models')` loads the standalone keras package, which is Keras 3 even with "
        "TF_USE_LEGACY_KERAS=1: import 'tf_keras.models' instead (Keras 2).",
        "`__import__('keras')` loads the standalone keras package, which is Keras 3 even with "
        "TF_USE_LEGACY_KERAS=1: import 'tf_keras' instead (Keras 2).",
        "`load('keras.utils')` loads the standalone keras package, which is Keras 3 even with "
        "TF_USE_LEGACY_KERAS=1: import 'tf_keras.utils' instead (Keras 2)."]


def test_keras3_target_leaves_standalone_keras_imports_alone():
    source = "import keras\nimport keras.layers\nfrom keras.models import load_model\nimport keras.backend as K\n"
    assert migrate_cell(source) == (source, [])


def test_tf_keras_target_in_a_notebook_keeps_the_names_the_cells_use():
    nb = new_notebook(cells=[new_code_cell("import keras\nimport eli5"),
                             new_code_cell("model = keras.models.load_model('m.h5')\neli5.show_prediction(model, x)")])
    result = migrate_notebook(nb, target="tf-keras")
    assert [c.source for c in result.notebook.cells] == [
        "import tf_keras as keras\nimport eli5_compat as eli5",
        "model = keras.models.load_model('m.h5')\neli5.show_prediction(model, x)"]
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(1, 1, "INFO"), (1, 2, "INFO")]
