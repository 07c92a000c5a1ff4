"""Turn an image explanation into a picture: colour the heatmap, resize it, blend it over the image."""
from __future__ import annotations

from typing import Callable, Optional, Union

import matplotlib
import numpy as np
from PIL import Image

from ..base import Explanation

Colormap = Callable[[np.ndarray], np.ndarray]

_DEFAULT_COLORMAP: Colormap = matplotlib.colormaps["viridis"]


def format_as_image(
    expl: Explanation,
    resampling_filter: Union[int, Image.Resampling, None] = Image.LANCZOS,
    colormap: Colormap = _DEFAULT_COLORMAP,
    alpha_limit: Optional[Union[float, int]] = 0.65,
) -> Image.Image:
    """Overlay the explanation's heatmap on its image and return an RGBA PIL image.

    The heatmap is coloured with ``colormap`` (a matplotlib colormap or any callable
    mapping a 2-D array in [0, 1] to RGBA in [0, 1]); its alpha follows the heatmap
    values, capped at ``alpha_limit`` (``None``: no cap). It is then resized to the
    image with ``resampling_filter`` and alpha-composited over the image. An
    explanation without targets gives the image alone.

    Raises TypeError for a non-PIL ``expl.image``, a non-array heatmap or a
    non-number ``alpha_limit``; ValueError for heatmap values outside [0, 1] or
    ``alpha_limit`` outside [0, 1].
    """
    image = expl.image
    if not isinstance(image, Image.Image):
        raise TypeError(
            "Explanation image must be a PIL.Image.Image instance. Got: {}".format(image)
        )
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    if not expl.targets:
        return image
    if len(expl.targets) != 1:
        raise AssertionError(
            "format_as_image draws one target; this explanation has {}".format(len(expl.targets))
        )
    heatvals = expl.targets[0].heatmap
    _validate_heatmap(heatvals)
    coloured = np.asarray(colormap(heatvals))
    coloured[:, :, 3] = _cap_alpha(heatvals, alpha_limit)
    overlay = expand_heatmap(coloured, image, resampling_filter=resampling_filter)
    return Image.alpha_composite(image, overlay)


def heatmap_to_image(heatmap: np.ndarray) -> Image.Image:
    """Convert a [0, 1] float array to a PIL image: rank 2 gives mode L, rank 3 RGB or RGBA.

    Values are scaled by 255 and truncated to uint8. Raises TypeError for a
    non-array, ValueError for values outside [0, 1], another rank or channel count.
    """
    _validate_heatmap(heatmap)
    rank = len(heatmap.shape)
    if rank == 2:
        mode = "L"
    elif rank == 3:
        channels = heatmap.shape[2]
        modes = {4: "RGBA", 3: "RGB"}
        if channels not in modes:
            raise ValueError(
                "Rank 3 heatmap must have 4 channels (RGBA), or 3 channels (RGB). "
                "Got shape with {} channels".format(channels)
            )
        mode = modes[channels]
    else:
        raise ValueError(
            "heatmap must have rank 2 (L, grayscale) or rank 3 (RGBA, colored). Got: %d" % rank
        )
    return Image.fromarray((heatmap * 255).astype("uint8"), mode=mode)


def expand_heatmap(
    heatmap: np.ndarray,
    image: Image.Image,
    resampling_filter: Union[int, Image.Resampling, None] = Image.LANCZOS,
) -> Image.Image:
    """Convert ``heatmap`` to a PIL image the size of ``image``, resized with ``resampling_filter``.

    Raises TypeError if ``image`` is not a PIL image.
    """
    if not isinstance(image, Image.Image):
        raise TypeError("image must be a PIL.Image.Image instance. Got: {}".format(image))
    as_image = heatmap_to_image(heatmap)
    return as_image.resize((image.width, image.height), resample=resampling_filter)


def _validate_heatmap(heatmap: object) -> None:
    if not isinstance(heatmap, np.ndarray):
        raise TypeError("heatmap must be a numpy.ndarray instance. Got: {}".format(heatmap))
    lowest, highest = np.min(heatmap), np.max(heatmap)
    if not (0 <= lowest and highest <= 1):
        raise ValueError(
            "heatmap must contain float values between 0 and 1 inclusive. "
            "Got array with minimum: {} and maximum: {}".format(lowest, highest)
        )


def _cap_alpha(alpha: np.ndarray, alpha_limit: object) -> np.ndarray:
    # The two odd spacings below are eli5 0.11's own messages; users match on them.
    if alpha_limit is None:
        return alpha
    if not isinstance(alpha_limit, (float, int)):
        raise TypeError("alpha_limit must be int or float,got: {}".format(alpha_limit))
    if not 0 <= alpha_limit <= 1:
        raise ValueError("alpha_limit must bebetween 0 and 1 inclusive, got: %f" % alpha_limit)
    return np.minimum(alpha, alpha_limit)
