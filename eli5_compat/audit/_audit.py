"""Scoring every record of a results folder against boxes or masks."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._records import Record, load_heatmap, locate, read_records
from .regions import Box, box_mask, boxes_for, read_boxes, read_mask, unmatched_boxes
from .scores import energy_share, pointing_hit, upsample


@dataclass
class ImageScore:
    """One record's scores: ``energy_share`` in [0, 1] and ``pointing_hit``."""

    file: str
    target: int
    rank: Optional[int]
    score: Optional[float]
    method: Optional[str]
    energy_share: float
    pointing_hit: bool
    image: str  # the picture used for the size and the report: the original, else the overlay
    overlay: Optional[str]
    heatmap: str
    boxes: List[Box] = field(default_factory=list)  # empty with masks

    def row(self) -> Dict[str, object]:
        """A flat dict for audit.json / audit_images.csv."""
        out = {k: v for k, v in self.__dict__.items() if k != "boxes"}
        out["boxes"] = len(self.boxes)
        return out


@dataclass
class Problem:
    """A record (or a box) that could not be scored, and why; ``kind`` is one of PROBLEM_KINDS."""

    file: str
    kind: str
    detail: str
    target: Optional[int] = None
    rank: Optional[int] = None


PROBLEM_KINDS = ("error record", "missing heatmap", "bad heatmap", "missing image", "no region", "empty heatmap",
                 "box without record")


@dataclass
class Audit:
    """Everything the audit found: scored images, problems, and how it was run."""

    results_dir: Path
    boxes_file: Optional[Path]
    mask_dir: Optional[Path]
    tolerance: float
    images: List[ImageScore]
    problems: List[Problem]

    @property
    def region_source(self) -> str:
        """Where the regions came from: 'boxes FILE' or 'masks DIR'."""
        return "boxes {}".format(self.boxes_file) if self.boxes_file else "masks {}".format(self.mask_dir)

    def problem_counts(self) -> Dict[str, int]:
        """Problems by kind (kinds without problems left out)."""
        counts: Dict[str, int] = {}
        for problem in self.problems:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
        return counts


def audit_results(results_dir: Path, boxes: Optional[Path] = None, masks: Optional[Path] = None,
                  tolerance: float = 0.0) -> Audit:
    """Score each record of ``results_dir`` against ``boxes`` (a CSV) or ``masks`` (a folder of PNGs).

    Records with errors, without heatmaps, images or regions become problems, not exceptions.
    Raises ValueError / FileNotFoundError for unusable arguments (both or neither of boxes and
    masks, a bad boxes file, a missing folder, no records).
    """
    results_dir = Path(results_dir)
    if (boxes is None) == (masks is None):
        raise ValueError("give exactly one of boxes (a CSV file) or masks (a folder of PNG masks)")
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0 pixels, got {}".format(tolerance))
    if masks is not None and not Path(masks).is_dir():
        raise FileNotFoundError("no mask folder at {}".format(masks))
    records = read_records(results_dir)
    files = sorted({str(r["file"]) for r in records})
    all_boxes = read_boxes(Path(boxes)) if boxes is not None else {}
    matched = boxes_for(all_boxes, files)
    audit = Audit(results_dir, None if boxes is None else Path(boxes), None if masks is None else Path(masks),
                  float(tolerance), [], [])
    audit.problems.extend(Problem(key, "box without record", "boxes.csv names an image that is not in the results")
                          for key in unmatched_boxes(all_boxes, files))
    for record in records:
        scored = _score(record, results_dir, matched, masks, tolerance)
        (audit.images if isinstance(scored, ImageScore) else audit.problems).append(scored)
    return audit


def _score(record: Record, results_dir: Path, boxes: Dict[str, List[Box]], masks: Optional[Path],
           tolerance: float) -> "ImageScore | Problem":
    file, target, rank = str(record["file"]), record.get("target"), record.get("rank")

    def problem(kind: str, detail: str) -> Problem:
        return Problem(file, kind, detail, None if target is None else int(target), rank)

    if record.get("error") or target is None:
        return problem("error record", str(record.get("error") or "no target in the record"))
    try:
        heatmap = load_heatmap(record, results_dir)
    except LookupError as exc:
        return problem("missing heatmap", str(exc))
    except ValueError as exc:
        return problem("bad heatmap", str(exc))
    found = _picture(record, results_dir)
    if isinstance(found, str):
        return problem("missing image", found)
    picture, size = found
    chosen = [b for b in boxes.get(file, []) if b.label is None or b.label == int(target)]
    if masks is not None:
        try:
            region = read_mask(Path(masks), file, size)
        except LookupError as exc:
            return problem("no region", str(exc))
    elif not chosen:
        return problem("no region", "no box for this image{}".format(
            " and class {}".format(int(target)) if boxes.get(file) else ""))
    else:
        region = box_mask(chosen, size)
    full = upsample(heatmap, size)
    share = energy_share(full, region)
    if np.isnan(share):
        return problem("empty heatmap", "the heatmap is zero everywhere: no energy, no peak")
    overlay = locate(record.get("overlay"), results_dir)
    return ImageScore(file, int(target), rank, _float(record.get("score")), record.get("method"), share,
                      pointing_hit(full, region, tolerance), str(picture), str(overlay) if overlay else None,
                      str(record["heatmap"]), chosen if masks is None else [])


def _picture(record: Record, results_dir: Path) -> "Tuple[Path, Tuple[int, int]] | str":
    """The original image (else the overlay, which has its size) and its (width, height)."""
    for stored in (record.get("file"), record.get("overlay")):
        path = locate(stored, results_dir)
        if path is None:
            continue
        try:
            with Image.open(path) as opened:
                return path, opened.size
        except (UnidentifiedImageError, OSError):
            continue
    return "neither the image {} nor its overlay {} can be opened (needed for the image's size)".format(
        record.get("file"), record.get("overlay"))


def _float(value: object) -> Optional[float]:
    return None if value is None else float(value)  # type: ignore[arg-type]
