"""`eli5-compat run SCRIPT.py [ARGS...]` and `--target` on migrate/run.

Scripts run through the real command (``python -m eli5_compat``) in a subprocess, so what the
script prints, its exit code and its environment are observed as a user sees them.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eli5_compat.cli import main

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[1]

# Prints what the script sees of its own invocation as one JSON line.
REPORTING_SCRIPT = """\
import json, os, sys
import eli5
import helper_next_to_me
print(json.dumps({"argv": sys.argv, "file": __file__, "name": __name__, "cwd": os.getcwd(),
                  "path0": sys.path[0], "eli5": eli5.__name__, "helper": helper_next_to_me.VALUE,
                  "legacy_keras": os.environ.get("TF_USE_LEGACY_KERAS"),
                  "globals": sorted(k for k in globals() if not k.startswith("__")),
                  "tmp": sorted(os.listdir(os.environ["TMPDIR"]))}))
"""


def _cli(args, cwd, tmpdir, **env):
    environment = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmpdir), **env)
    return subprocess.run([sys.executable, "-m", "eli5_compat", *args], cwd=str(cwd), env=environment,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def project(tmp_path):
    """A script in its own folder (with a module beside it), a separate cwd and a private TMPDIR."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helper_next_to_me.py").write_text("VALUE = 42\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    return folder, elsewhere, tmpdir


def test_script_gets_its_arguments_path_folder_and_a_clean_stdout(project):
    folder, elsewhere, tmpdir = project
    script = folder / "report.py"
    script.write_text(REPORTING_SCRIPT)
    done = _cli(["run", str(script), "--foo", "1", "-o", "x", "--target", "y", "--", "last"], elsewhere, tmpdir)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)  # stdout holds the script's output and nothing else
    assert seen["argv"] == [str(script), "--foo", "1", "-o", "x", "--target", "y", "--", "last"]
    assert seen["file"] == str(script) and seen["name"] == "__main__"
    assert seen["cwd"] == str(folder) and seen["path0"] == str(folder) and seen["helper"] == 42
    assert seen["eli5"] == "eli5_compat"  # the migrated text ran, not the file's
    assert seen["globals"] == ["eli5", "helper_next_to_me", "json", "os", "sys"]
    assert len(seen["tmp"]) == 1 and seen["tmp"][0].startswith("eli5-compat-run-")  # the migrated copy
    assert os.listdir(tmpdir) == []  # ... removed afterwards
    assert done.stderr.startswith("Target: keras3 (")
    assert "{}:2:1: INFO: `import eli5` -> `import eli5_compat as eli5`.".format(script) in done.stderr
    assert "1 file(s) checked, 1 to change, 0 failed; 1 INFO, 0 WARNING, 0 ERROR" in done.stderr


def test_double_dash_after_the_script_path_is_dropped(project):
    folder, elsewhere, tmpdir = project
    script = folder / "report.py"
    script.write_text(REPORTING_SCRIPT)
    done = _cli(["run", str(script), "--", "--help"], elsewhere, tmpdir)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["argv"] == [str(script), "--help"]


def test_the_script_file_and_its_folder_stay_byte_identical(project):
    folder, elsewhere, tmpdir = project
    script = folder / "legacy.py"
    original = ("\ufeffimport tensorflow as tf  # BOM and CRLF\r\n"
                "from tensorflow.python.framework.ops import disable_eager_execution\r\n"
                "disable_eager_execution()\r\n"
                "import eli5\r\n"
                "print(eli5.__name__, tf.executing_eagerly())\r\n").encode("utf-8")
    script.write_bytes(original)
    before = sorted(os.listdir(folder))
    done = _cli(["run", str(script)], elsewhere, tmpdir)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "eli5_compat True\n"
    assert script.read_bytes() == original
    assert sorted(os.listdir(folder)) == before and os.listdir(tmpdir) == []


@pytest.mark.parametrize("ending, expected", [("raise SystemExit(3)", 3), ("import sys; sys.exit(0)", 0),
                                              ("import os; os._exit(5)", 5),
                                              ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", 143)])
def test_the_scripts_exit_code_is_the_commands(project, ending, expected):
    folder, elsewhere, tmpdir = project
    script = folder / "ends.py"
    script.write_text("print('start')\n" + ending + "\n")
    done = _cli(["run", str(script)], elsewhere, tmpdir)
    assert (done.returncode, done.stdout) == (expected, "start\n")


def test_a_failing_script_exits_1_with_a_traceback_at_its_own_path_and_line(project):
    folder, elsewhere, tmpdir = project
    script = folder / "fails.py"
    script.write_text("import eli5\n\n\ndef divide(x):\n    return x / 0\n\n\ndivide(1)\n")
    done = _cli(["run", str(script)], elsewhere, tmpdir)
    assert done.returncode == 1
    traceback = done.stderr[done.stderr.index("Traceback"):]
    assert 'File "{}", line 8, in <module>\n    divide(1)'.format(script) in traceback
    assert 'File "{}", line 5, in divide\n    return x / 0'.format(script) in traceback
    assert traceback.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "<string>" not in traceback  # no frame of the launcher


def test_tf_keras_target_sets_the_environment_and_keras3_clears_it(project):
    folder, elsewhere, tmpdir = project
    script = folder / "report.py"
    script.write_text(REPORTING_SCRIPT)
    legacy = _cli(["run", "--target", "tf-keras", str(script)], elsewhere, tmpdir)
    assert legacy.returncode == 0, legacy.stderr
    assert json.loads(legacy.stdout)["legacy_keras"] == "1"
    assert legacy.stderr.startswith("Target: tf-keras (")
    keras3 = _cli(["run", str(script)], elsewhere, tmpdir, TF_USE_LEGACY_KERAS="1")
    assert json.loads(keras3.stdout)["legacy_keras"] is None


def test_a_script_that_cannot_be_migrated_exits_2_and_does_not_run(project):
    folder, elsewhere, tmpdir = project
    script = folder / "broken.py"
    script.write_text("open('ran', 'w').close()\nimport eli5\ndef broken(:\n")
    done = _cli(["run", str(script), "arg"], elsewhere, tmpdir)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("{}: ERROR: syntax error at line 3".format(script))
    assert "nothing was run" in done.stderr
    assert not (folder / "ran").exists() and not (elsewhere / "ran").exists()
    missing = _cli(["run", str(folder / "missing.py")], elsewhere, tmpdir)
    assert missing.returncode == 2 and "No such file" in missing.stderr


def test_tf_keras_target_without_tf_keras_names_the_install(project, monkeypatch, capsys):
    folder, _, _ = project
    script = folder / "never.py"
    script.write_text("open('ran', 'w').close()\n")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf_keras" else real(name, *a))
    assert main(["run", "--target", "tf-keras", str(script)]) == 2
    error = capsys.readouterr().err
    assert "tf-keras package, which is not installed" in error and "pip install tf-keras" in error
    assert "eli5-compat[tf-keras]" in error
    assert not (folder / "ran").exists()
    notebook = folder / "never.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    assert main(["run", "--target", "tf-keras", str(notebook)]) == 2
    assert "pip install tf-keras" in capsys.readouterr().err


def test_notebook_options_are_refused_for_scripts(project):
    folder, _, _ = project
    script = folder / "s.py"
    script.write_text("print(1)\n")
    with pytest.raises(SystemExit, match="--output, --timeout only apply to notebooks"):
        main(["run", "-o", "x.ipynb", "--timeout", "5", str(script)])


def test_migrate_target_flag_reaches_the_migration_and_the_report(tmp_path, capsys):
    path = tmp_path / "old.py"
    model = "from tensorflow import keras\nmodel = keras.Sequential()\n"  # certainly a Keras model
    path.write_text("import eli5\n" + model + "model.compile('adam', 'mse', ['accuracy'])\n")
    assert main(["migrate", "--target", "tf-keras", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Target: tf-keras (Keras 2 API on tf-keras")
    written = (tmp_path / "old.migrated.py").read_text()
    # only eli5 changes: Keras 2's positional compile() stays as it is on tf-keras
    assert written == "import eli5_compat as eli5\n" + model + "model.compile('adam', 'mse', ['accuracy'])\n"
    assert main(["migrate", "--diff", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Target: keras3 (") and "+model.compile(optimizer='adam'" in out
    with pytest.raises(SystemExit):
        main(["migrate", "--target", "keras2", str(path)])
    assert "invalid choice: 'keras2'" in capsys.readouterr().err


def test_a_script_with_notebook_syntax_runs_with_an_ipython_shell(project):
    folder, elsewhere, tmpdir = project
    script = folder / "exported.py"
    original = ("import os, sys\n"
                "import eli5\n"
                "x = 5\n"
                "!echo shell sees $x\n"
                "%env FROM_MAGIC=yes\n"
                "get_ipython().run_line_magic('env', 'FROM_CALL=also')\n"
                "print(eli5.__name__, os.environ['FROM_MAGIC'], os.environ['FROM_CALL'], sys.argv[1:], flush=True)\n"
                "1 / 0\n")
    script.write_text(original)
    done = _cli(["run", str(script), "--arg"], elsewhere, tmpdir)
    assert done.returncode == 1
    assert "shell sees 5\n" in done.stdout
    assert "eli5_compat yes also ['--arg']\n" in done.stdout
    assert 'File "{}", line 8, in <module>\n    1 / 0'.format(script) in done.stderr
    assert script.read_text() == original


def test_only_top_level_get_ipython_calls_bring_an_ipython_shell(project):
    folder, elsewhere, tmpdir = project
    script = folder / "probe.py"
    script.write_text("try:\n    get_ipython()\n    where = 'notebook'\nexcept NameError:\n    where = 'script'\n"
                      "print(where)\n")
    done = _cli(["run", str(script)], elsewhere, tmpdir)
    assert (done.returncode, done.stdout) == (0, "script\n")
    exported = folder / "exported_by_nbconvert.py"
    exported.write_text("import os\nget_ipython().run_line_magic('env', 'SET_BY=magic')\nprint(os.environ['SET_BY'])\n")
    done = _cli(["run", str(exported)], elsewhere, tmpdir)
    assert (done.returncode, done.stdout) == (0, "env: SET_BY=magic\nmagic\n")


def test_matplotlib_magics_draw_off_screen_and_the_script_runs_to_its_end(project):
    """`%matplotlib inline` (issue 9: NotImplementedError under run) selects Agg; show() returns; savefig works."""
    folder, elsewhere, tmpdir = project
    script = folder / "plot.py"
    script.write_text("%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                      "plt.plot([0, 1], [0, 1], color='red', linewidth=4)\nplt.savefig('plot.png')\nplt.show()\n"
                      "%matplotlib notebook\nprint('end', plt.get_backend())\n")
    done = _cli(["run", str(script)], elsewhere, tmpdir)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "end agg\n"
    import matplotlib.image
    pixels = matplotlib.image.imread(str(folder / "plot.png"))
    assert pixels.shape == (480, 640, 4)  # matplotlib's default 6.4 x 4.8 in figure at 100 dpi
    red = (pixels[..., 0] > 0.9) & (pixels[..., 1] < 0.1) & (pixels[..., 2] < 0.1)
    assert red.sum() > 1000  # the thick red line was drawn
