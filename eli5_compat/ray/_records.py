"""Per-image record files (OUT/records/NAME.json): written by the actors, read by ``--resume``."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from .._explain_files import ExplainOptions, ImageResult, atomic_path

RECORD_DIR = "records"


def record_path(out_dir: Path, file: str) -> Path:
    """Where the records of image ``file`` are kept (named like its overlay)."""
    return Path(out_dir) / RECORD_DIR / (Path(file).stem + ".json")


def dump(row: ImageResult) -> str:
    """One row as JSON text (floats round-trip exactly)."""
    return json.dumps(asdict(row))


def load(text: str) -> ImageResult:
    """The row that :func:`dump` wrote."""
    return ImageResult(**json.loads(text))


def write_records(out_dir: Path, rows: Sequence[ImageResult]) -> None:
    """One record file per explained image (after its overlays and heatmaps exist); failed images get none."""
    by_file: Dict[str, List[ImageResult]] = {}
    for row in rows:
        if not row.error:
            by_file.setdefault(row.file, []).append(row)
    if by_file:
        (Path(out_dir) / RECORD_DIR).mkdir(parents=True, exist_ok=True)
    for file, group in by_file.items():
        with atomic_path(record_path(out_dir, file)) as temporary:
            temporary.write_text("[{}]\n".format(", ".join(dump(row) for row in group)), encoding="utf-8")


def finished(out_dir: Path, file: str, options: ExplainOptions) -> Optional[List[ImageResult]]:
    """The rows of an image a previous run finished with the same options, or None to explain it again.

    Finished: its record file names this image, has one row per explained class with this method,
    and the overlays (and heatmaps, with ``save_heatmaps``) it names exist.
    """
    try:
        rows = [ImageResult(**fields) for fields in json.loads(record_path(out_dir, file).read_text("utf-8"))]
    except (OSError, ValueError, TypeError):
        return None
    wanted = 1 if options.target is not None else options.top
    if len(rows) != wanted or any(r.file != file or r.method != options.method or r.error
                                  or (options.target is not None and r.target != options.target) for r in rows):
        return None
    for row in rows:
        if not row.overlay or not (Path(out_dir) / Path(row.overlay).name).is_file():
            return None
        if options.save_heatmaps and (not row.heatmap or not (Path(out_dir) / row.heatmap).is_file()):
            return None
    return rows
