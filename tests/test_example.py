"""The README's first command offline: the example's data loader and the example itself.

No network: the environment points HTTP(S) proxies at a closed local port
(``127.0.0.1:9``), so the download fails at once with "connection refused". Debian's copy
is redirected to a folder the test controls (``fashion_mnist_data.DEBIAN``, patched in
the process, or before the example runs in a subprocess). Keras's cache is
``$KERAS_HOME`` in a temporary folder, with the empty ``fashion-mnist`` folder a failed
first run leaves behind. One test plays Keras's origin with a local HTTP server.
"""
import functools
import gzip
import http.server
import os
import shlex
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
sys.path.insert(0, str(EXAMPLES))
import fashion_mnist_data  # noqa: E402

pytestmark = pytest.mark.tooling  # the example runs eagerly; the loader needs no TensorFlow

OFFLINE = {name: "http://127.0.0.1:9" for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
NAMES = {"train": 60000, "t10k": 10000}


def _write(path, magic_dims, payload):
    """A gzip IDX file written from the format's definition (big-endian header)."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(struct.pack(">HBB", 0, 8, len(magic_dims)) + struct.pack(">" + "I" * len(magic_dims), *magic_dims))
        out.write(payload)


def _full_dataset(folder):
    """Full-sized stand-ins: every image of class k has all pixels equal to k."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in NAMES.items():
        labels = (np.arange(n) % 10).astype(np.uint8)
        _write(folder / "{}-labels-idx1-ubyte.gz".format(split), (n,), labels.tobytes())
        _write(folder / "{}-images-idx3-ubyte.gz".format(split), (n, 28, 28), np.repeat(labels, 784).tobytes())
    return folder


@pytest.fixture(scope="module")
def fake_debian(tmp_path_factory):
    return _full_dataset(tmp_path_factory.mktemp("debian"))


@pytest.fixture
def offline(tmp_path, monkeypatch):
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    cache = tmp_path / "keras_home" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)  # what a failed first run leaves
    monkeypatch.setattr(fashion_mnist_data, "DEBIAN", tmp_path / "no-debian-copy")
    return cache


@pytest.mark.once
def test_offline_without_debian_uses_the_shipped_sample(offline):
    said = []
    ((x_train, y_train), (x_test, y_test)), source = fashion_mnist_data.load_fashion_mnist(said.append)
    assert source.startswith("the sample shipped with this example")
    assert any("download of" in line and "failed" in line for line in said), said
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [400] * 10 and np.bincount(y_test).tolist() == [100] * 10
    assert 50 < x_train.mean() < 100  # real clothes on black, not a blank stand-in
    assert not list(offline.iterdir()), "nothing half-written left in Keras's cache"


@pytest.mark.once
@pytest.mark.slow
def test_empty_or_partial_cache_is_repaired_from_debian(offline, fake_debian, monkeypatch):
    monkeypatch.setattr(fashion_mnist_data, "DEBIAN", fake_debian)
    truncated = (fake_debian / "train-images-idx3-ubyte.gz").read_bytes()[:5000]
    (offline / "train-images-idx3-ubyte.gz").write_bytes(truncated)  # an interrupted download
    (offline / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    said = []
    ((x_train, y_train), (x_test, y_test)), source = fashion_mnist_data.load_fashion_mnist(said.append)
    assert source.startswith("Debian's copy")
    assert sum("is not usable" in line for line in said) == 2, said
    assert x_train.shape == (60000, 28, 28) and y_test.shape == (10000,)
    assert (x_train[:, 0, 0] == y_train).all()
    # The cache is whole again: Keras's own loader (which reads $KERAS_HOME when imported) works offline.
    keras_reads = subprocess.run([sys.executable, "-c", (
        "from tensorflow import keras; (x, y), (xt, yt) = keras.datasets.fashion_mnist.load_data(); "
        "print(x.shape, int(x[-1, 0, 0]), int(yt[-1]))")], env=dict(os.environ), capture_output=True, text=True,
        timeout=300)
    assert keras_reads.stdout.strip().endswith("(60000, 28, 28) 9 9"), keras_reads.stderr[-2000:]


@pytest.mark.once
def test_the_download_fills_the_cache(offline, fake_debian, monkeypatch):
    """Keras's origin played by a local HTTP server holding the full-sized stand-ins."""
    for name in OFFLINE:
        monkeypatch.delenv(name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(fake_debian))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(fashion_mnist_data, "ORIGIN", "http://127.0.0.1:{}/".format(server.server_port))
        ((x_train, y_train), _), source = fashion_mnist_data.load_fashion_mnist(lambda line: None)
    finally:
        server.shutdown()
        server.server_close()
    assert source.startswith("the download from http://127.0.0.1:")
    assert (x_train[:, 0, 0] == y_train).all()
    assert sorted(p.name for p in offline.iterdir()) == sorted(fashion_mnist_data.FILES)
    assert not any(p.is_symlink() for p in offline.iterdir())


@pytest.mark.once
def test_a_complete_cache_is_used_without_network(offline):
    _full_dataset(offline)
    said = []
    _, source = fashion_mnist_data.load_fashion_mnist(said.append)
    assert source.startswith("Keras's cache") and said == []


@pytest.mark.once
def test_a_file_with_the_wrong_number_of_items_is_not_trusted(offline, fake_debian, monkeypatch):
    monkeypatch.setattr(fashion_mnist_data, "DEBIAN", fake_debian)
    _full_dataset(offline)
    _write(offline / "t10k-labels-idx1-ubyte.gz", (10,), bytes(range(10)))
    said = []
    ((_, _), (_, y_test)), source = fashion_mnist_data.load_fashion_mnist(said.append)
    assert "10 items instead of 10000" in said[0]
    assert "Keras's cache" in source and "Debian's copy" in source and y_test.shape == (10000,)


def _readme_first_command():
    block = (REPO / "README.md").read_text().split("```\n", 2)[1]
    return block.strip()


@pytest.mark.once
def test_readme_first_command_needs_no_apt_and_installs_a_tensorflow():
    command = _readme_first_command()
    assert "apt" not in command
    assert '.venv/bin/pip install -e ".[tensorflow]"' in command
    assert ".venv/bin/python examples/fashion_mnist_gradcam.py" in command


@pytest.mark.slow
def test_readme_first_command_runs_offline_after_a_failed_first_run(tmp_path):
    """The example part of the README's first command, as written, with this suite's Python."""
    run = shlex.split(_readme_first_command().split("&&")[-1])
    assert run[0] == ".venv/bin/python"
    run[1] = str(REPO / run[1])  # the script from the repository; its output goes to the temporary folder
    cache = tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    env = dict(os.environ, HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), **OFFLINE)
    env.pop("KERAS_HOME", None)
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    redirect_debian = ("import runpy, sys; from pathlib import Path; sys.path.insert(0, {examples!r}); "
                       "import fashion_mnist_data; fashion_mnist_data.DEBIAN = Path({missing!r}); "
                       "sys.argv = {argv!r}; runpy.run_path(sys.argv[0], run_name='__main__')").format(
        examples=str(EXAMPLES), missing=str(tmp_path / "no-debian-copy"), argv=run[1:])
    done = subprocess.run([sys.executable, "-c", redirect_debian], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Fashion-MNIST from the sample shipped with this example" in done.stdout
    assert "Connection refused" in done.stdout
    accuracy = float(done.stdout.split("Test Accuracy : ")[1].split()[0])
    assert accuracy > 0.5, "one epoch on the sample learns (chance is 0.1)"
    out = tmp_path / run[run.index("--out") + 1]
    assert len(list(out.glob("*.png"))) == 3 * 5
    assert len(list(cache.parent.rglob("*"))) == 1, "only the empty folder: no partial file left"
