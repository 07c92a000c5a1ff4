"""The per-class summary and the audit's table files (audit.csv, audit_images.csv, audit.json)."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Dict, List, Union

import numpy as np

from .._explain_files import atomic_path
from ._audit import Audit

SUMMARY_COLUMNS = ("class", "count", "energy_mean", "energy_median", "pointing_accuracy", "hits")


def summarize(audit: Audit) -> List[Dict[str, Union[str, int, float]]]:
    """One row per explained class (the records' target), then ``all``: SUMMARY_COLUMNS."""
    groups: Dict[object, list] = {}
    for image in audit.images:
        groups.setdefault(image.target, []).append(image)
    rows = [_summary_row(str(c), groups[c]) for c in sorted(groups)]
    return rows + [_summary_row("all", audit.images)]


def _summary_row(name: str, images: list) -> Dict[str, Union[str, int, float]]:
    shares = np.array([i.energy_share for i in images], dtype=np.float64)
    hits = sum(1 for i in images if i.pointing_hit)
    nan = float("nan")
    return {"class": name, "count": len(images), "energy_mean": float(shares.mean()) if len(images) else nan,
            "energy_median": float(np.median(shares)) if len(images) else nan,
            "pointing_accuracy": hits / len(images) if images else nan, "hits": hits}


def write_tables(audit: Audit, out: Path) -> Dict[str, Path]:
    """Write audit.csv (summary), audit_images.csv (one row per scored record) and audit.json (all)."""
    summary = summarize(audit)
    images = [i.row() for i in audit.images]
    problems = [p.__dict__ for p in audit.problems]
    document = {"results_dir": str(audit.results_dir), "regions": audit.region_source,
                "tolerance": audit.tolerance, "summary": summary, "problem_counts": audit.problem_counts(),
                "images": images, "problems": problems}
    paths = {"summary": out / "audit.csv", "images": out / "audit_images.csv", "json": out / "audit.json"}
    _write(paths["summary"], _csv(summary, SUMMARY_COLUMNS))
    _write(paths["images"], _csv(images, list(images[0]) if images else ["file"]))
    _write(paths["json"], json.dumps(_no_nan(document), indent=1) + "\n")
    return paths


def _csv(rows: List[Dict[str, object]], columns) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _no_nan(value: object) -> object:
    """JSON has no NaN: empty classes' means become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def _write(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
