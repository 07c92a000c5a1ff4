"""Write tests/corpus/expected/<name> and <name>.report.txt with the current migrate.

    python tests/corpus/regenerate.py                 # every corpus file (.py and .ipynb)
    python tests/corpus/regenerate.py a.py b.ipynb    # only these

Each file is migrated the way `eli5-compat migrate FILE` does it (``migrate_file`` on a copy in a
temporary folder), so the expected bytes are exactly what the command writes. A snapshot is not a
golden until someone has read the diff (original vs expected) and the report: review before committing.
"""
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Tuple

from eli5_compat.migrate import migrate_file, render

HERE = Path(__file__).parent
EXPECTED = HERE / "expected"
SUFFIXES = (".py", ".ipynb")


def corpus_files() -> List[Path]:
    """Every corpus file: the .py and .ipynb files beside this script, except this script."""
    return sorted(p for p in HERE.iterdir()
                  if p.is_file() and p.suffix in SUFFIXES and p.name != Path(__file__).name)


def migrated(path: Path) -> Tuple[bytes, str]:
    """The bytes `eli5-compat migrate` writes for ``path`` (the original's when nothing changes) and its report.

    The report is the command's, with the file named by its bare name and any read/parse error first.
    """
    with tempfile.TemporaryDirectory(prefix="eli5-compat-corpus-") as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        outcome = migrate_file(copy)
        text = outcome.written.read_bytes() if outcome.written else path.read_bytes()
    findings = [f.located(path.name, f.cell) for f in outcome.findings]
    errors = "{}: ERROR: {}\n".format(path.name, outcome.error) if outcome.error else ""
    return text, errors + render(findings, 1, int(outcome.changed), int(bool(outcome.error)))


def expected(path: Path) -> Tuple[bytes, str]:
    """The checked-in expected bytes and report of a corpus file."""
    report = (EXPECTED / (path.name + ".report.txt")).read_bytes().decode("utf-8")
    return (EXPECTED / path.name).read_bytes(), report


def regenerate(paths: List[Path]) -> None:
    """Overwrite the expected files of ``paths``."""
    EXPECTED.mkdir(exist_ok=True)
    for path in paths:
        text, report = migrated(path)
        (EXPECTED / path.name).write_bytes(text)
        (EXPECTED / (path.name + ".report.txt")).write_bytes(report.encode("utf-8"))
        print("wrote expected/{0} and expected/{0}.report.txt".format(path.name))


def _main(names: List[str]) -> int:
    known = {p.name: p for p in corpus_files()}
    unknown = [n for n in names if Path(n).name not in known]
    if unknown:
        print("not corpus files (expected names of .py/.ipynb files in {}): {}".format(HERE, ", ".join(unknown)),
              file=sys.stderr)
        return 2
    regenerate([known[Path(n).name] for n in names] if names else list(known.values()))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
