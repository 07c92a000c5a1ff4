"""Packaging: TensorFlow is optional (any distribution), and a clear error names the fix without it.

The first test runs Python in a subprocess whose import system refuses ``tensorflow``,
``keras`` and ``tf_keras`` (a meta-path blocker), as in an environment without TensorFlow.
The second asks pip, in the venv with ``tensorflow-cpu`` that .ci/run builds for its
Python 3.13 leg (``.venv-py313``, or $ELI5_COMPAT_TFCPU_VENV), what installing eli5-compat
would add: no second TensorFlow.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

REPO = Path(__file__).resolve().parents[1]

WITHOUT_TENSORFLOW = textwrap.dedent('''
    import sys

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
                raise ModuleNotFoundError("No module named {!r}".format(name), name=name)
            return None

    sys.meta_path.insert(0, Blocker())
''')


def _run(code, *args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", WITHOUT_TENSORFLOW + textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_import_and_migrate_work_without_tensorflow(tmp_path):
    script = tmp_path / "legacy.py"
    script.write_text("import eli5\nfrom tensorflow.keras import layers\n")
    done = _run('''
        import sys
        import eli5_compat as eli5
        from eli5_compat.cli import main
        assert main(["migrate", sys.argv[1]]) == 0
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
        print("loaded:", loaded)
    ''', script)
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout
    assert (tmp_path / "legacy.migrated.py").read_text().startswith("import eli5_compat as eli5\n")


@pytest.mark.parametrize("first_use", [
    "import eli5_compat.keras",
    # A Keras 3 model with no KERAS_BACKEND set (so TensorFlow) reaches the dispatcher:
    "Model = type('Model', (), {'__module__': 'keras.src.models.model'})\n"
    "eli5_compat.explain_prediction(Model(), None)",
])
def test_first_use_without_tensorflow_names_the_fix(first_use):
    done = _run('''
        import eli5_compat
        try:
            {}
        except ImportError as exc:
            print(type(exc).__name__, exc.name, str(exc))
        else:
            print("no error")
    '''.format(first_use.replace("\n", "\n            ")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ModuleNotFoundError tensorflow "), done.stdout
    for words in ('pip install "eli5-compat[tensorflow]"', "tensorflow-cpu", "tensorflow-macos"):
        assert words in done.stdout


def test_explain_command_without_tensorflow_says_what_to_install(tmp_path):
    done = _run('''
        import sys
        from eli5_compat.cli import main
        main(["explain", sys.argv[1], sys.argv[1], "-o", sys.argv[1]])
    ''', tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("eli5-compat explain: eli5_compat.keras needs TensorFlow"), done.stderr
    assert 'pip install "eli5-compat[tensorflow]"' in done.stderr

def _tfcpu_python() -> Path:
    venv = Path(os.environ.get("ELI5_COMPAT_TFCPU_VENV", REPO / ".venv-py313"))
    python = venv / "bin" / "python"
    assert python.exists(), "no venv with tensorflow-cpu at {} (.ci/run builds it)".format(venv)
    return python


def _would_install(python: Path, requirement: str) -> set:
    done = subprocess.run([str(python), "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-",
                           requirement], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    return {item["metadata"]["name"].lower().replace("_", "-") for item in report["install"]}


@pytest.mark.slow
@pytest.mark.once
def test_no_second_tensorflow_beside_tensorflow_cpu():
    python = _tfcpu_python()
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"],
                               capture_output=True, text=True, check=True).stdout
    names = {item["name"].lower().replace("_", "-") for item in json.loads(installed)}
    assert "tensorflow-cpu" in names
    assert "eli5-compat" in names  # .ci/run installed it there for real, next to tensorflow-cpu ...
    assert "tensorflow" not in names  # ... and no second TensorFlow came with it
    plain = _would_install(python, ".")
    assert "eli5-compat" in plain
    assert not {"tensorflow", "tensorflow-cpu", "keras", "tf-keras"} & plain, plain
    # The check sees a second TensorFlow when one would come: the extra asks for `tensorflow`.
    assert "tensorflow" in _would_install(python, ".[tensorflow]")
