"""``eli5-compat run SCRIPT.py``: migrate a script in memory and run it in a subprocess.

The script file is only read. Its migrated text goes to a private temporary folder (removed
afterwards) and a child Python executes it as ``__main__`` with ``sys.argv[0]`` and ``__file__``
set to the script's path, the script's folder as working directory and first on ``sys.path``.
The code is compiled under the original path, so tracebacks name it (with the migrated text's
line numbers and lines). The migration report goes to stderr; the script's stdout and stderr
are its own, streamed. The exit code is the script's (128 + N if a signal N ended it).
"""
from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Mapping, Optional

# Runs in the child as ``python -c``: it leaves only the script's own names in ``__main__`` (plus
# IPython's, with a shell, for scripts written with notebook syntax), and shows uncaught
# tracebacks with the lines that ran, without this bootstrap's own frame.
_BOOTSTRAP = """\
def _eli5_compat_boot():
    import linecache, os, sys, traceback
    migrated, script, mode = sys.argv[1:4]
    sys.argv[:] = [script] + sys.argv[4:]
    sys.path[0] = os.path.dirname(script)
    with open(migrated, encoding="utf-8", newline="") as handle:
        source = handle.read()
    main = sys.modules["__main__"]
    del main.__dict__["_eli5_compat_boot"]
    main.__dict__.update(__file__=script, __cached__=None)
    if mode == "ipython":
        from IPython.core.inputtransformer2 import TransformerManager
        from IPython.core.interactiveshell import InteractiveShell

        class ScriptShell(InteractiveShell):
            # IPython leaves enable_gui to subclasses; a script has no event loop and no screen, so every
            # %matplotlib backend (inline, notebook, qt...) becomes Agg: figures draw and save, show() is a no-op.
            def enable_gui(self, gui=None):
                pass

            def enable_matplotlib(self, gui=None):
                return super().enable_matplotlib("agg")

        ScriptShell.instance(user_module=main)
        source = TransformerManager().transform_cell(source)
    linecache.cache[script] = (len(source), None, source.splitlines(True), script)

    def hook(kind, value, tb):
        while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
            tb = tb.tb_next
        traceback.print_exception(kind, value, tb)

    sys.excepthook = hook
    return compile(source, script, "exec", dont_inherit=True), main.__dict__
exec(*_eli5_compat_boot())
"""


class TfKerasMissing(RuntimeError):
    """``--target tf-keras`` was asked for, but the tf-keras package is not installed."""


def child_environment(target: str, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment code migrated for ``target`` runs in.

    ``"tf-keras"`` sets ``TF_USE_LEGACY_KERAS=1`` (and raises :class:`TfKerasMissing` if tf-keras
    is not installed); ``"keras3"`` removes ``TF_USE_LEGACY_KERAS`` so ``tf.keras`` is Keras 3.
    """
    env = dict(os.environ if base is None else base)
    if target == "tf-keras":
        if importlib.util.find_spec("tf_keras") is None:
            raise TfKerasMissing("--target tf-keras needs the tf-keras package, which is not installed in "
                                 "{}: pip install tf-keras (or pip install 'eli5-compat[tf-keras]')".format(
                                     sys.executable))
        env["TF_USE_LEGACY_KERAS"] = "1"
    else:
        env.pop("TF_USE_LEGACY_KERAS", None)
    return env


def run_script(script: Path, arguments: List[str], target: str = "keras3") -> int:
    """Migrate ``script`` for ``target`` in memory, run it with ``arguments``; its exit code.

    Returns 2 (after printing why to stderr) if the script cannot be read or migrated, or the
    target's packages are missing; the script is not run then.
    """
    from .migrate import MigrationError, migrate_source, render

    script = Path(os.path.abspath(script))
    try:
        env = child_environment(target)
        original = script.read_bytes().decode("utf-8-sig")
        migrated = migrate_source(original, target)
    except (MigrationError, OSError, UnicodeDecodeError, TfKerasMissing) as exc:
        print("{}: ERROR: {} (nothing was run)".format(script, exc), file=sys.stderr)
        return 2
    text = migrated.text if migrated.text is not None else original
    mode = _mode(text, script)
    if mode == "ipython" and importlib.util.find_spec("IPython") is None:
        print("{}: ERROR: the script uses notebook syntax (!cmd, %magic or get_ipython()), which needs IPython: "
              "pip install ipython (nothing was run)".format(script), file=sys.stderr)
        return 2
    findings = [f.located(str(script), None) for f in migrated.findings]
    sys.stderr.write(render(findings, 1, int(migrated.changed), 0, target=target))
    sys.stderr.flush()
    sys.stdout.flush()
    return _execute(text, script, mode, arguments, env)


def _mode(text: str, script: Path) -> str:
    """``"ipython"`` for notebook syntax, else ``"python"``.

    Notebook syntax: ``!cmd`` / ``%magic`` lines (not Python; migrate parsed them masked) or
    top-level ``get_ipython().method(...)`` statements, as notebook exports write them. A script
    that only probes ``get_ipython()`` (inside ``try`` or a function) runs as plain Python.
    """
    try:
        tree = ast.parse(text, str(script))
    except (SyntaxError, ValueError):
        return "ipython"
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Call) and isinstance(call.func.value.func, ast.Name)
                and call.func.value.func.id == "get_ipython"):
            return "ipython"
    return "python"


def _execute(source: str, script: Path, mode: str, arguments: List[str], env: Dict[str, str]) -> int:
    folder = tempfile.mkdtemp(prefix="eli5-compat-run-")
    try:
        migrated = Path(folder) / script.name
        # newline="" keeps the text's own line endings
        with open(migrated, "w", encoding="utf-8", newline="") as handle:
            handle.write(source)
        command = [sys.executable, "-c", _BOOTSTRAP, str(migrated), str(script), mode, *arguments]
        child = subprocess.Popen(command, cwd=str(script.parent), env=env)
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # the child got the same Ctrl-C; let it finish its way
                continue
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 128 + abs(code) if code < 0 else code

