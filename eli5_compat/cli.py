"""The ``eli5-compat`` command (also ``python -m eli5_compat``)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional, Tuple

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
  eli5-compat run --target tf-keras legacy.ipynb   keeps the Keras 2 API (and Keras 2 .h5 models)
  eli5-compat run train.py --epochs 3 data/        everything after the script goes to the script
  eli5-compat run --target tf-keras app.py -- --help

The file itself is never changed: it is migrated in memory, then executed.
A notebook runs in a kernel (its folder as working directory); each cell's status and the
migration report go to stdout. A script runs in a new Python process as __main__ (sys.argv[0]
and __file__ are its path, its folder is the working directory); the migration report goes to
stderr, so the script's own output stays clean. --target tf-keras runs with TF_USE_LEGACY_KERAS=1
(tf-keras needed); the default keras3 runs without it.
exit codes: notebook: 0 every cell ran, 1 a cell failed; script: the script's own exit code;
2 the file could not be read or migrated (nothing was run)."""


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
    _add_target(migrate)
    migrate.set_defaults(handler=_migrate)

    options = _run_options()
    run = commands.add_parser(
        "run", help="migrate a notebook or script in memory and execute it", parents=[options],
        description="Migrate a notebook or a Python script in memory and execute it: a notebook with "
                    "nbclient (saving the executed copy and printing each cell's status), a script in "
                    "a subprocess with its arguments. The migration report is printed.",
        epilog=_RUN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("path", type=Path, metavar="NOTEBOOK_OR_SCRIPT", help="the .ipynb or .py file to run")
    run.add_argument("arguments", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="a script's arguments (a notebook's: the options above)")
    run.set_defaults(handler=_run, options=options)

    _add_explain(commands)
    from .audit.cli import add_parser as _add_audit

    _add_audit(commands)
    args = parser.parse_args(argv)
    return args.handler(args)


_EXPLAIN_EXAMPLES = """examples:
  eli5-compat explain model.keras photos/ -o overlays
  eli5-compat explain model.h5 cat.jpg dog.png -o out --preprocess symmetric --top 3
  eli5-compat explain model.keras digits/ -o out --preprocess unit --layer conv2d_1 --colormap jet
  eli5-compat explain savedmodel_dir/ img.png -o out --target 7 --alpha-limit 0.9 --resampling nearest
  eli5-compat explain model.keras photos/ -o out --method scorecam --max-channels 64
  eli5-compat explain model.keras photos/ -o out --method gradcam++ --metrics deletion,insertion
  eli5-compat explain model.keras photos/ -o out --save-heatmaps --ray --workers 2
  eli5-compat explain model.keras /shared/photos/ -o /shared/out --ray ray://head:10001 --resume

preprocessing (--preprocess):
{}

outputs: one overlay PNG per image (NAME.png, or NAME.topK.png with --top K > 1) over the original
picture, and results.json / results.csv with file, target, score, rank, layer, overlay, heatmap
min/max/mean and peak (row, col in heatmap cells), heatmap (with --save-heatmaps: the heatmap at the
layer's resolution as float32 in heatmaps/NAME.npy, relative to OUT_DIR), error, method, and one column
per --metrics name. With --ray: also results.parquet (the same records) and records/NAME.json (one per
image, which --resume reads); pip install "eli5-compat[ray]".
exit codes: 0 every image explained; 1 some images failed (reported, skipped); 2 no model."""


def _add_explain(commands) -> None:
    from ._explain_files import PREPROCESSING
    from .cam import METHOD_NAMES

    described = "\n".join("  {:<10} {}".format(name, text) for name, (_, text, _) in PREPROCESSING.items())
    explain = commands.add_parser(
        "explain", help="Grad-CAM (or other CAM method) overlays for image files from a saved Keras model",
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
    explain.add_argument("--method", choices=METHOD_NAMES, default="gradcam", type=str.lower,
                         help="CAM method (default gradcam; see the README's 'CAM methods')")
    explain.add_argument("--max-channels", type=int, metavar="N",
                         help="scorecam only: score the N channels with the most spatial variation (Faster Score-CAM)")
    explain.add_argument("--metrics", type=_metric_names, default=(), metavar="NAMES",
                         help="comma-separated faithfulness metrics to add to the results: deletion, insertion, "
                              "average_drop, increase (see eli5_compat.metrics)")
    explain.add_argument("--batch-size", type=int, default=32,
                         help="images per batch, and masked images per forward pass for scorecam (default 32)")
    explain.add_argument("--no-resize", action="store_true", help="fail images of another size instead of resizing")
    explain.add_argument("--convert", action="store_true",
                         help="convert grayscale/colour images to the model's channels instead of failing them")
    explain.add_argument("--quiet", action="store_true", help="no progress bar")
    explain.add_argument("--save-heatmaps", action="store_true",
                         help="also save each heatmap (float32, the layer's resolution) as OUT_DIR/heatmaps/NAME.npy")
    explain.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                         help="run on Ray Data: a local Ray on this machine, or the cluster at ADDRESS")
    explain.add_argument("--workers", type=int, metavar="N",
                         help="--ray: the number of actors, each with the model loaded once (default 2)")
    explain.add_argument("--resume", action="store_true",
                         help="--ray: skip images whose outputs are already in OUT_DIR (an interrupted run)")
    explain.set_defaults(handler=_explain)


def _metric_names(text: str) -> Tuple[str, ...]:
    from .metrics import METRICS

    names = tuple(dict.fromkeys(name.strip().lower() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in METRICS]
    if unknown or not names:
        raise argparse.ArgumentTypeError("unknown metric(s) {}: choose among {}".format(
            ", ".join(unknown) or repr(text), ", ".join(METRICS)))
    return names


def _explain(args: argparse.Namespace) -> int:
    from ._explain_files import run

    try:
        from . import keras  # noqa: F401  (without TensorFlow its ImportError names the extra)
    except ModuleNotFoundError as exc:
        if exc.name != "tensorflow":
            raise
        raise SystemExit("eli5-compat explain: {}".format(exc))
    if args.top < 1:
        raise SystemExit("eli5-compat explain: --top must be at least 1")
    if args.max_channels is not None and (args.method != "scorecam" or args.max_channels < 1):
        raise SystemExit("eli5-compat explain: --max-channels takes a positive number and needs --method scorecam")
    if args.ray is None:
        if args.resume or args.workers is not None:
            raise SystemExit("eli5-compat explain: --resume and --workers need --ray")
        return run(args)
    if args.workers is not None and args.workers < 1:
        raise SystemExit("eli5-compat explain: --workers must be at least 1")
    from .ray.command import run_ray

    return run_ray(args)


def _migrate(args: argparse.Namespace) -> int:
    from .migrate import find_files, migrate_file, render

    write = not (args.diff or args.check)
    outcomes = [migrate_file(path, in_place=args.in_place, write=write, target=args.target)
                for path in find_files(args.paths)]
    findings = [f for o in outcomes for f in o.findings]
    failed = [o for o in outcomes if o.error]
    changed = [o for o in outcomes if o.changed]
    for outcome in failed:
        print("{}: ERROR: {} (file left unchanged)".format(outcome.path, outcome.error), file=sys.stderr)
    report = render(findings, len(outcomes), len(changed), len(failed), target=args.target)
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


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=["keras3", "tf-keras"], default="keras3",
                        help="keras3 (default): Keras 3 fixes too; tf-keras: only eli5, the eager switch and "
                             "standalone keras imports (-> tf_keras) change, the code keeps Keras 2 "
                             "and runs with TF_USE_LEGACY_KERAS=1")


def _run_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(prog="eli5-compat run NOTEBOOK.ipynb", add_help=False)
    options.add_argument("-o", "--output", type=Path, help="notebook: executed copy (default NAME.executed.ipynb)")
    options.add_argument("--timeout", type=int, help="notebook: seconds allowed per cell (default 1800)")
    options.add_argument("--kernel", help="notebook: kernel name (default: the notebook's, else python3)")
    options.add_argument("--keep-going", action="store_true", help="notebook: run the remaining cells after an error")
    _add_target(options)
    return options


def _run(args: argparse.Namespace) -> int:
    if args.path.suffix != ".ipynb":
        notebook_only = [flag for flag, value in (("--output", args.output), ("--timeout", args.timeout),
                                                  ("--kernel", args.kernel), ("--keep-going", args.keep_going or None))
                         if value is not None]
        if notebook_only:
            raise SystemExit("eli5-compat run: {} only apply to notebooks; to pass them to the script, put them "
                             "after the script's path".format(", ".join(notebook_only)))
        from ._run_script import run_script

        return run_script(args.path, args.arguments, args.target)
    args.options.parse_args(args.arguments, namespace=args)
    return _run_notebook(args)


def _run_notebook(args: argparse.Namespace) -> int:
    import nbformat

    from ._run_script import TfKerasMissing, child_environment
    from .migrate import MigrationError, migrate_notebook, render

    try:
        env = child_environment(args.target)
        notebook = nbformat.read(str(args.path), as_version=nbformat.NO_CONVERT)
        migrated = migrate_notebook(notebook, args.target)
    except (MigrationError, OSError, ValueError, TfKerasMissing) as exc:
        print("{}: ERROR: {}".format(args.path, exc), file=sys.stderr)
        return 2
    findings = [f.located(str(args.path), f.cell) for f in migrated.findings]
    sys.stdout.write(render(findings, 1, int(migrated.changed), 0, target=args.target))
    output = args.output or args.path.with_name(args.path.stem + ".executed.ipynb")
    failures = _execute(migrated.notebook, args, env)
    nbformat.write(migrated.notebook, str(output))
    print("saved the executed notebook to {}".format(output))
    return 1 if failures else 0


def _execute(notebook, args: argparse.Namespace, env: dict) -> int:
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
    client = NotebookClient(notebook, timeout=1800 if args.timeout is None else args.timeout, kernel_name=kernel,
                            allow_errors=args.keep_going,
                            resources={"metadata": {"path": str(args.path.resolve().parent)}},
                            on_cell_execute=before, on_cell_executed=after)
    try:
        client.execute(env=env)
    except CellExecutionError:
        if not failures:
            failures.append(-1)
    return len(failures)
