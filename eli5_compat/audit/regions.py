"""Where the object is: boxes from a CSV file or masks from PNG files, as boolean masks at the image's size.

boxes.csv has a header and the columns ``file, x0, y0, x1, y1`` (and optionally ``label``), one
box per line; an image may have several lines. Coordinates are in the original image's pixels,
x to the right and y down, from the top-left corner of the image: pixel (row r, column c) is
inside when its centre (c + 0.5, r + 0.5) lies in [x0, x1] x [y0, y1], so integer coordinates
cover columns x0 .. x1 - 1 and rows y0 .. y1 - 1. Parts outside the image are ignored. ``file``
is the image's path as in results.json, or its bare file name. ``label``, when given, is a class
index: the box counts only for records explaining that class; empty means any class.

A mask is a PNG named like the image (same stem) in the mask folder, the image's size; nonzero
pixels are the object.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

_COLUMNS = ("file", "x0", "y0", "x1", "y1")


@dataclass(frozen=True)
class Box:
    """One object box in image pixels (see the module docstring for the convention)."""

    x0: float
    y0: float
    x1: float
    y1: float
    label: Optional[int] = None


def read_boxes(path: Path) -> Dict[str, List[Box]]:
    """Boxes by the ``file`` column of ``path``; ValueError names the line and the fix for bad rows."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError("{} lacks the column(s) {}: its header must name file, x0, y0, x1, y1 "
                                 "(and optionally label)".format(path, ", ".join(missing)))
            boxes: Dict[str, List[Box]] = {}
            for line, row in enumerate(reader, start=2):
                boxes.setdefault(row["file"].strip(), []).append(_box(row, path, line))
    except FileNotFoundError:
        raise FileNotFoundError("no boxes file at {}".format(path)) from None
    return boxes


def _box(row: Dict[str, str], path: Path, line: int) -> Box:
    where = "{} line {}".format(path, line)
    if not (row.get("file") or "").strip():
        raise ValueError("{}: the file column is empty".format(where))
    try:
        x0, y0, x1, y1 = (float(row[c]) for c in _COLUMNS[1:])
    except (TypeError, ValueError):
        raise ValueError("{}: x0, y0, x1, y1 must be numbers, got {}".format(
            where, [row.get(c) for c in _COLUMNS[1:]])) from None
    if not all(np.isfinite([x0, y0, x1, y1])) or x1 <= x0 or y1 <= y0:
        raise ValueError("{}: a box needs x0 < x1 and y0 < y1 (pixels from the top-left corner), got "
                         "{}, {}, {}, {}".format(where, x0, y0, x1, y1))
    label = (row.get("label") or "").strip()
    if label and not label.lstrip("-").isdigit():
        raise ValueError("{}: label must be a class index (the records' target) or empty, got {!r}".format(
            where, label))
    return Box(x0, y0, x1, y1, int(label) if label else None)


def boxes_for(boxes: Dict[str, List[Box]], files: Sequence[str]) -> Dict[str, List[Box]]:
    """The boxes of each record file: by the same path, or by file name for a bare name in boxes.csv.

    Raises ValueError when a bare name fits several different files (give the path instead).
    """
    by_path = {os.path.normpath(f): f for f in files}
    by_name: Dict[str, List[str]] = {}
    for f in by_path.values():
        by_name.setdefault(Path(f).name, []).append(f)
    found: Dict[str, List[Box]] = {}
    for key, some in boxes.items():
        if os.path.normpath(key) in by_path:
            matches = [by_path[os.path.normpath(key)]]
        elif os.sep not in key and "/" not in key:
            matches = by_name.get(key, [])
            if len(matches) > 1:
                raise ValueError("boxes name {!r} without a folder, but the results hold several files of that "
                                 "name ({}): write the path as in results.json".format(key, ", ".join(matches)))
        else:
            matches = []
        for f in matches:
            found.setdefault(f, []).extend(some)
    return found


def unmatched_boxes(boxes: Dict[str, List[Box]], files: Sequence[str]) -> List[str]:
    """The boxes file's image names that fit no record."""
    matched = boxes_for(boxes, files)
    wanted = {os.path.normpath(f) for f in matched} | {Path(f).name for f in matched}
    return [key for key in boxes if os.path.normpath(key) not in wanted]


def box_mask(boxes: Sequence[Box], size: Tuple[int, int]) -> np.ndarray:
    """The union of ``boxes`` as a boolean (height, width) mask; ``size`` is (width, height)."""
    width, height = size
    cols, rows = np.arange(width) + 0.5, np.arange(height) + 0.5
    mask = np.zeros((height, width), dtype=bool)
    for box in boxes:
        mask |= ((rows >= box.y0) & (rows <= box.y1))[:, None] & ((cols >= box.x0) & (cols <= box.x1))[None, :]
    return mask


def read_mask(mask_dir: Path, image_file: str, size: Tuple[int, int]) -> np.ndarray:
    """MASK_DIR/<image stem>.png as a boolean mask (nonzero = object); LookupError when absent or mismatched."""
    path = mask_dir / (Path(image_file).stem + ".png")
    if not path.is_file():
        raise LookupError("no mask {}".format(path))
    try:
        with Image.open(path) as opened:
            mask = np.asarray(opened)
    except (UnidentifiedImageError, OSError) as exc:
        raise LookupError("mask {} cannot be read ({})".format(path, exc)) from None
    if mask.ndim == 3:
        mask = mask.any(axis=2) if mask.shape[2] < 4 else mask[..., :3].any(axis=2)
    if (mask.shape[1], mask.shape[0]) != tuple(size):
        raise LookupError("mask {} is {}x{} but the image is {}x{}".format(
            path, mask.shape[1], mask.shape[0], size[0], size[1]))
    return mask != 0
