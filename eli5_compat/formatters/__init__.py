"""Formatters: turning explanations into things people look at."""
from .grid import plot_explanations
from .image import expand_heatmap, format_as_image, heatmap_to_image

__all__ = ["format_as_image", "heatmap_to_image", "expand_heatmap", "plot_explanations"]
