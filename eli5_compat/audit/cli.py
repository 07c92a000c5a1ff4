"""``eli5-compat audit RESULTS_DIR --boxes boxes.csv | --masks MASK_DIR``: where does the model look?"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_EXAMPLES = """examples:
  eli5-compat explain model.keras photos/ -o out --save-heatmaps
  eli5-compat audit out --boxes boxes.csv                 writes out/audit/
  eli5-compat audit out --masks masks/ -o audit_report --worst 24 --tolerance 15

boxes.csv: a header, then one box per line: file,label,x0,y0,x1,y1 (label optional; the column may be
absent). file: the image's path as in results.json, or its bare name. x0,y0,x1,y1: the original image's
pixels from its top-left corner (x right, y down); integer coordinates cover columns x0..x1-1 and rows
y0..y1-1; several lines for one image make a union. label: a class index; the box then counts only
for records explaining that class.
masks: MASK_DIR/<image stem>.png, the image's size, nonzero = object.

outputs (in -o, default RESULTS_DIR/audit): audit.csv (per class: count, mean/median energy share,
pointing accuracy, hits; then 'all'), audit_images.csv (per record), audit.json (both, plus the problems),
report.html (self-contained: summary, distributions, the worst images, the problems).
Records with errors, without saved heatmaps (explain --save-heatmaps), images or boxes/masks are listed
as problems and the rest is scored.
exit codes: 0 every record scored; 1 some records not scored (listed); 2 unusable input."""


_SHOWN_PROBLEMS = 20  # problems printed to stderr; audit.json and the report list them


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``audit`` subcommand to ``commands`` (an argparse subparsers object)."""
    audit = commands.add_parser(
        "audit", help="score where explanations look against object boxes or masks, with an HTML report",
        description="Read an eli5-compat explain results folder (results.json or results.parquet, with heatmaps "
                    "saved by --save-heatmaps) and score each image's heatmap against object boxes or masks: "
                    "the energy-based pointing game and the pointing game, per image and per class.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    audit.add_argument("results", type=Path, metavar="RESULTS_DIR", help="the folder eli5-compat explain -o wrote")
    regions = audit.add_mutually_exclusive_group(required=True)
    regions.add_argument("--boxes", type=Path, metavar="CSV", help="object boxes (see below)")
    regions.add_argument("--masks", type=Path, metavar="MASK_DIR", help="one PNG mask per image, same stem")
    audit.add_argument("-o", "--out", type=Path, metavar="OUT_DIR", help="output folder (default RESULTS_DIR/audit)")
    audit.add_argument("--worst", type=_count, default=12, metavar="N",
                       help="images shown in the report, lowest energy share first (default 12)")
    audit.add_argument("--tolerance", type=float, default=0.0, metavar="PIXELS",
                       help="pointing game: a peak this close to the region still hits (default 0; Zhang et al. "
                            "used 15)")
    audit.set_defaults(handler=run)
    return audit


def run(args: argparse.Namespace) -> int:
    """The audit command; returns the exit code (0 all scored, 1 some records not scored, 2 unusable input)."""
    from ._audit import audit_results
    from .report import write_report
    from .tables import write_tables

    try:
        audit = audit_results(args.results, boxes=args.boxes, masks=args.masks, tolerance=args.tolerance)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print("eli5-compat audit: ERROR: {}".format(exc), file=sys.stderr)
        return 2
    out = args.out or args.results / "audit"
    out.mkdir(parents=True, exist_ok=True)
    write_tables(audit, out)
    report = write_report(audit, out / "report.html", args.worst)
    for problem in audit.problems[:_SHOWN_PROBLEMS]:
        print("{}: not scored: {}: {}".format(problem.file, problem.kind, problem.detail), file=sys.stderr)
    if len(audit.problems) > _SHOWN_PROBLEMS:
        print("... and {} more not scored (audit.json lists them all)".format(len(audit.problems) - _SHOWN_PROBLEMS),
              file=sys.stderr)
    counts = ", ".join("{} {}".format(n, kind) for kind, n in audit.problem_counts().items())
    print("scored {} record(s); {} not scored{}; audit.csv, audit_images.csv, audit.json and {} in {}".format(
        len(audit.images), len(audit.problems), " ({})".format(counts) if counts else "", report.name, out))
    return 1 if audit.problems else 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("--worst must be 0 or more, got {}".format(value))
    return value
