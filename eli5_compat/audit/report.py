"""The self-contained HTML report: summary table, per-class distributions, worst images, problems.

Every picture is an inline base64 PNG; the page links to nothing outside itself.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from .._explain_files import atomic_path
from ..base import Explanation, TargetExplanation
from ..formatters.image import format_as_image
from ._audit import Audit, ImageScore
from .regions import read_mask
from .tables import SUMMARY_COLUMNS, summarize

_MIN_SIDE = 192  # small images are enlarged (nearest neighbour) so the box stays visible
_MAX_HISTOGRAMS = 20
_MAX_PROBLEMS = 500  # rows in the page's problem list (audit.json has every one)


def worst(audit: Audit, count: int) -> List[ImageScore]:
    """The ``count`` scored records with the lowest energy share (pointing misses first on ties)."""
    return sorted(audit.images, key=lambda i: (i.energy_share, i.pointing_hit, i.file))[:max(count, 0)]


def summary_figure(audit: Audit) -> Figure:
    """Energy share per class (box plot with the images as dots) and pointing accuracy per class."""
    classes = sorted({i.target for i in audit.images})
    figure = Figure(figsize=(max(6.0, 0.6 * len(classes) + 3), 3.6), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[3, 2])
    shares = [[i.energy_share for i in audit.images if i.target == c] for c in classes]
    if classes:
        left.boxplot(shares, showfliers=False)
        rng = np.random.default_rng(0)
        for k, values in enumerate(shares, start=1):
            left.plot(k + rng.uniform(-0.15, 0.15, len(values)), values, ".", color="tab:blue", alpha=0.4, ms=3)
        left.set_xticks(range(1, len(classes) + 1), [str(c) for c in classes])
        accuracy = [np.mean([i.pointing_hit for i in audit.images if i.target == c]) for c in classes]
        right.bar([str(c) for c in classes], accuracy, color="tab:orange")
    left.set(ylim=(-0.03, 1.03), xlabel="class (target)", ylabel="energy share inside the region",
             title="Energy-based pointing game")
    right.set(ylim=(0, 1.03), xlabel="class (target)", ylabel="share of peaks inside", title="Pointing game")
    return figure


def histograms_figure(audit: Audit) -> Optional[Figure]:
    """One histogram of energy shares per class (None with no scores or too many classes)."""
    classes = sorted({i.target for i in audit.images})
    if not classes or len(classes) > _MAX_HISTOGRAMS:
        return None
    columns = min(5, len(classes))
    rows = -(-len(classes) // columns)
    figure = Figure(figsize=(2.4 * columns, 1.9 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, sharex=True, squeeze=False)).ravel()
    for ax, c in zip(axes, classes):
        ax.hist([i.energy_share for i in audit.images if i.target == c], bins=np.linspace(0, 1, 11), color="tab:blue")
        ax.set_title("class {}".format(c), fontsize=9)
    for ax in axes[len(classes):]:
        ax.set_visible(False)
    figure.supxlabel("energy share inside the region", fontsize=9)
    return figure


def picture(audit: Audit, image: ImageScore) -> Image.Image:
    """The overlay (made from the heatmap when the record has none) with the region outlined in red."""
    with Image.open(image.overlay or image.image) as opened:
        base = opened.convert("RGBA")
    if not image.overlay:
        heatmap = np.clip(np.load(audit.results_dir / image.heatmap), 0, 1)
        shown = Explanation("", image=base, targets=[TargetExplanation(image.target, heatmap=heatmap)])
        base = format_as_image(shown, resampling_filter=Image.BILINEAR)
    scale = max(1, -(-_MIN_SIDE // max(base.size)))
    shown = base.resize((base.width * scale, base.height * scale), Image.NEAREST)
    draw = ImageDraw.Draw(shown)
    for box in image.boxes:
        draw.rectangle([box.x0 * scale, box.y0 * scale, box.x1 * scale - 1, box.y1 * scale - 1],
                       outline=(255, 0, 0, 255), width=2)
    if audit.mask_dir is not None:
        region = read_mask(audit.mask_dir, image.file, base.size)
        edge = region & ~_eroded(region)
        red = np.asarray(shown).copy()
        red[np.kron(edge, np.ones((scale, scale), dtype=bool))] = (255, 0, 0, 255)
        shown = Image.fromarray(red)
    return shown


def write_report(audit: Audit, path: Path, worst_count: int = 12) -> Path:
    """Write the HTML report to ``path`` (atomically) and return it."""
    summary = summarize(audit)
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Grad-CAM audit</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td.l,th.l{text-align:left}"
             ".cards{display:flex;flex-wrap:wrap;gap:1em}.card{width:210px;font-size:.85em}"
             ".card img{max-width:100%;image-rendering:pixelated}</style></head><body>",
             "<h1>Where does the model look?</h1>",
             "<p>Results: <code>{}</code>; regions: <code>{}</code>; pointing-game tolerance {:g} px. {} record(s) "
             "scored, {} not scored (see Problems).</p>".format(
                 _e(audit.results_dir), _e(audit.region_source), audit.tolerance, len(audit.images), len(audit.problems)),
             "<p><b>Energy share</b>: the share of the heatmap's mass (upsampled bilinearly to the image) inside "
             "the boxes or mask (energy-based pointing game, Wang et al. 2020). <b>Pointing accuracy</b>: the share "
             "of images whose heatmap peak lies inside (pointing game, Zhang et al. 2016; with ties, every "
             "pixel at the maximum must be inside).</p>",
             "<h2>Summary per class</h2>", _table(summary, SUMMARY_COLUMNS),
             "<h2>Distributions</h2>", _img(summary_figure(audit), "energy share and pointing accuracy per class")]
    histograms = histograms_figure(audit)
    if histograms is not None:
        parts.append(_img(histograms, "histograms of the energy share per class"))
    chosen = worst(audit, worst_count)
    parts.append("<h2>Worst {} image(s) (lowest energy share)</h2><div class='cards'>".format(len(chosen)))
    for image in chosen:
        parts.append("<div class='card'>{}<br><code>{}</code><br>class {}, score {}<br>energy share {:.3f}, "
                     "peak {}</div>".format(_img(picture(audit, image), image.file), _e(image.file), image.target,
                                            "-" if image.score is None else "{:.3g}".format(image.score),
                                            image.energy_share, "inside" if image.pointing_hit else "outside"))
    parts.append("</div><h2>Problems ({})</h2>".format(len(audit.problems)))
    counts = audit.problem_counts()
    if counts:
        parts.append(_table([{"kind": k, "count": v} for k, v in counts.items()], ("kind", "count")))
        listed = audit.problems[:_MAX_PROBLEMS]
        parts.append(_table([p.__dict__ for p in listed], ("file", "target", "rank", "kind", "detail")))
        if len(listed) < len(audit.problems):
            parts.append("<p>The first {} of {} are listed here; audit.json lists them all.</p>".format(
                len(listed), len(audit.problems)))
    else:
        parts.append("<p>None: every record was scored.</p>")
    parts.append("</body></html>\n")
    with atomic_path(path) as temporary:
        temporary.write_text("\n".join(parts), encoding="utf-8")
    return path


def _eroded(region: np.ndarray) -> np.ndarray:
    padded = np.pad(region, 1, constant_values=False)
    return (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])


def _img(content: "Figure | Image.Image", alt: str) -> str:
    buffer = io.BytesIO()
    if isinstance(content, Figure):
        content.savefig(buffer, format="png", dpi=90)
    else:
        content.save(buffer, format="PNG")
    return "<img alt='{}' src='data:image/png;base64,{}'>".format(_e(alt), base64.b64encode(buffer.getvalue()).decode())


def _table(rows: Sequence[Dict[str, object]], columns: Sequence[str]) -> str:
    head = "".join("<th class='l'>{}</th>".format(_e(c)) if c in ("file", "kind", "detail", "class") else
                   "<th>{}</th>".format(_e(c)) for c in columns)
    body = "".join("<tr>{}</tr>".format("".join(_cell(c, row.get(c)) for c in columns)) for row in rows)
    return "<table><tr>{}</tr>{}</table>".format(head, body)


def _cell(column: str, value: object) -> str:
    text = "{:.3f}".format(value) if isinstance(value, float) else ("" if value is None else str(value))
    css = " class='l'" if column in ("file", "kind", "detail", "class") else ""
    return "<td{}>{}</td>".format(css, _e(text))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)
