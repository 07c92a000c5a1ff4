"""Reading an ``eli5-compat explain`` results folder: its records and the files they point to."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

Record = Dict[str, Any]


def read_records(results_dir: Path) -> List[Record]:
    """The records of ``results_dir/results.json``, else of ``results.parquet`` (needs pyarrow).

    Raises FileNotFoundError when the folder holds neither, ValueError when the file is not a
    list of records with a ``file`` field, ImportError when only Parquet is there and pyarrow is not.
    """
    json_path, parquet_path = results_dir / "results.json", results_dir / "results.parquet"
    if json_path.is_file():
        try:
            records = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError("{} is not valid JSON ({}); re-run eli5-compat explain".format(json_path, exc)) from None
        source = json_path
    elif parquet_path.is_file():
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("{} needs pyarrow to be read: pip install pyarrow (or keep results.json "
                              "next to it)".format(parquet_path)) from None
        records = pq.read_table(parquet_path).to_pylist()
        source = parquet_path
    else:
        raise FileNotFoundError("no results.json or results.parquet in {}: give the folder that "
                                "eli5-compat explain -o wrote".format(results_dir))
    if not isinstance(records, list) or not all(isinstance(r, dict) and r.get("file") for r in records):
        raise ValueError("{} must hold a list of records, each with a 'file' field (as eli5-compat explain "
                         "writes)".format(source))
    return records


def locate(path: Optional[str], results_dir: Path) -> Optional[Path]:
    """An existing file for a path stored in a record: as given, inside ``results_dir``, or by name there."""
    if not path:
        return None
    given = Path(path)
    for candidate in (given, results_dir / given, results_dir / given.name):
        if candidate.is_file():
            return candidate
    return None


def load_heatmap(record: Record, results_dir: Path) -> np.ndarray:
    """The record's saved heatmap (``heatmap``: a .npy path relative to the results folder) as float64.

    Raises LookupError when there is none (not saved, file gone), ValueError when the file is not
    a finite, non-negative 2-D map.
    """
    stored = record.get("heatmap")
    if not stored:
        raise LookupError("no heatmap saved (run eli5-compat explain with --save-heatmaps)")
    path = Path(stored) if Path(stored).is_absolute() else results_dir / stored
    if not path.is_file():
        raise LookupError("heatmap file {} is missing".format(path))
    try:
        heatmap = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError("heatmap file {} cannot be read ({})".format(path, exc)) from None
    if heatmap.ndim != 2 or heatmap.size == 0 or not np.all(np.isfinite(heatmap)) or heatmap.min() < 0:
        raise ValueError("heatmap file {} is not a finite, non-negative 2-D map (shape {})".format(path, heatmap.shape))
    return heatmap.astype(np.float64)
