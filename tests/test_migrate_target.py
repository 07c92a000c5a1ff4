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
    assert new.endswith("model.compile(optimizer='adam', loss='mse', metrics=['mae'])\n"
                        "shape = model.layers[0].output.shape\n")
    assert [(f.line, f.level) for f in findings] == [(1, "INFO"), (3, "INFO"), (4, "WARNING"), (5, "INFO")]


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
