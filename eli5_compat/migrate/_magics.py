"""IPython lines in notebook cells: hide them from the Python parser, fix eli5 installs.

Line magics (``%matplotlib inline``), shell lines (``!ls``, ``x = !ls``) and help lines
(``obj?``) are swapped for a marked ``pass`` of the same indentation while the cell is
parsed, and put back afterwards. The Python statement of a line magic that runs one
(``%time``, ``%timeit``, ``%prun`` and their options) is migrated: its prefix is swapped for an
``if 1:`` of the same width (columns and line numbers stay) and put back afterwards. Cell magics
that run Python (``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``) keep their line as it is and
have their body migrated; other cell magics (``%%bash``) make the whole cell non-Python.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ._report import Finding

_MARK = "# __eli5_compat_magic_{}__"
_MAGIC = re.compile(r"^(\s*)(?:[!%]|[A-Za-z_][\w,\s]*=\s*[!%])")
# A line magic that runs the Python statement after it (after its options, for %timeit / %prun).
_CODE_MAGIC = re.compile(r"^(\s*)%(?:time|timeit|prun)(?=\s)")
_IF = "if 1:"
_CELL_MAGIC = re.compile(r"^\s*%%")
# Cell magics that run their body as Python: the magic line is masked like a line magic, the body migrated.
_PYTHON_CELL_MAGIC = re.compile(r"^\s*%%(?:time|timeit|capture|prun)(?:\s|$)")
_HELP = re.compile(r"^\s*[\w.]+\?{1,2}\s*$")
_PIP = re.compile(r"^(\s*[!%]\s*(?:pip3?|python3?\s+-m\s+pip)\s+install\b)(.*)$")
_ELI5_REQUIREMENT = re.compile(r"^(['\"]?)eli5(\[[^\]]*\])?([<>=!~].*)?\1$")


def is_cell_magic(source: str) -> bool:
    """True when the cell starts with a cell magic whose body is not Python (``%%bash``, not ``%%time``)."""
    for line in source.splitlines():
        if line.strip():
            return bool(_CELL_MAGIC.match(line)) and not _PYTHON_CELL_MAGIC.match(line)
    return False


def mask(source: str) -> Tuple[str, Dict[int, str]]:
    """The source with IPython lines replaced by marked ``pass`` lines, and the originals."""
    originals: Dict[int, str] = {}
    lines = source.split("\n")
    for i in _ipython_lines(lines):
        line = lines[i]
        originals[i] = line
        code = _code_magic(line)
        if code is not None:
            lines[i] = code[1]
            continue
        match = _MAGIC.match(line)
        indent = match.group(1) if match else line[: len(line) - len(line.lstrip())]
        lines[i] = "{}pass  {}{}".format(indent, _MARK.format(i), "\r" if line.endswith("\r") else "")
    return "\n".join(lines), originals


def _ipython_lines(lines: List[str]) -> List[int]:
    """Indexes of the IPython lines: lines that start a statement (not inside brackets, a string or after a
    backslash) and are a magic, a shell line or a help line."""
    found: List[int] = []
    depth, quote, continued = 0, "", False
    for i, line in enumerate(lines):
        if not (depth or quote or continued) and (_MAGIC.match(line) or _HELP.match(line)):
            found.append(i)
            continue
        depth, quote, continued = _scan_line(line[:-1] if line.endswith("\r") else line, depth, quote)
    return found


def _scan_line(line: str, depth: int, quote: str) -> Tuple[int, str, bool]:
    """Bracket depth, open string quote and backslash continuation after one line of Python."""
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 1
            elif line.startswith(quote, i):
                i, quote = i + len(quote) - 1, ""
        elif char == "#":
            break
        elif char in "'\"":
            quote = line[i:i + 3] if line[i:i + 3] in ("'''", '"""') else char
            i += len(quote) - 1
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "\\" and i == len(line) - 1:
            return depth, quote, True
        i += 1
    if len(quote) == 1 and not line.endswith("\\"):
        quote = ""  # an unclosed one-line string: a syntax error the parser reports
    return depth, quote, False


def _code_magic(line: str) -> Optional[Tuple[str, str]]:
    """(its prefix, the line as ``if 1: stmt`` of the same width) for ``%time stmt`` when ``stmt`` is one simple
    Python statement, else None."""
    match = _CODE_MAGIC.match(line)
    if not match:
        return None
    words = list(re.compile(r"\S+").finditer(line, match.end()))
    for j, word in enumerate(words):
        prefix = line[len(match.group(1)):word.start()]
        if len(prefix) > len(_IF):
            masked = match.group(1) + _IF.ljust(len(prefix)) + line[word.start():]
            try:
                statement = cst.parse_statement(masked.strip() + "\n")
            except cst.ParserSyntaxError:
                statement = None
            if isinstance(statement, cst.If) and isinstance(statement.body, cst.SimpleStatementSuite):
                return prefix, masked
        if not word.group().startswith("-") and (j == 0 or not words[j - 1].group().startswith("-")):
            return None  # only options and their values may stand before the statement
    return None


def has_ipython_lines(source: str) -> bool:
    """True when some line is IPython syntax (``!cmd``, ``%magic``, ``%%cell``, ``x = !cmd``, ``obj?``)."""
    return bool(_ipython_lines(source.split("\n")))


def hidden_lines(originals: Dict[int, str]) -> List[str]:
    """The masked lines that are not Python at all (all but the ``%time stmt`` lines)."""
    return [line for line in originals.values() if _code_magic(line) is None]


def unmask(source: str, originals: Dict[int, str]) -> str:
    """Put the IPython lines back (they keep their place even if lines were added around them)."""
    if not originals:
        return source
    lines = source.split("\n")
    for index, original in originals.items():
        code = _code_magic(original)
        indent = original[:len(original) - len(original.lstrip())]
        if code is not None and index < len(lines) and lines[index][len(indent):].startswith(_IF):
            lines[index] = indent + code[0] + lines[index][len(indent) + len(code[0]):]
    for i, line in enumerate(lines):
        for index, original in originals.items():
            if line.rstrip("\r").endswith(_MARK.format(index)):
                lines[i] = original
    return "\n".join(lines)


def rewrite_installs(source: str) -> Tuple[str, List[Finding]]:
    """``!pip install eli5`` (any version, ``%pip`` too) installs eli5-compat instead."""
    findings: List[Finding] = []
    lines = source.split("\n")
    for i in _ipython_lines(lines):
        fixed = fix_install(lines[i])
        if fixed is not None:
            lines[i] = fixed
            findings.append(Finding(i + 1, 1, "INFO", INSTALL_MESSAGE))
    return "\n".join(lines), findings


INSTALL_MESSAGE = "Installs eli5-compat instead of eli5 (eli5_compat runs eli5 0.11's Keras code on TensorFlow 2.16+)."


def fix_install(line: str) -> Optional[str]:
    """The install line with eli5 replaced by eli5-compat, or None when it installs no eli5."""
    end = "\r" if line.endswith("\r") else ""
    match = _PIP.match(line[:len(line) - len(end)])
    if not match:
        return None
    words = match.group(2).split(" ")
    replaced = [_replace_requirement(w) for w in words]
    return match.group(1) + " ".join(replaced) + end if replaced != words else None


def _replace_requirement(word: str) -> str:
    found: Optional[re.Match] = _ELI5_REQUIREMENT.match(word)
    if not found:
        return word
    return "{0}eli5-compat{0}".format(found.group(1))
