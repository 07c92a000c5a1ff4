"""Write tests/corpus/expected/<name> and <name>.report.txt from the current migrate (review the diff before committing)."""
from pathlib import Path

from eli5_compat.migrate import migrate_source
from eli5_compat.migrate._report import render

HERE = Path(__file__).parent


def migrated(path: Path):
    """The migrated text and rendered report for one corpus file."""
    result = migrate_source(path.read_bytes().decode("utf-8"))
    findings = [f.located(path.name, f.cell) for f in result.findings]
    return (result.text or path.read_bytes().decode("utf-8")), render(findings, 1, int(result.changed), 0)


if __name__ == "__main__":
    for path in sorted(HERE.glob("*.py")):
        if path.name == "regenerate.py":
            continue
        text, report = migrated(path)
        (HERE / "expected" / path.name).write_bytes(text.encode("utf-8"))
        (HERE / "expected" / (path.name + ".report.txt")).write_text(report, encoding="utf-8")
