"""Files and folders: find them, migrate them, write results safely, show diffs."""
from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

import nbformat

from .._atomic import atomic_path
from ._document import MigrationError, cell_sources, migrate_notebook, migrate_source
from ._report import Finding, check_target

SUFFIXES = (".ipynb", ".py")
_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", ".venv", "venv", "node_modules"}


@dataclass
class FileOutcome:
    """What happened to one file."""

    path: Path
    findings: List[Finding] = field(default_factory=list)
    changed: bool = False
    error: Optional[str] = None
    written: Optional[Path] = None
    diff: str = ""
    target: str = "keras3"


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Notebooks and Python files given directly or found in folders (recursively)."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if (found.suffix in SUFFIXES and found.is_file() and ".migrated." not in found.name
                        and not _SKIP_DIRS.intersection(found.relative_to(path).parts)):
                    yield found
        else:
            yield path


def migrated_name(path: Path) -> Path:
    """``NAME.migrated.ipynb`` beside ``NAME.ipynb``."""
    return path.with_name(path.stem + ".migrated" + path.suffix)


def migrate_file(path: Path, *, in_place: bool = False, write: bool = True,
                 target: str = "keras3") -> FileOutcome:
    """Migrate one file for ``target`` (``"keras3"`` or ``"tf-keras"``).

    Writes the result (a new file, or in place with a backup) if ``write``.
    """
    outcome = FileOutcome(path, target=check_target(target))
    try:
        original = path.read_bytes().decode("utf-8")  # as it is: CRLF line ends stay
        if path.suffix == ".ipynb":
            notebook = _read_notebook(original)
            result = migrate_notebook(notebook, target)
            new_text = _notebook_text(result.notebook) if result.changed else original
            outcome.diff = _notebook_diff(path, notebook, result.notebook) if result.changed else ""
        else:
            result = migrate_source(original, target)
            new_text = result.text or original
            outcome.diff = _diff(path, original, new_text, "") if result.changed else ""
    except (MigrationError, OSError, UnicodeDecodeError) as exc:
        outcome.error = str(exc)
        return outcome
    outcome.findings = [f.located(str(path), f.cell) for f in result.findings]
    outcome.changed = result.changed
    if write and result.changed:
        target = path if in_place else migrated_name(path)
        if in_place:
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        _atomic_write(target, new_text)
        outcome.written = target
    return outcome


def _read_notebook(text: str):
    try:
        version = json.loads(text).get("nbformat")
    except (ValueError, AttributeError) as exc:
        raise MigrationError("not a readable notebook: invalid JSON ({})".format(exc)) from None
    if version != 4:
        raise MigrationError("unsupported notebook format version {} (nbformat 4 is supported; "
                             "upgrade it with `jupyter nbconvert --to notebook`)".format(version))
    try:
        return nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # nbformat raises several kinds for malformed notebooks
        raise MigrationError("not a readable notebook: {}".format(exc)) from None


def _notebook_text(notebook) -> str:
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` so that ``target`` is whole or untouched (see :func:`eli5_compat._atomic.atomic_path`).

    The result keeps ``target``'s mode; a new file gets the mode ``open()`` gives (0o666 less the umask).
    """
    try:
        mode: Optional[int] = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    with atomic_path(target) as temporary:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        handle = os.open(temporary, flags, 0o666)  # the umask applies, as for open()
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if mode is not None:
            os.chmod(temporary, mode)


def _diff(path: Path, old: str, new: str, where: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        "a/{}{}".format(path, where), "b/{}{}".format(path, where)))


def _notebook_diff(path: Path, old, new) -> str:
    before = dict(cell_sources(old))
    parts = []
    for number, source in cell_sources(new):
        if source != before.get(number):
            parts.append(_diff(path, _with_newline(before.get(number, "")), _with_newline(source),
                               " (cell {})".format(number)))
    return "".join(parts)


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
