"""Auditing where the model looks: heatmaps saved by ``eli5-compat explain --save-heatmaps``
scored against object boxes or masks (energy-based pointing game and pointing game), per image
and per class, with a summary table and a self-contained HTML report."""
from ._audit import Audit, ImageScore, Problem, audit_results
from .regions import Box, box_mask, read_boxes, read_mask
from .report import summary_figure, write_report
from .scores import energy_share, pointing_hit, upsample
from .tables import summarize, write_tables

__all__ = ["Audit", "Box", "ImageScore", "Problem", "audit_results", "box_mask", "energy_share", "pointing_hit",
           "read_boxes", "read_mask", "summarize", "summary_figure", "upsample", "write_report", "write_tables"]
