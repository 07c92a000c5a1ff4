"""``compare_methods``: every CAM method scored by every faithfulness metric on the same images."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence

import numpy as np

from ..cam import METHOD_NAMES, get_method
from ..cam._template import positive_int
from .confidence import average_drop, increase_in_confidence
from .curves import deletion, insertion

# name -> (function, True when higher is better)
METRICS: Dict[str, "tuple[Callable[..., np.ndarray], bool]"] = {
    "deletion": (deletion, False),
    "insertion": (insertion, True),
    "average_drop": (average_drop, False),
    "increase": (increase_in_confidence, True),
}


@dataclass
class MethodComparison:
    """Methods x metrics: ``mean[method][metric]``, ``std[...]`` over images, ``per_image[...]`` (N,)."""

    methods: List[str]
    metrics: List[str]
    per_image: Dict[str, Dict[str, np.ndarray]] = field(repr=False)

    @property
    def mean(self) -> Dict[str, Dict[str, float]]:
        return {m: {k: float(np.mean(v)) for k, v in row.items()} for m, row in self.per_image.items()}

    @property
    def std(self) -> Dict[str, Dict[str, float]]:
        return {m: {k: float(np.std(v)) for k, v in row.items()} for m, row in self.per_image.items()}

    def as_dict(self) -> Dict[str, Dict[str, Dict[str, float]]]:
        """{method: {metric: {"mean": ..., "std": ...}}}."""
        mean, std = self.mean, self.std
        return {m: {k: {"mean": mean[m][k], "std": std[m][k]} for k in self.metrics} for m in self.methods}

    def to_markdown(self, digits: int = 3) -> str:
        """A markdown table, "mean ± std" per cell; the header says which direction is better."""
        header = ["method"] + ["{} ({})".format(k, "higher is better" if METRICS[k][1] else "lower is better")
                               for k in self.metrics]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        mean, std = self.mean, self.std
        for m in self.methods:
            cells = ["{:.{d}f} ± {:.{d}f}".format(mean[m][k], std[m][k], d=digits) for k in self.metrics]
            lines.append("| " + " | ".join([m] + cells) + " |")
        return "\n".join(lines)

    def to_pandas(self) -> Any:
        """A pandas DataFrame (methods x (metric, mean/std)); needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("MethodComparison.to_pandas needs pandas: pip install pandas "
                              "(or use as_dict() / to_markdown())") from None

        rows = {m: {(k, s): v for k, d in row.items() for s, v in d.items()} for m, row in self.as_dict().items()}
        return pd.DataFrame.from_dict(rows, orient="index")

    def __str__(self) -> str:
        return self.to_markdown()


def compare_methods(model: Any, images: Any, methods: Sequence[str] = METHOD_NAMES,
                    metrics: Sequence[str] = tuple(METRICS), targets: Any = None, layer: Any = None,
                    output: Any = None, batch_size: int = 64, steps: int = 50) -> MethodComparison:
    """Explain ``images`` with each method and score every explanation with each metric.

    ``targets``: None (each image's top class) or one class per image; ``layer``, ``output``:
    as for ``explain_predictions``; ``steps``: deletion/insertion steps.
    """
    from ..keras import explain_predictions

    methods = [get_method(m).name for m in methods]
    if not methods:
        raise ValueError("methods is empty: give at least one of {}".format(", ".join(METHOD_NAMES)))
    unknown = [k for k in metrics if k not in METRICS]
    if unknown or not metrics:
        raise ValueError("unknown metric(s) {}: choose among {}".format(unknown, ", ".join(METRICS)))
    positive_int("steps", steps)  # before the explanations, which take the time
    positive_int("batch_size", batch_size)
    per_image: Dict[str, Dict[str, np.ndarray]] = {}
    for method in methods:
        explanations = explain_predictions(model, images, targets=targets, layer=layer, batch_size=batch_size,
                                           output=output, method=method, progress=False)
        row = {}
        for name in metrics:
            function = METRICS[name][0]
            extra = {"steps": steps} if name in ("deletion", "insertion") else {}
            row[name] = function(model, images, explanations, output=output, batch_size=batch_size, **extra)
        per_image[method] = row
    return MethodComparison(methods, list(metrics), per_image)
