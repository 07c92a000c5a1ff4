"""What a migration found: one Finding per rewrite or hazard, and the report that lists them."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, List, Optional

LEVELS = ("INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Finding:
    """One reported item: where it is (cell counted from 1, line and column from 1) and what."""

    line: int
    column: int
    level: str
    message: str
    path: str = ""
    cell: Optional[int] = None

    def located(self, path: str, cell: Optional[int]) -> "Finding":
        """The same finding, placed in a file (and notebook cell)."""
        return Finding(self.line, self.column, self.level, self.message, path, cell)

    def __str__(self) -> str:
        where = self.path + (":cell {}".format(self.cell) if self.cell is not None else "")
        return "{}:{}:{}: {}: {}".format(where, self.line, self.column, self.level, self.message)


def summary(findings: Iterable[Finding], files: int, changed: int, failed: int) -> str:
    """The closing line: files, changes, failures and findings by level."""
    counts = Counter(f.level for f in findings)
    levels = ", ".join("{} {}".format(counts.get(level, 0), level) for level in LEVELS)
    return "{} file(s) checked, {} to change, {} failed; {}".format(files, changed, failed, levels)


def render(findings: List[Finding], files: int, changed: int, failed: int) -> str:
    """The whole report, one finding a line, then the summary."""
    lines = [str(f) for f in findings]
    lines.append(summary(findings, files, changed, failed))
    return "\n".join(lines) + "\n"
