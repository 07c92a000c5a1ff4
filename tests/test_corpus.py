"""Corpus of legacy-style eli5 files: migrating each gives exactly its reviewed expected text and report."""
import importlib.util
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
_spec = importlib.util.spec_from_file_location("_corpus_regenerate", CORPUS / "regenerate.py")
_regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_regen)

FILES = sorted(p for p in CORPUS.glob("*.py") if p.name != "regenerate.py")


def test_corpus_is_not_empty():
    assert len(FILES) >= 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_migration_matches_expected(path):
    text, report = _regen.migrated(path)
    assert text.encode("utf-8") == (CORPUS / "expected" / path.name).read_bytes()
    assert report == (CORPUS / "expected" / (path.name + ".report.txt")).read_text(encoding="utf-8")


_MAKE_MODEL = """
import keras, numpy as np
keras.utils.set_random_seed(0)
m = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                      keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])
m.save("model.h5")
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["semicolon_eager.py"])
def test_migrated_file_runs_on_keras3(name, tmp_path):
    """Run the expected (migrated) file on Keras 3 in a tmp dir with a tiny stand-in model.h5."""
    import subprocess
    import sys
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("TF_USE_LEGACY_KERAS", None)
    subprocess.run([sys.executable, "-c", _MAKE_MODEL], cwd=tmp_path, env=env, check=True)
    (tmp_path / name).write_bytes((CORPUS / "expected" / name).read_bytes())
    out = subprocess.run([sys.executable, name], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[-1] == "CORPUS-END"
    assert "failed" not in out.stdout
