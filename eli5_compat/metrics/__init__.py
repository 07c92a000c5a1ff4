"""How faithful is a heatmap to the model? Faithfulness metrics, batched, for any CAM method.

- :func:`deletion` / :func:`insertion`: RISE's area under the probability curve as the most
  salient pixels are removed / inserted (lower / higher is better);
- :func:`average_drop` / :func:`increase_in_confidence`: Grad-CAM++'s confidence of the image
  multiplied by its heatmap (lower / higher is better);
- :func:`compare_methods`: a methods-by-metrics table (mean and spread over the images).

Each metric takes ``(model, images, heatmaps, targets=None)``: ``heatmaps`` an array
(N, rows, cols) or the explanations themselves (then their targets are used), and returns one
value per image. Scores are the target's softmax probability.
"""
from .compare import METRICS, MethodComparison, compare_methods
from .confidence import average_drop, increase_in_confidence
from .curves import deletion, gaussian_blur, insertion

__all__ = ["deletion", "insertion", "average_drop", "increase_in_confidence", "compare_methods",
           "MethodComparison", "METRICS", "gaussian_blur"]
