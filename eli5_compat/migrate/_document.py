"""Migrate one piece of code: a Python file or a notebook (cell by cell)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from . import _magics
from ._codemod import migrate_python, prescan
from ._names import CodeState
from ._paths import note_unparsed_uses
from ._report import Finding, check_target


class MigrationError(Exception):
    """The input cannot be migrated (it does not parse, or is not a notebook we can read)."""


@dataclass
class Migrated:
    """A migrated document: its new text or notebook, and what was found."""

    findings: List[Finding] = field(default_factory=list)
    changed: bool = False
    text: Optional[str] = None
    notebook: Any = None
    target: str = "keras3"


def migrate_cell(source: str, cell_magics_allowed: bool = True, target: str = "keras3"
                 ) -> Tuple[str, List[Finding]]:
    """Migrate the code of one notebook cell (IPython lines pass through, eli5 installs are fixed).

    ``target`` is ``"keras3"`` (default) or ``"tf-keras"`` (only eli5, the eager switch and
    ``keras`` -> ``tf_keras`` imports change).
    """
    return _migrate_code(source, check_target(target), None, cell_magics_allowed)


def _masked(source: str) -> Tuple[str, Dict[int, str], List[Finding]]:
    source, install_findings = _magics.rewrite_installs(source)
    masked, originals = _magics.mask(source)
    return masked, originals, install_findings


def _migrate_code(source: str, target: str, state: Optional[CodeState], cell_magics_allowed: bool = True
                  ) -> Tuple[str, List[Finding]]:
    if cell_magics_allowed and _magics.is_cell_magic(source):
        return source, []
    masked, originals, install_findings = _masked(source)
    if state is None:  # the source is the whole document
        state = CodeState()
        prescan(masked, state)
        note_unparsed_uses(state, _magics.hidden_lines(originals))
    try:
        new, findings = migrate_python(masked, target, state)
    except cst.ParserSyntaxError as exc:
        raise _syntax_error(exc) from None
    return _magics.unmask(new, originals), sorted(install_findings + findings, key=lambda f: (f.line, f.column))


def _syntax_error(exc: cst.ParserSyntaxError) -> MigrationError:
    return MigrationError("syntax error at line {}, column {}: {}".format(exc.raw_line, exc.raw_column + 1, exc.message))


def migrate_source(text: str, target: str = "keras3") -> Migrated:
    """Migrate a Python file's text for ``target`` (``"keras3"`` or ``"tf-keras"``).

    A script with notebook syntax (``!cmd``, ``%magic``, ``%%cell`` lines) is migrated like a
    notebook cell: those lines are kept as they are, ``!pip install eli5`` installs eli5-compat.
    A byte-order mark is kept.
    """
    check_target(target)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    try:
        new, findings = migrate_python(body, target)
    except cst.ParserSyntaxError as exc:
        if not _magics.has_ipython_lines(body):
            raise _syntax_error(exc) from None
        new, findings = _migrate_code(body, target, None, cell_magics_allowed=False)
    new = bom + new
    return Migrated(findings=findings, changed=new != text, text=new, target=target)


def migrate_notebook(notebook: Any, target: str = "keras3") -> Migrated:
    """Migrate an nbformat v4 notebook for ``target`` (``"keras3"`` or ``"tf-keras"``).

    Cells are migrated in order and share what earlier cells imported. Cells that need no change
    are left exactly as they were.
    """
    check_target(target)
    if notebook.get("nbformat") != 4:
        raise MigrationError("unsupported notebook format version {} (nbformat 4 is supported)".format(
            notebook.get("nbformat")))
    result = copy.deepcopy(notebook)
    findings: List[Finding] = []
    changed = False
    state = CodeState()
    unparsed: List[str] = []
    for cell in result.cells:
        if cell.get("cell_type") != "code":
            continue
        if _magics.is_cell_magic(cell.source):
            unparsed.append(cell.source)
            continue
        masked, originals, _ = _masked(cell.source)
        prescan(masked, state)
        unparsed.extend(_magics.hidden_lines(originals))
    note_unparsed_uses(state, unparsed)
    for number, cell in enumerate(result.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        try:
            new, found = _migrate_code(cell.source, target, state)
        except MigrationError as exc:
            raise MigrationError("cell {}: {}".format(number, exc)) from None
        findings.extend(f.located("", number) for f in found)
        if new != cell.source:
            cell.source = new
            changed = True
    return Migrated(findings=findings, changed=changed, notebook=result, target=target)


def cell_sources(notebook: Any) -> List[Tuple[int, str]]:
    """(cell number, source) of the code cells, for diffs."""
    return [(n, c.source) for n, c in enumerate(notebook.cells, start=1) if c.get("cell_type") == "code"]
