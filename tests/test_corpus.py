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
