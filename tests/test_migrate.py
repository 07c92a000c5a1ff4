"""`eli5-compat migrate`: rewrites, reports, notebooks, files and exit codes."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from eli5_compat.cli import main
from eli5_compat.migrate import MigrationError, migrate_cell, migrate_notebook

pytestmark = pytest.mark.tooling

REPO = Path(__file__).resolve().parents[1]


def rewrite(source):
    return migrate_cell(source)[0]


@pytest.mark.parametrize("before, after", [
    ("import eli5\n", "import eli5_compat as eli5\n"),
    ("import eli5 as e\n", "import eli5_compat as e\n"),
    ("import eli5.keras\n", "import eli5_compat as eli5\n"),
    ("import eli5, eli5.keras\n", "import eli5_compat as eli5\n"),
    ("import os, eli5  # explain\n", "import os, eli5_compat as eli5  # explain\n"),
    ("import eli5.keras as ek\n", "import eli5_compat.keras as ek\n"),
    ("from eli5 import show_prediction, format_as_image\n", "from eli5_compat import show_prediction, format_as_image\n"),
    ("from eli5.keras import explain_prediction_keras as epk\n", "from eli5_compat.keras import explain_prediction_keras as epk\n"),
    ("from eli5.keras.explain_prediction import explain_prediction\n",
     "from eli5_compat.keras.explain_prediction import explain_prediction\n"),
    ("from eli5.formatters.image import (\n    format_as_image,  # overlay\n)\n",
     "from eli5_compat.formatters.image import (\n    format_as_image,  # overlay\n)\n"),
    ("from eli5.sklearn import PermutationImportance\n", "from eli5.sklearn import PermutationImportance\n"),
])
def test_eli5_imports(before, after):
    assert rewrite(before) == after


@pytest.mark.parametrize("call", [
    "tf.compat.v1.disable_eager_execution()",
    "tensorflow.compat.v1.disable_eager_execution()",
    "tf.compat.v1.disable_v2_behavior()",
])
def test_disable_eager_removed_with_a_comment(call):
    source = "import tensorflow as tf\n{}\nx = 1\n".format(call)
    new, findings = migrate_cell(source)
    assert new == ("import tensorflow as tf\n# eli5-compat migrate: removed {} (Keras 3 needs eager execution)\n"
                   "x = 1\n".format(call))
    assert [(f.line, f.column, f.level) for f in findings] == [(2, 1, "INFO")]


@pytest.mark.parametrize("source", [
    "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n",
    "import tensorflow.compat.v1 as tf1\ntf1.disable_eager_execution()\n",
    "from tensorflow.compat import v1 as tfv1\ntfv1.disable_eager_execution()\n",
    "import tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n",
])
def test_disable_calls_through_compat_v1_aliases(source):
    new = rewrite(source)
    assert "()" not in new.splitlines()[1] or new.splitlines()[1].startswith("# eli5-compat migrate: removed")
    assert [line for line in new.splitlines() if not line.startswith("#")] == source.splitlines()[:1]


def test_unrelated_calls_with_the_same_name_stay():
    source = "import mylib as tf\ntf.disable_eager_execution()\nobj.v1_disable_eager_execution()\n"
    assert rewrite(source) == source


def test_disable_eager_from_imports_aliases_and_blocks():
    source = ("from tensorflow.compat.v1 import disable_eager_execution as dee\n"
              "from tensorflow.compat import v1\n"
              "if True:\n    dee()\n"
              "def setup():\n    v1.disable_eager_execution()\n    return 1\n"
              "dee()\n")
    new = rewrite(source)
    code_lines = [line.split("#")[0] for line in new.splitlines()]
    assert not [line for line in code_lines if "dee()" in line or "v1.disable_eager_execution()" in line]
    assert "if True:\n    pass  # eli5-compat migrate: removed dee() (Keras 3 needs eager execution)\n" in new
    assert len(new.splitlines()) == len(source.splitlines())
    compile(new, "<migrated>", "exec")
    assert new.endswith("# eli5-compat migrate: removed dee() (Keras 3 needs eager execution)\n")


@pytest.mark.parametrize("before, after", [
    ('from tensorflow import keras\nmodel = keras.Sequential()\nmodel.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])\n',
     'from tensorflow import keras\nmodel = keras.Sequential()\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n'),
    ('import keras\nm = keras.models.load_model("a.keras")\nm.compile(opt, "mse", ["mae"], run_eagerly=True)\n',
     'import keras\nm = keras.models.load_model("a.keras")\nm.compile(optimizer=opt, loss="mse", metrics=["mae"], run_eagerly=True)\n'),
    ('model.compile("adam", "mse")\n', 'model.compile("adam", "mse")\n'),
    ('pattern = re.compile("a+", re.I)\n', 'pattern = re.compile("a+", re.I)\n'),
])
def test_positional_compile(before, after):
    assert rewrite(before) == after


def test_hazards_are_reported_with_position_and_fix():
    source = ("from tensorflow.keras import backend as K\n"
              "shape = encoder.output_shape\n"
              "g = K.gradients(loss, x)\n"
              "f = K.function([model.input], [out])\n"
              "sess = keras.backend.get_session()\n"
              "model._make_predict_function()\n"
              "opt = keras.optimizers.legacy.Adam()\n")
    new, findings = migrate_cell(source)
    assert new == source
    got = [(f.line, f.column, f.level) for f in findings]
    assert got == [(2, 9, "WARNING"), (3, 5, "ERROR"), (4, 5, "ERROR"), (5, 8, "ERROR"), (6, 1, "ERROR"), (7, 7, "WARNING")]
    assert "GradientTape" in findings[1].message and "output.shape" in findings[0].message


def test_magics_and_shell_lines_pass_through():
    source = ("%matplotlib inline\n!ls -la\nfiles = !ls\nnp.mean?\nimport eli5\n"
              "for i in range(2):\n    !echo $i\n")
    assert rewrite(source) == source.replace("import eli5\n", "import eli5_compat as eli5\n")
    cell_magic = "%%bash\nimport eli5\npip install eli5\n"
    assert rewrite(cell_magic) == cell_magic


@pytest.mark.parametrize("before, after", [
    ("!pip install eli5", "!pip install eli5-compat"),
    ("%pip install eli5==0.11.0 tensorflow", "%pip install eli5-compat tensorflow"),
    ("!pip install -q eli5", "!pip install -q eli5-compat"),
    ("!python -m pip install 'eli5>=0.11'", "!python -m pip install 'eli5-compat'"),
    ("!pip install eli5-compat", "!pip install eli5-compat"),
    ("!pip install eli5lib", "!pip install eli5lib"),
])
def test_pip_installs(before, after):
    assert rewrite(before) == after


def test_migration_is_idempotent():
    source = ("import tensorflow\ntensorflow.compat.v1.disable_eager_execution()\nimport eli5\n"
              "!pip install eli5\nmodel.compile('adam', 'mse', ['mae'])\n")
    once = rewrite(source)
    assert rewrite(once) == once and once != source


def test_syntax_error_names_the_cell():
    nb = new_notebook(cells=[new_code_cell("import eli5"), new_code_cell("def broken(:\n    pass")])
    with pytest.raises(MigrationError, match=r"cell 2: syntax error at line \d+, column \d+"):
        migrate_notebook(nb)


def _notebook():
    first = new_code_cell("import eli5\nprint(1)", metadata={"tags": ["setup"]}, execution_count=3)
    first.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    untouched = new_code_cell("x = 2  # unchanged", metadata={"collapsed": True})
    untouched.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=4)]
    text = new_markdown_cell("![pic](attachment:a.png)")
    text.attachments = {"a.png": {"image/png": "iVBORw0KGgo="}}
    return new_notebook(cells=[first, untouched, text], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}, "custom": [1, 2]})


def test_notebook_keeps_everything_that_needs_no_change():
    nb = _notebook()
    original = copy.deepcopy(nb)
    result = migrate_notebook(nb)
    assert nb == original, "the input notebook object is not modified"
    new = result.notebook
    assert new.cells[0].source == "import eli5_compat as eli5\nprint(1)"
    assert new.cells[0].outputs == original.cells[0].outputs and new.cells[0].id == original.cells[0].id
    assert new.cells[0].metadata == original.cells[0].metadata
    assert new.cells[1:] == original.cells[1:] and new.metadata == original.metadata


def test_cli_writes_a_new_file_by_default_then_check_passes(tmp_path, capsys):
    path = tmp_path / "old.ipynb"
    nbformat.write(_notebook(), str(path))
    before = path.read_bytes()
    assert main(["migrate", str(path), "--check"]) == 1
    assert main(["migrate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "old.ipynb:cell 1:1:1: INFO: `import eli5` -> `import eli5_compat as eli5`." in out
    assert "1 file(s) checked, 1 to change, 0 failed; 1 INFO, 0 WARNING, 0 ERROR" in out
    assert path.read_bytes() == before
    migrated = tmp_path / "old.migrated.ipynb"
    assert nbformat.read(str(migrated), as_version=4).cells[0].source.startswith("import eli5_compat as eli5")
    assert main(["migrate", str(migrated), "--check"]) == 0


def test_cli_in_place_keeps_a_backup_and_second_run_changes_nothing(tmp_path):
    path = tmp_path / "script.py"
    path.write_text("import eli5\nimport tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n")
    original = path.read_text()
    assert main(["migrate", str(path), "--in-place"]) == 0
    assert (tmp_path / "script.py.bak").read_text() == original
    once = path.read_text()
    assert once.startswith("import eli5_compat as eli5\n")
    assert main(["migrate", str(path), "--in-place"]) == 0
    assert path.read_text() == once and (tmp_path / "script.py.bak").read_text() == original


def test_cli_diff_writes_nothing(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text("import eli5\n")
    assert main(["migrate", str(path), "--diff"]) == 0
    out = capsys.readouterr().out
    assert "-import eli5\n+import eli5_compat as eli5\n" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_cli_folder_with_broken_files_migrates_the_rest(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    good = tmp_path / "sub" / "good.ipynb"
    nbformat.write(_notebook(), str(good))
    (tmp_path / "invalid.ipynb").write_text("{not json")
    old_format = json.loads(nbformat.writes(_notebook()))
    old_format["nbformat"] = 3
    (tmp_path / "v3.ipynb").write_text(json.dumps(old_format))
    bad_cell = tmp_path / "cell.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = (")]), str(bad_cell))
    bad_cell_bytes = bad_cell.read_bytes()
    (tmp_path / "broken.py").write_text("def f(:\n")
    report = tmp_path / "report.txt"
    assert main(["migrate", str(tmp_path), "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert "invalid.ipynb: ERROR: not a readable notebook" in err
    assert "v3.ipynb: ERROR: unsupported notebook format version 3" in err
    assert "cell.ipynb: ERROR: cell 1: syntax error" in err and "broken.py: ERROR: syntax error at line 1" in err
    assert bad_cell.read_bytes() == bad_cell_bytes
    assert (tmp_path / "sub" / "good.migrated.ipynb").exists()
    text = report.read_text()
    assert "5 file(s) checked, 1 to change, 4 failed" in text and "invalid.ipynb: ERROR" in text


def test_python_dash_m_runs_the_command(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("import eli5\n")
    done = subprocess.run([sys.executable, "-m", "eli5_compat", "migrate", str(path), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "1 to change" in done.stdout
    helped = subprocess.run([sys.executable, "-m", "eli5_compat", "migrate", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "--in-place" in helped.stdout and "examples:" in helped.stdout


def test_tutorial_notebook_migrates_to_the_expected_notebook(tmp_path):
    source = REPO / "examples" / "legacy_tutorial.ipynb"
    expected = nbformat.read(str(REPO / "tests" / "data" / "legacy_tutorial.migrated.ipynb"), as_version=4)
    original = nbformat.read(str(source), as_version=4)
    result = migrate_notebook(original)
    assert result.notebook == expected
    changed = [i for i, (a, b) in enumerate(zip(original.cells, expected.cells)) if a != b]
    assert changed == [1, 2, 7]  # the disable_eager, import and compile cells; everything else as it was
    assert "disable_eager_execution()\n" not in expected.cells[1].source
    assert expected.cells[2].source.startswith("import eli5_compat as eli5\n")
    assert 'metrics=["accuracy"]' in expected.cells[7].source


def test_statement_after_a_code_line_magic_is_migrated_and_the_magic_kept():
    """D2 (issue 9): `%time` / `%timeit` / `%prun` (with options) run the Python statement after them."""
    source = ("%time preds = model.predict_generator(test_gen, len(test_gen), workers=4)\n"
              "%timeit -n 3 -r 2 model.predict_generator(g, 2)\n"
              "%prun -s cumulative model.evaluate_generator(g, 2)\n"
              "%time for i in range(3): f(i)\n%matplotlib inline\n%time\n")
    new, findings = migrate_cell(source)
    assert new == ("%time preds = model.predict(test_gen, steps=len(test_gen), verbose=0)\n"
                   "%timeit -n 3 -r 2 model.predict(g, steps=2, verbose=0)\n"
                   "%prun -s cumulative model.evaluate(g, steps=2, verbose=0)\n"
                   "%time for i in range(3): f(i)\n%matplotlib inline\n%time\n")
    assert [(f.line, f.column, f.level, f.message.split(" (")[0]) for f in findings if f.level == "INFO"] == [
        (1, 15, "INFO", "`predict_generator()` -> `predict()`"),
        (2, 19, "INFO", "`predict_generator()` -> `predict()`"),
        (3, 21, "INFO", "`evaluate_generator()` -> `evaluate()`")]
    assert [(f.line, f.column, f.message.split(":")[0]) for f in findings if f.message.startswith("Dropped")] == [
        (1, 15, "Dropped `workers=4` from `predict_generator()`")]


def test_eager_switch_after_a_line_magic_is_removed_keeping_the_magic():
    new, findings = migrate_cell("import tensorflow as tf\n%time tf.compat.v1.disable_eager_execution()\n")
    assert new.split("\n")[1].startswith("%time pass  # eli5-compat migrate: removed")
    assert [(f.line, f.level) for f in findings] == [(2, "INFO")]


def test_python_cell_magic_bodies_are_migrated_and_other_cell_magics_skipped():
    """D3 (issue 9): %%time / %%capture / %%timeit run their body as Python; %%bash / %%writefile do not."""
    timed = "%%time\nhist = model.fit_generator(gen(), steps_per_epoch=100, epochs=2, workers=2)"
    captured = "%%capture out\n!pip install eli5 tensorflow==2.4.1\nimport eli5"
    writefile = "%%writefile app.py\nimport eli5\nmodel.fit_generator(g)\n"
    notebook = new_notebook(cells=[new_code_cell(timed), new_code_cell(captured), new_code_cell(writefile),
                                   new_code_cell("%%bash\npip install eli5\n")])
    result = migrate_notebook(notebook)
    assert [c.source for c in result.notebook.cells] == [
        "%%time\nhist = model.fit(gen(), steps_per_epoch=100, epochs=2)",
        "%%capture out\n!pip install eli5-compat tensorflow==2.4.1\nimport eli5_compat as eli5",
        writefile, "%%bash\npip install eli5\n"]
    assert sorted({(f.cell, f.line) for f in result.findings}) == [(1, 2), (2, 2), (2, 3)]


def test_backend_alias_from_an_earlier_cell_is_remembered():
    """D5 (issue 9): `from keras import backend as K` in cell 1, `K.get_session()` in cell 2."""
    notebook = new_notebook(cells=[new_code_cell("from keras import backend as K"),
                                   new_code_cell("sess = K.get_session()")])
    result = migrate_notebook(notebook)
    assert [(f.cell, f.line, f.column, f.level, f.message) for f in result.findings] == [
        (2, 1, 8, "ERROR", "`K.get_session` has no eager equivalent: remove it; read values with .numpy() or "
                           "model.predict().")]


def test_continuation_line_starting_with_percent_in_a_cell_is_python():
    source = 'x = ("%s"\n     % 3)\n%matplotlib inline'
    notebook = new_notebook(cells=[new_code_cell(source)])
    result = migrate_notebook(notebook)
    assert not result.changed and result.findings == []
    assert migrate_cell('!pip install eli5\nprint("%s"\n      % 3)') == (
        '!pip install eli5-compat\nprint("%s"\n      % 3)', [migrate_cell("!pip install eli5")[1][0]])


@pytest.mark.parametrize("shell", ["!ls tmp_model && cp -r tmp_model /backup/", "%%bash\ncp -r tmp_model /backup/"])
def test_keras_rename_is_not_done_when_a_shell_line_or_skipped_cell_uses_the_path(shell):
    cells = ['model.save("tmp_model")', shell, 'm = keras.models.load_model("tmp_model")']
    result = migrate_notebook(new_notebook(cells=[new_code_cell(c) for c in cells]))
    assert [c.source for c in result.notebook.cells] == cells
    assert [(f.cell, f.line, f.level) for f in result.findings] == [(1, 1, "WARNING"), (3, 1, "ERROR")]
    assert "'tmp_model.keras'" in result.findings[0].message and "could not change every use" in result.findings[1].message
