"""Score-CAM (gradient-free), with Faster Score-CAM's channel selection.

Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
Networks", CVPR Workshops 2020, https://arxiv.org/abs/1910.01279.

Each channel's activation map is upsampled (bilinear, corners aligned, as tf-keras-vis does
with ``scipy.ndimage.zoom(order=1)``) to the image's size and min-max
normalised to [0, 1]; the image multiplied by it is scored by the model, and that score is the
channel's weight: map = ReLU(sum_c w_c A_c). Open choices, as tf-keras-vis 0.8.7 makes them:
the score is the target's softmax probability (the output itself when it ends in a softmax or
a sigmoid, else the softmax of the output), the masked image's baseline is zero (no baseline
score is subtracted) and no softmax is taken across channels. A constant channel masks the
image to zeros (its score is computed once per image; an all-zero channel adds nothing to the
map, so it is not scored at all). Only the image input is masked; other inputs of a
multi-input model are kept.

``max_channels`` keeps, per image, the channels whose activations have the largest spatial
standard deviation (the "Faster Score-CAM" of tf-keras-vis); the others get weight zero.
The masked images go through the model ``batch_size`` at a time; the next batch of them is
built while the model scores the current one.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Callable, Iterator, List, Tuple

import numpy as np

from ._resize import resize_maps
from ._template import CamBatch, CamMethod, channel_weighted_sum, with_image_variants


class ScoreCam(CamMethod):
    name = "scorecam"
    label = "Score-CAM"
    needs_gradients = False

    def raw_maps(self, batch: CamBatch) -> np.ndarray:
        activations = batch.activations
        weights = np.zeros((activations.shape[0], activations.shape[-1]), dtype=np.float64)
        for image, channels, scores in _masked_scores(batch):
            weights[image, channels] = scores
        return channel_weighted_sum(weights, activations)


def _selected_channels(activations: np.ndarray, max_channels: int) -> np.ndarray:
    if max_channels is None or max_channels >= activations.shape[-1]:
        return np.arange(activations.shape[-1])
    spread = activations.reshape(-1, activations.shape[-1]).astype(np.float64).std(axis=0)
    return np.sort(np.argsort(-spread, kind="stable")[:max_channels])


def _masked_scores(batch: CamBatch) -> Iterator[Tuple[int, np.ndarray, np.ndarray]]:
    """(image, channels, scores) for every chunk of at most ``batch_size`` masked images.

    The next chunk's masked images are built on a worker thread while the model scores this
    one (both release the GIL for their heavy work)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eli5-compat-scorecam") as pool:
        pending = None
        for job in _jobs(batch):
            ready = pool.submit(job[2])
            if pending is not None:
                yield _scored(batch, pending)
            pending = (job[0], job[1], ready)
        if pending is not None:
            yield _scored(batch, pending)


def _scored(batch: CamBatch, job: Tuple[int, np.ndarray, Future]) -> Tuple[int, np.ndarray, np.ndarray]:
    n, channels, ready = job
    inputs = ready.result()
    targets = np.full(len(inputs[0]), batch.targets[n], dtype=np.int64)
    scores = np.asarray(batch.probabilities(inputs, targets), dtype=np.float64)
    return n, channels, np.broadcast_to(scores, channels.shape)


def _jobs(batch: CamBatch) -> Iterator[Tuple[int, np.ndarray, Callable[[], List[np.ndarray]]]]:
    """(image, channels, build its masked inputs) per chunk; one masked image serves a whole chunk
    of constant channels."""
    image_input = batch.inputs[batch.image_index]
    size = tuple(image_input.shape[1:batch.activations.ndim - 1])
    for n in range(len(image_input)):
        activations = batch.activations[n]
        channels = _selected_channels(activations, batch.max_channels)
        flat = activations.reshape(-1, activations.shape[-1])[:, channels]
        constant = flat.min(axis=0) == flat.max(axis=0)
        if constant.any():
            # A constant channel's mask is zero everywhere: one forward pass serves them all,
            # and an all-zero channel is not scored (its map is zero whatever its weight).
            nonzero = constant & (flat.max(axis=0) != 0)
            if nonzero.any():
                yield n, channels[nonzero], partial(_masked_inputs, batch.inputs, batch.image_index, n,
                                                    np.zeros((1,) + size))
            channels = channels[~constant]
        for start in range(0, len(channels), batch.batch_size):
            chunk = channels[start:start + batch.batch_size]
            yield n, chunk, partial(_chunk_inputs, batch, n, chunk, size)


def _chunk_inputs(batch: CamBatch, n: int, chunk: np.ndarray, size: Tuple[int, ...]) -> List[np.ndarray]:
    return _masked_inputs(batch.inputs, batch.image_index, n, _masks(batch.activations[n][..., chunk], size))


def _masks(activations: np.ndarray, size: Tuple[int, ...]) -> np.ndarray:
    """(*spatial, K) activations -> (K, *size) masks in [0, 1]."""
    upsampled = resize_maps(activations[np.newaxis], size, channels_last=True)[0]
    axes = tuple(range(upsampled.ndim - 1))
    low = upsampled.min(axis=axes, keepdims=True)
    high = upsampled.max(axis=axes, keepdims=True)
    masks = (upsampled - low) / (high - low + 1e-7)
    return np.moveaxis(masks, -1, 0)


def _masked_inputs(inputs: List[np.ndarray], which: int, n: int, masks: np.ndarray) -> List[np.ndarray]:
    image = inputs[which][n].astype(np.float64)
    shaped = masks if image.ndim == masks.ndim - 1 else masks[..., np.newaxis]
    return with_image_variants(inputs, which, n, (image[np.newaxis] * shaped).astype(inputs[which].dtype))
