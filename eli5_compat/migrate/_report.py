"""What a migration found: one Finding per rewrite or hazard, and the report that lists them.

The report's first line names the target the code was migrated for, e.g.
``Target: keras3 (Keras 3 on TensorFlow 2.16+)``; then one finding a line; then the summary.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, List, Optional

LEVELS = ("INFO", "WARNING", "ERROR")
#: What each ``target=`` value means; the keys are the accepted values, the first is the default.
TARGETS = {
    "keras3": "Keras 3 on TensorFlow 2.16+",
    "tf-keras": "Keras 2 API on tf-keras: run with TF_USE_LEGACY_KERAS=1 and the tf-keras package",
}


def check_target(target: str) -> str:
    """``target`` itself if it is one of :data:`TARGETS`, else a ValueError naming the choices."""
    if target not in TARGETS:
        raise ValueError("unknown migration target {!r}: choose one of {}".format(
            target, ", ".join(repr(t) for t in TARGETS)))
    return target


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


def render(findings: List[Finding], files: int, changed: int, failed: int, target: str = "keras3") -> str:
    """The whole report: the target line, one finding a line, then the summary."""
    lines = ["Target: {} ({})".format(target, TARGETS[check_target(target)])]
    lines.extend(str(f) for f in findings)
    lines.append(summary(findings, files, changed, failed))
    return "\n".join(lines) + "\n"
