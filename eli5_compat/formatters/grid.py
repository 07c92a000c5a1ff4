"""Side-by-side pictures of several explanations: original, heatmap, overlay, one row each."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..base import Explanation
from .image import format_as_image

COLUMNS = ("original", "heatmap", "overlay")


def plot_explanations(
    explanations: Sequence[Explanation],
    *,
    row_titles: Optional[Sequence[str]] = None,
    heatmap_colormap: str = "viridis",
    cell_size: float = 2.5,
    **format_kwargs: Any,
) -> Figure:
    """One matplotlib Figure with a row per explanation: the original image, the heatmap and
    the overlay (``format_kwargs`` go to :func:`format_as_image`). Rows are titled with the
    target and score unless ``row_titles`` is given. Show it in a notebook by leaving it as a
    cell's last value (or ``display(fig)``); save it with ``fig.savefig(path)``.
    """
    if not explanations:
        raise ValueError("plot_explanations needs at least one explanation")
    if row_titles is not None and len(row_titles) != len(explanations):
        raise ValueError("row_titles has {} entries for {} explanations".format(len(row_titles), len(explanations)))
    figure = Figure(figsize=(cell_size * len(COLUMNS), cell_size * len(explanations)), layout="constrained")
    axes = figure.subplots(len(explanations), len(COLUMNS), squeeze=False)
    for row, expl in enumerate(explanations):
        if expl.image is None or not expl.targets:
            raise ValueError("explanation {} has no image or no target to draw (error: {!r})".format(row, expl.error))
        target = expl.targets[0]
        gray = expl.image.mode in ("L", "I", "F")
        axes[row][0].imshow(np.asarray(expl.image), cmap="gray" if gray else None)
        axes[row][1].imshow(target.heatmap, cmap=heatmap_colormap, vmin=0, vmax=1)
        axes[row][2].imshow(format_as_image(expl, **format_kwargs))
        title = row_titles[row] if row_titles is not None else "target {}, score {:.3g}".format(
            target.target, float(target.score))
        axes[row][0].set_ylabel(title)
        for column, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(COLUMNS[column])
    return figure
