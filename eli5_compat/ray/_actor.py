"""The Ray Data actor: loads the model once, then explains batches of image files and writes their outputs."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import numpy as np

from .._explain_files import ExplainOptions, Explainer
from . import _records

# Fault injection for the tests: the path of a file; the first actor that renames it away dies
# (os._exit) on its second batch, before writing anything, as a worker killed mid-run would.
CRASH_FLAG_ENV = "ELI5_COMPAT_RAY_CRASH_FLAG"


class ExplainActor:
    """Callable for ``Dataset.map_batches``: a batch of ``file``/``path`` columns in, one JSON ``record`` per row out.

    The overlays, heatmaps and per-image record files are written here, atomically, before the
    records are returned; images that cannot be read or do not fit the model give error records.
    """

    def __init__(self, model_path: str, options: ExplainOptions, out_dir: str, out_name: str, threads: int) -> None:
        _limit_threads(threads)
        self.explainer = Explainer(Path(model_path), options, Path(out_dir), out_name)
        self.calls = 0

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        self.calls += 1
        _maybe_crash(self.calls)
        rows = self.explainer.explain_files([str(f) for f in batch["file"]], [Path(p) for p in batch["path"]])
        _records.write_records(self.explainer.out_dir, rows)
        return {"record": np.array([_records.dump(row) for row in rows], dtype=object)}


def _maybe_crash(calls: int) -> None:
    flag = os.environ.get(CRASH_FLAG_ENV)
    if not flag or calls < 2:
        return
    try:
        os.rename(flag, flag + ".claimed")  # atomic: one actor wins, once
    except OSError:
        return
    os._exit(1)


def _limit_threads(threads: int) -> None:
    """This actor's share of the CPUs, not all of the machine's (TensorFlow or PyTorch; JAX reads its
    thread settings only at import)."""
    import os

    from ..keras._backend_check import without_tensorflow

    if not without_tensorflow():
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already running in this process: keep its settings
            pass
    elif os.environ.get("KERAS_BACKEND") == "torch":
        import torch

        torch.set_num_threads(threads)
