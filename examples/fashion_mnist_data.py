"""Fashion-MNIST for the examples, from the first source that works, offline included.

Sources, in order:

1. Keras's cache (``$KERAS_HOME/datasets/fashion-mnist``, else ``~/.keras/...``), where
   ``keras.datasets.fashion_mnist.load_data()`` keeps the four files. Each file is checked
   (complete gzip stream, IDX header, 60,000 or 10,000 28x28 images, labels 0-9); a missing,
   empty, truncated or foreign file is not trusted: it is removed and refilled from
2. Debian's copy (package ``dataset-fashion-mnist``, /usr/share/datasets/fashion-mnist),
   linked into the cache, or
3. the download from Keras's origin (10 s timeout, written to a temporary file and renamed,
   so an interrupted download leaves nothing half-written). The cache is then whole again, so
   ``keras.datasets.fashion_mnist.load_data()`` works offline too.
4. When the full dataset cannot be had: the sample shipped next to this file
   (``fashion_mnist_sample/``: 4,000 training and 1,000 test images, real Fashion-MNIST,
   MIT licence, Zalando SE; made by ``fashion_mnist_sample/make_sample.py``).

No TensorFlow import here.
"""
from __future__ import annotations

import gzip
import http.client
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN = Path("/usr/share/datasets/fashion-mnist")
SAMPLE = Path(__file__).resolve().parent / "fashion_mnist_sample"
DOWNLOAD_TIMEOUT = 10.0
# Keras's file names and the number of items each holds in the full dataset.
FILES = {
    "train-images-idx3-ubyte.gz": 60000,
    "train-labels-idx1-ubyte.gz": 60000,
    "t10k-images-idx3-ubyte.gz": 10000,
    "t10k-labels-idx1-ubyte.gz": 10000,
}
_IDX_UBYTE = 0x08
Arrays = Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]


def keras_cache() -> Path:
    """The folder where Keras keeps Fashion-MNIST (same rule as ``keras.utils.get_file``)."""
    if "KERAS_HOME" in os.environ:
        base = Path(os.environ["KERAS_HOME"])
    else:
        home = Path.home()
        base = (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"
    return base.expanduser() / "datasets" / "fashion-mnist"


def read_idx(path: Path, count: Optional[int] = None) -> np.ndarray:
    """One Fashion-MNIST file as a uint8 array; ValueError says what is wrong with it.

    ``count`` is the number of items expected (None: any).
    """
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:  # missing, not gzip, truncated stream
        raise ValueError("unreadable ({})".format(exc)) from exc
    if len(raw) < 4 or raw[0:2] != b"\0\0" or raw[2] != _IDX_UBYTE:
        raise ValueError("not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    expected_shape = (shape[0], 28, 28) if ndim == 3 else (shape[0],)
    if len(shape) != ndim or shape != expected_shape:
        raise ValueError("shape {} is not Fashion-MNIST's".format(shape))
    if count is not None and shape[0] != count:
        raise ValueError("{} items instead of {}".format(shape[0], count))
    if len(raw) - header != int(np.prod(shape)):
        raise ValueError("{} data bytes for shape {}".format(len(raw) - header, shape))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
    if ndim == 1 and data.size and data.max() > 9:
        raise ValueError("labels beyond 0-9")
    return data


def write_idx(path: Path, data: np.ndarray) -> None:
    """Write a uint8 array as a gzip-compressed IDX file (fixed gzip timestamp: same data, same bytes)."""
    header = bytes([0, 0, _IDX_UBYTE, data.ndim]) + np.asarray(data.shape, dtype=">u4").tobytes()
    with open(path, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
        out.write(header + np.ascontiguousarray(data, dtype=np.uint8).tobytes())


def _arrays(folder: Path, counts: Dict[str, Optional[int]]) -> Arrays:
    x_train, y_train, x_test, y_test = (read_idx(folder / name, counts[name]) for name in (
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError("images and labels differ in number in {}".format(folder))
    return (x_train, y_train), (x_test, y_test)


def _problem(path: Path, count: int) -> Optional[str]:
    """What is wrong with a full-dataset file, or None when it is good."""
    try:
        read_idx(path, count)
    except ValueError as exc:
        return str(exc)
    return None


def _download(name: str, target: Path) -> None:
    """Fetch ``name`` from Keras's origin into ``target`` atomically (URLError/OSError on failure)."""
    handle, part = tempfile.mkstemp(prefix=name + ".", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out, \
                urllib.request.build_opener().open(ORIGIN + name, timeout=DOWNLOAD_TIMEOUT) as response:
            shutil.copyfileobj(response, out)
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.unlink(part)


def _repair_cache(cache: Path, say: Callable[[str], None]) -> List[str]:
    """Make every file in Keras's cache valid; return where each came from. OSError if impossible."""
    cache.mkdir(parents=True, exist_ok=True)
    origins: List[str] = []
    for name, count in FILES.items():
        target = cache / name
        problem = _problem(target, count)
        if problem is None:
            origins.append("Keras's cache ({})".format(cache))
            continue
        if target.exists() or target.is_symlink():
            say("Keras's cache: {} is not usable ({}); replacing it".format(target, problem))
            target.unlink()
        if _problem(DEBIAN / name, count) is None:
            target.symlink_to(DEBIAN / name)
            origins.append("Debian's copy ({}, linked into Keras's cache)".format(DEBIAN))
            continue
        try:
            _download(name, target)
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, refused, cut short
            raise OSError("download of {} failed: {}".format(ORIGIN + name, exc)) from exc
        problem = _problem(target, count)
        if problem is not None:
            target.unlink()
            raise OSError("the download of {} is not usable ({})".format(name, problem))
        origins.append("the download from {}".format(ORIGIN))
    return origins


def load_fashion_mnist(say: Callable[[str], None] = print) -> Tuple[Arrays, str]:
    """``((x_train, y_train), (x_test, y_test)), source``: the full dataset when it can be had.

    Falls back to the shipped sample; ``source`` says which was used, and ``say`` reports
    what was repaired or failed on the way.
    """
    cache = keras_cache()
    try:
        origins = _repair_cache(cache, say)
        return _arrays(cache, dict(FILES)), " and ".join(dict.fromkeys(origins))
    except (OSError, ValueError) as exc:
        say("the full Fashion-MNIST is not available ({}); using the shipped sample".format(exc))
    data = _arrays(SAMPLE, dict.fromkeys(FILES))
    source = "the sample shipped with this example ({}: {} training and {} test images)".format(
        SAMPLE, len(data[0][0]), len(data[1][0]))
    return data, source
