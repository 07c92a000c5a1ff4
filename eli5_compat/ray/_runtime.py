"""Importing Ray (with an error that names the extra) and connecting to a local Ray or a cluster."""
from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Iterator, Optional

_MISSING = ('eli5-compat\'s Ray backend needs Ray Data and pyarrow, which are not installed: '
            'pip install "eli5-compat[ray]"')


def import_ray() -> Any:
    """The ``ray`` module with Ray Data loaded; ImportError naming the extra when they are missing."""
    try:
        import pyarrow  # noqa: F401
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError("{} ({})".format(_MISSING, exc)) from None
    return ray


@contextlib.contextmanager
def connected(address: Optional[str], num_cpus: int) -> Iterator[Any]:
    """Ray, connected for the block: to the cluster at ``address``, else a local Ray with ``num_cpus`` CPUs.

    A Ray this process already started or joined is used as it is and left running; a Ray
    started here is shut down after the block. A local Ray has no dashboard and sends no usage
    statistics (RAY_USAGE_STATS_ENABLED=0 unless set), so it needs no network.
    """
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    if address:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    else:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        # "local": a new Ray, even when another one (or the trace of one, /tmp/ray/ray_current_cluster) is around
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    try:
        yield ray
    finally:
        ray.shutdown()
