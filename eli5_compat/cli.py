"""The ``eli5-compat`` command (also ``python -m eli5_compat``)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

_MIGRATE_EXAMPLES = """examples:
  eli5-compat migrate tutorial.ipynb            writes tutorial.migrated.ipynb
  eli5-compat migrate notebooks/ --in-place     rewrites in place, keeping NAME.ipynb.bak
  eli5-compat migrate notebooks/ --diff         shows what would change, writes nothing
  eli5-compat migrate . --check                 exit code 1 if anything would change (for CI)
  eli5-compat migrate old.py --report report.txt

exit codes: 0 done; 1 --check found changes to make; 2 a file could not be migrated."""

_RUN_EXAMPLES = """examples:
  eli5-compat run tutorial.ipynb                   saves tutorial.executed.ipynb
  eli5-compat run tutorial.ipynb -o done.ipynb --timeout 1200

The notebook file itself is never changed: it is migrated in memory, then executed.
exit codes: 0 every cell ran; 1 a cell failed; 2 the notebook could not be read or migrated."""


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="eli5-compat",
        description="Tools for running eli5 0.11 Keras Grad-CAM code on TensorFlow 2.16+.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    migrate = commands.add_parser(
        "migrate", help="rewrite notebooks and scripts for eli5_compat and Keras 3",
        description="Rewrite .ipynb and .py files (folders recursively) so eli5 0.11 code runs on "
                    "TensorFlow 2.16+ with eli5_compat, and report what needs a hand fix.",
        epilog=_MIGRATE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    migrate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".ipynb/.py files or folders")
    mode = migrate.add_mutually_exclusive_group()
    mode.add_argument("--in-place", action="store_true", help="rewrite files in place (keeps NAME.bak)")
    mode.add_argument("--diff", action="store_true", help="print a unified diff; write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    migrate.add_argument("--report", type=Path, metavar="FILE", help="also save the report to FILE")
    migrate.set_defaults(handler=_migrate)

    run = commands.add_parser(
        "run", help="migrate a notebook in memory and execute it",
        description="Migrate a notebook in memory, execute it with nbclient, save the executed copy "
                    "and print each cell's status and the migration report.",
        epilog=_RUN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("notebook", type=Path, help="the .ipynb file to run")
    run.add_argument("-o", "--output", type=Path, help="executed copy (default NAME.executed.ipynb)")
    run.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    run.add_argument("--kernel", help="kernel name (default: the notebook's, else python3)")
    run.add_argument("--keep-going", action="store_true", help="run the remaining cells after an error")
    run.set_defaults(handler=_run)

    _add_explain(commands)
    args = parser.parse_args(argv)
    return args.handler(args)


_EXPLAIN_EXAMPLES = """examples:
  eli5-compat explain model.keras photos/ -o overlays
  eli5-compat explain model.h5 cat.jpg dog.png -o out --preprocess symmetric --top 3
  eli5-compat explain model.keras digits/ -o out --preprocess unit --layer conv2d_1 --colormap jet
  eli5-compat explain savedmodel_dir/ img.png -o out --target 7 --alpha-limit 0.9 --resampling nearest

preprocessing (--preprocess):
{}

outputs: one overlay PNG per image (NAME.png, or NAME.topK.png with --top K > 1) over the original
picture, and results.json / results.csv with file, target, score, rank, layer, overlay, heatmap
min/max/mean and peak (row, col in heatmap cells), and error.
exit codes: 0 every image explained; 1 some images failed (reported, skipped); 2 no model."""


def _add_explain(commands) -> None:
    from ._explain_files import PREPROCESSING

    described = "\n".join("  {:<10} {}".format(name, text) for name, (_, text, _) in PREPROCESSING.items())
    explain = commands.add_parser(
        "explain", help="Grad-CAM overlays for image files from a saved Keras model",
        description="Load a .keras/.h5 model (or a SavedModel folder, with tf-keras), read images with "
                    "Pillow, resize them to the model's input, explain them in batches and write overlays.",
        epilog=_EXPLAIN_EXAMPLES.format(described), formatter_class=argparse.RawDescriptionHelpFormatter)
    explain.add_argument("model", type=Path, help=".keras or .h5 file, or a SavedModel folder")
    explain.add_argument("images", type=Path, nargs="+", metavar="IMAGE_OR_FOLDER", help="image files or folders")
    explain.add_argument("-o", "--out", type=Path, required=True, metavar="OUT_DIR", help="folder for the results")
    explain.add_argument("--preprocess", choices=sorted(PREPROCESSING), default="unit",
                         help="how pixels are scaled before the model sees them (default: unit)")
    which = explain.add_mutually_exclusive_group()
    which.add_argument("--target", type=int, help="explain this class for every image")
    which.add_argument("--top", type=int, default=1, metavar="N", help="explain each image's N top classes (default 1)")
    explain.add_argument("--layer", help="layer name, 'outer/inner' path or index (default: automatic)")
    explain.add_argument("--colormap", default="viridis", help="matplotlib colormap name (default viridis)")
    explain.add_argument("--alpha-limit", type=float, default=0.65, help="maximum heatmap opacity (default 0.65)")
    explain.add_argument("--resampling", default="lanczos",
                         choices=["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"],
                         help="filter used to enlarge the heatmap (default lanczos)")
    explain.add_argument("--batch-size", type=int, default=32, help="images per batch (default 32)")
    explain.add_argument("--no-resize", action="store_true", help="fail images of another size instead of resizing")
    explain.add_argument("--convert", action="store_true",
                         help="convert grayscale/colour images to the model's channels instead of failing them")
    explain.add_argument("--quiet", action="store_true", help="no progress bar")
    explain.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    from ._explain_files import run

    if args.top < 1:
        raise SystemExit("eli5-compat explain: --top must be at least 1")
    return run(args)


def _migrate(args: argparse.Namespace) -> int:
    from .migrate import find_files, migrate_file, render

    write = not (args.diff or args.check)
    outcomes = [migrate_file(path, in_place=args.in_place, write=write) for path in find_files(args.paths)]
    findings = [f for o in outcomes for f in o.findings]
    failed = [o for o in outcomes if o.error]
    changed = [o for o in outcomes if o.changed]
    for outcome in failed:
        print("{}: ERROR: {} (file left unchanged)".format(outcome.path, outcome.error), file=sys.stderr)
    report = render(findings, len(outcomes), len(changed), len(failed))
    sys.stdout.write(report)
    if args.report:
        errors = "".join("{}: ERROR: {}\n".format(o.path, o.error) for o in failed)
        args.report.write_text(errors + report, encoding="utf-8")
    if args.diff:
        sys.stdout.write("".join(o.diff for o in changed))
    for outcome in outcomes:
        if outcome.written:
            print("wrote {}".format(outcome.written))
    if failed:
        return 2
    return 1 if args.check and changed else 0


def _run(args: argparse.Namespace) -> int:
    import nbformat

    from .migrate import MigrationError, migrate_notebook, render

    try:
        notebook = nbformat.read(str(args.notebook), as_version=nbformat.NO_CONVERT)
        migrated = migrate_notebook(notebook)
    except (MigrationError, OSError, ValueError) as exc:
        print("{}: ERROR: {}".format(args.notebook, exc), file=sys.stderr)
        return 2
    findings = [f.located(str(args.notebook), f.cell) for f in migrated.findings]
    sys.stdout.write(render(findings, 1, int(migrated.changed), 0))
    output = args.output or args.notebook.with_name(args.notebook.stem + ".executed.ipynb")
    failures = _execute(migrated.notebook, args)
    nbformat.write(migrated.notebook, str(output))
    print("saved the executed notebook to {}".format(output))
    return 1 if failures else 0


def _execute(notebook, args: argparse.Namespace) -> int:
    try:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError:
        raise SystemExit("eli5-compat run needs nbclient and ipykernel: pip install 'eli5-compat[notebook]'")
    started = {}
    failures = []

    def before(cell, cell_index, **_):
        started[cell_index] = time.perf_counter()

    def after(cell, cell_index, **_):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        took = time.perf_counter() - started.get(cell_index, time.perf_counter())
        if errors:
            failures.append(cell_index)
            print("cell {}: ERROR {}: {} ({:.1f} s)".format(cell_index + 1, errors[0].get("ename"),
                                                           errors[0].get("evalue"), took), flush=True)
        else:
            print("cell {}: ok ({:.1f} s)".format(cell_index + 1, took), flush=True)

    kernel = args.kernel or notebook.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(notebook, timeout=args.timeout, kernel_name=kernel, allow_errors=args.keep_going,
                            resources={"metadata": {"path": str(args.notebook.resolve().parent)}},
                            on_cell_execute=before, on_cell_executed=after)
    try:
        client.execute()
    except CellExecutionError:
        if not failures:
            failures.append(-1)
    return len(failures)
