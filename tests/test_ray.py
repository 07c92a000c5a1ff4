"""eli5_compat.ray on a local Ray with 2 CPUs: a few hundred generated 28x28 images, some corrupt or mismatched.

The Ray runs are compared with the single-process `eli5-compat explain` and with `explain_predictions`
called here on pixels read here; one run loses an actor mid-run, one is interrupted and resumed.
"""
import json
import os

import numpy as np
import pytest
from PIL import Image

import eli5_compat as eli5
from eli5_compat.cli import main
from eli5_compat.ray import explain_dataset
from eli5_compat.ray._actor import CRASH_FLAG_ENV

pytestmark = [pytest.mark.slow, pytest.mark.eager_only, pytest.mark.once]

N_GOOD = 230


@pytest.fixture(scope="module")
def data(tmp_path_factory, keras):
    # Ray is the `ray` extra, installed by .ci/run where these (eager, once) tests run; imported here
    # so that the worlds that deselect them (graph mode) need not have it.
    ray = pytest.importorskip("ray")
    root = tmp_path_factory.mktemp("ray")
    L = keras.layers
    model = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(),
                              L.Conv2D(6, 3, activation="relu", name="last_conv"), L.GlobalAveragePooling2D(),
                              L.Dense(5, activation="softmax")])
    rng = np.random.default_rng(13)
    model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
    model.save(root / "model.keras")
    images = root / "images"
    images.mkdir()
    for i in range(N_GOOD):
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(images / "g{:03d}.png".format(i))
    for i in range(4):  # another size: resized, as in the single-process command
        Image.fromarray(rng.integers(0, 256, (40, 36), dtype=np.uint8)).save(images / "big{}.png".format(i))
    for i in range(5):
        (images / "junk{}.png".format(i)).write_bytes(b"not an image " * i)
    whole = images / "g000.png"
    (images / "cut.png").write_bytes(whole.read_bytes()[:60])  # a truncated PNG
    for i in range(3):  # colour images for a grayscale model: mismatched
        Image.fromarray(rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)).save(images / "rgb{}.png".format(i))
    os.environ[CRASH_FLAG_ENV] = str(root / "crash.flag")  # before Ray starts, so its workers inherit it
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield model, root, images
    ray.shutdown()
    del os.environ[CRASH_FLAG_ENV]


@pytest.fixture(scope="module")
def uninterrupted(data):
    model, root, images = data
    run = explain_dataset(root / "model.keras", [images], root / "ray_out", num_workers=2, batch_size=16,
                          save_heatmaps=True)
    return run, root / "ray_out"


def _rows(out):
    return json.loads((out / "results.json").read_text())


def _same_records(got, expected, out_got, out_expected):
    assert [(r["file"], r["rank"], r["error"]) for r in got] == [(r["file"], r["rank"], r["error"]) for r in expected]
    for a, b in zip(got, expected):
        assert set(a) == set(b)
        for key in a:
            if key == "overlay" and a[key] is not None:
                assert a[key] == str(out_got / os.path.basename(b[key])) and b[key].startswith(str(out_expected))
            elif isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], abs=1e-6), key
            else:
                assert a[key] == b[key], key


def _no_temporary_files(out):
    leftovers = [p for p in out.rglob(".*") if p.is_file()]
    assert leftovers == []


def test_ray_run_equals_the_single_process_command_and_explain_predictions(data, uninterrupted):
    model, root, images = data
    run, out = uninterrupted
    assert main(["explain", str(root / "model.keras"), str(images), "-o", str(root / "single"), "--save-heatmaps",
                 "--quiet"]) == 1
    single = _rows(root / "single")
    rows = _rows(out)
    assert len(rows) == N_GOOD + 4 + 5 + 1 + 3 and run.skipped == 0 and run.records == rows
    errors = {os.path.basename(r["file"]): r["error"] for r in rows if r["error"]}
    assert sorted(errors) == sorted(["cut.png", "rgb0.png", "rgb1.png", "rgb2.png"] +
                                    ["junk{}.png".format(i) for i in range(5)])
    assert errors["rgb1.png"].startswith("the image is RGB (colour) but the model expects 1 channel(s)")
    assert errors["cut.png"].startswith("cannot read the image")
    _same_records(rows, single, out, root / "single")
    assert (out / "results.csv").read_text().splitlines()[0] == (root / "single" / "results.csv").read_text().splitlines()[0]
    import pyarrow.parquet as pq

    assert pq.read_table(out / "results.parquet").to_pylist() == rows
    # heatmaps: equal to explain_predictions on pixels read here (every 28x28 image)
    good = [r for r in rows if not r["error"] and os.path.basename(r["file"]).startswith("g")]
    assert len(good) == N_GOOD
    docs = np.stack([np.asarray(Image.open(r["file"]), dtype=np.float32)[:, :, None] / 255.0 for r in good])
    expected = eli5.explain_predictions(model, docs, layer="last_conv", progress=False)
    for row, expl in zip(good, expected):
        heatmap = np.load(out / row["heatmap"])
        assert heatmap.dtype == np.float32 and heatmap.shape == (11, 11)
        np.testing.assert_allclose(heatmap, expl.targets[0].heatmap, atol=1e-6)
        assert row["target"] == int(expl.targets[0].target)
        assert row["score"] == pytest.approx(float(expl.targets[0].score), abs=1e-6)
    for row in single:
        if not row["error"]:
            np.testing.assert_allclose(np.load(out / row["heatmap"]), np.load(root / "single" / row["heatmap"]),
                                       atol=1e-6)
            ours = np.asarray(Image.open(out / os.path.basename(row["overlay"])), dtype=np.int16)
            theirs = np.asarray(Image.open(row["overlay"]), dtype=np.int16)
            assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1
    _no_temporary_files(out)


def test_an_actor_killed_mid_run_loses_and_duplicates_nothing(data, uninterrupted):
    _, root, images = data
    flag = root / "crash.flag"
    flag.write_text("the first actor to rename this file exits on its second batch")
    run = explain_dataset(root / "model.keras", [images], root / "crashed", num_workers=2, batch_size=16,
                          save_heatmaps=True)
    assert not flag.exists() and flag.with_name("crash.flag.claimed").exists(), "no actor died"
    files = [(r["file"], r["rank"]) for r in run.records]
    assert len(files) == len(set(files)) == len(uninterrupted[0].records)
    _same_records(run.records, uninterrupted[0].records, root / "crashed", uninterrupted[1])
    _no_temporary_files(root / "crashed")


def test_an_interrupted_run_resumed_gives_the_uninterrupted_result(data, uninterrupted):
    _, root, images = data
    out = root / "resumed"
    first = sorted(images.glob("g*.png"))[:120]
    before = explain_dataset(root / "model.keras", first, out, num_workers=2, batch_size=16, save_heatmaps=True)
    assert len(before.records) == 120
    (out / "g005.png").unlink()  # an image whose outputs are incomplete is explained again
    (out / "heatmaps" / "g007.npy").unlink()
    (out / ".g009.1234abcd.tmp.png").write_bytes(b"half an overlay")  # what a killed writer leaves
    kept = out / "records" / "g010.json"
    stamp = kept.stat().st_mtime_ns
    code = main(["explain", str(root / "model.keras"), str(images), "-o", str(out), "--save-heatmaps", "--ray",
                 "--workers", "2", "--batch-size", "16", "--resume", "--quiet"])
    assert code == 1  # the corrupt and mismatched images
    assert kept.stat().st_mtime_ns == stamp, "a finished image was explained again"
    rows = _rows(out)
    _same_records(rows, uninterrupted[0].records, out, uninterrupted[1])
    import pyarrow.parquet as pq

    assert pq.read_table(out / "results.parquet").to_pylist() == rows
    assert (out / "g005.png").exists() and (out / "heatmaps" / "g007.npy").exists()
    redone = json.loads((out / "records" / "g007.json").read_text())
    assert redone[0]["heatmap"] == "heatmaps/g007.npy"
