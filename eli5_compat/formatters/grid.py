"""Side-by-side pictures of several explanations: one row per image, with either the original,
heatmap and overlay of one explanation, or the original and one overlay per CAM method."""
from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..base import Explanation
from .image import format_as_image

COLUMNS = ("original", "heatmap", "overlay")

Explanations = Union[Sequence[Explanation], Mapping[str, Sequence[Explanation]]]


def plot_explanations(
    explanations: Explanations,
    *,
    row_titles: Optional[Sequence[str]] = None,
    heatmap_colormap: str = "viridis",
    cell_size: float = 2.5,
    **format_kwargs: Any,
) -> Figure:
    """One matplotlib Figure with a row per image.

    ``explanations`` is either a sequence (one explanation per image: columns original,
    heatmap, overlay) or a mapping from a column title (e.g. the method) to one explanation
    per image, all of the same images (columns: the original, then one overlay per entry;
    see ``explain_predictions(..., method=...)``). ``format_kwargs`` go to
    :func:`format_as_image`. Rows are titled with the target and score unless ``row_titles``
    is given. Show it in a notebook by leaving it as a cell's last value (or ``display(fig)``);
    save it with ``fig.savefig(path)``.
    """
    columns, rows = _layout(explanations)
    if row_titles is not None and len(row_titles) != len(rows):
        raise ValueError("row_titles has {} entries for {} rows".format(len(row_titles), len(rows)))
    figure = Figure(figsize=(cell_size * len(columns), cell_size * len(rows)), layout="constrained")
    axes = figure.subplots(len(rows), len(columns), squeeze=False)
    for row, cells in enumerate(rows):
        first = cells[0]
        target = first.targets[0]
        _show_original(axes[row][0], first)
        if len(cells) == 1:
            axes[row][1].imshow(target.heatmap, cmap=heatmap_colormap, vmin=0, vmax=1)
            axes[row][2].imshow(format_as_image(first, **format_kwargs))
        else:
            for column, expl in enumerate(cells, start=1):
                axes[row][column].imshow(format_as_image(expl, **format_kwargs))
        title = row_titles[row] if row_titles is not None else "target {}, score {:.3g}".format(
            target.target, float(target.score))
        axes[row][0].set_ylabel(title)
        for column, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(columns[column])
    return figure


def _layout(explanations: Explanations) -> Tuple[Tuple[str, ...], List[List[Explanation]]]:
    """The column titles and, per row, the explanations drawn in it."""
    if isinstance(explanations, Mapping):
        titles = tuple(str(t) for t in explanations)
        per_column = [list(v) for v in explanations.values()]
        if not per_column or not per_column[0]:
            raise ValueError("plot_explanations needs at least one method with one explanation")
        counts = {len(c) for c in per_column}
        if len(counts) != 1:
            raise ValueError("every method needs one explanation per image; got {} for {}".format(
                [len(c) for c in per_column], list(titles)))
        rows = [list(cells) for cells in zip(*per_column)]
        columns: Tuple[str, ...] = ("original",) + titles
    else:
        rows = [[expl] for expl in explanations]
        if not rows:
            raise ValueError("plot_explanations needs at least one explanation")
        columns = COLUMNS
    for number, cells in enumerate(rows):
        for expl in cells:
            if expl.image is None or not expl.targets:
                raise ValueError("explanation {} has no image or no target to draw (error: {!r})".format(
                    number, expl.error))
    return columns, rows


def _show_original(ax: Axes, expl: Explanation) -> None:
    gray = expl.image.mode in ("L", "I", "F")
    ax.imshow(np.asarray(expl.image), cmap="gray" if gray else None)
