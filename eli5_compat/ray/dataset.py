"""``explain_dataset``: explain image files on Ray Data, streaming, with a pool of actors."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from .._explain_files import (ExplainOptions, Explainer, ImageResult, atomic_path, find_images,
                              sort_records, write_results)
from . import _records
from ._actor import ExplainActor
from ._runtime import connected, import_ray

PathLike = Union[str, os.PathLike]


@dataclass
class DatasetRun:
    """What a run wrote: the rows and records of results.json (sorted), and how many images were skipped."""

    rows: List[ImageResult]
    records: List[Dict[str, Any]]
    skipped: int


def explain_dataset(model_path: PathLike, sources: Sequence[PathLike], out_dir: PathLike, *,
                    address: Optional[str] = None, num_workers: int = 2, cpus_per_worker: float = 1,
                    batch_size: int = 32, method: str = "gradcam", layer: Optional[str] = None,
                    preprocess: str = "unit", save_heatmaps: bool = False, resume: bool = False,
                    progress: bool = False, **options: Any) -> DatasetRun:
    """Explain every image in ``sources`` (files or folders) on Ray Data; write what ``eli5-compat explain`` writes.

    Outputs in ``out_dir``: an overlay per image (and with ``save_heatmaps`` heatmaps/NAME.npy),
    results.json / results.csv in the single-process command's order, results.parquet with the
    same records, and records/NAME.json per image (what ``resume`` reads). ``num_workers``
    actors each load the model once and explain ``batch_size`` images per call with
    ``explain_predictions``; an actor that dies is restarted and its batch retried by Ray Data.
    ``address``: join that Ray cluster (the model, sources and ``out_dir`` must be on a file system
    every node sees); None starts a local Ray with ``num_workers * cpus_per_worker`` CPUs (a Ray
    already initialised in this process is used as it is). ``resume``: skip images whose outputs a
    previous run with the same options finished. ``options``: the other ExplainOptions fields
    (``target``, ``top``, ``metrics``, ``colormap``, ``alpha_limit``, ``resampling``, ``max_channels``,
    ``resize``, ``convert``). A bad model raises ValueError or FileNotFoundError before Ray starts.
    """
    settings = ExplainOptions(preprocess=preprocess, layer=layer, method=method, batch_size=batch_size,
                              save_heatmaps=save_heatmaps, progress=progress, **options)
    return run_dataset(model_path, sources, out_dir, settings, address=address, num_workers=num_workers,
                       cpus_per_worker=cpus_per_worker, resume=resume)


def run_dataset(model_path: PathLike, sources: Sequence[PathLike], out_dir: PathLike, settings: ExplainOptions, *,
                address: Optional[str], num_workers: int, cpus_per_worker: float, resume: bool) -> DatasetRun:
    """:func:`explain_dataset` with its options gathered in ``settings`` (``progress``: Ray Data's bars)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError("num_workers must be a positive int, got: {!r}".format(num_workers))
    Explainer(Path(model_path), settings, Path(out_dir))  # fails here, clearly, on a bad model or option
    import_ray()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [str(path) for path in find_images([Path(s) for s in sources])]
    done: List[ImageResult] = []
    pending: List[str] = []
    for file in files:
        rows = _records.finished(out, file, settings) if resume else None
        if rows is None:
            pending.append(file)
        else:
            done.extend(rows)
    rows = sort_records(done + (_explain_on_ray(Path(model_path), settings, out, pending, address, num_workers,
                                                cpus_per_worker) if pending else []), files)
    records = write_results(out, rows)
    _write_parquet(out / "results.parquet", records)
    return DatasetRun(rows, records, len(files) - len(pending))


def _explain_on_ray(model_path: Path, options: ExplainOptions, out: Path, files: List[str], address: Optional[str],
                    num_workers: int, cpus_per_worker: float) -> List[ImageResult]:
    """Stream ``files`` through the actor pool; the rows come back as the actors finish batches.

    Memory: the dataset holds only file names; each actor reads its batch's images itself and
    at most two batches are queued per actor (names only), so at most ``num_workers`` batches of
    pixels and heatmaps exist at once. The driver keeps only the small records.
    """
    with connected(address, max(1, int(round(num_workers * cpus_per_worker)))) as ray:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = options.progress
        items = [{"file": file, "path": str(Path(file).resolve())} for file in files]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, -(-len(items) // options.batch_size)))
        explained = dataset.map_batches(
            ExplainActor, batch_size=options.batch_size, batch_format="numpy",
            fn_constructor_kwargs=dict(model_path=str(model_path.resolve()), options=replace(options, progress=False),
                                       out_dir=str(out.resolve()), out_name=str(out),
                                       threads=max(1, int(cpus_per_worker))),
            # Ray Data restarts dead actors and retries their batches (max_restarts=-1, max_task_retries=-1 by default)
            compute=ray.data.ActorPoolStrategy(size=num_workers, max_tasks_in_flight_per_actor=2),
            num_cpus=cpus_per_worker)
        return [_records.load(text) for batch in explained.iter_batches(batch_size=None, batch_format="numpy")
                for text in batch["record"]]


def _write_parquet(target: Path, records: List[Dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(records) if records else pa.table({"file": pa.array([], pa.string())})
    with atomic_path(target) as temporary:
        pq.write_table(table, temporary)
