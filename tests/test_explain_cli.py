"""`eli5-compat explain` run as a subprocess on saved models and a folder of generated images."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import eli5_compat as eli5

pytestmark = [pytest.mark.tooling, pytest.mark.slow]


@pytest.fixture(scope="module")
def saved(tmp_path_factory, keras):
    folder = tmp_path_factory.mktemp("explain")
    L = keras.layers
    model = keras.Sequential([keras.Input((16, 16, 3)), L.Conv2D(6, 3, activation="relu", name="conv_a"),
                              L.Conv2D(4, 3, activation="relu", name="conv_b"), L.Flatten(),
                              L.Dense(5, activation="softmax")], name="saved")
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    model.save(folder / "model.keras")
    model.save(folder / "model.h5")
    images = folder / "images"
    (images / "more").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(images / "rgb{}.png".format(i))
    Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(images / "more" / "big.jpg")
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(images / "gray.png")
    (images / "broken.png").write_bytes(b"not a png at all")
    return model, folder


def _run(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "eli5_compat", "explain", *map(str, args), "--quiet"],
                          capture_output=True, text=True, env=env, timeout=600)


def test_folder_with_bad_files_is_explained_and_failures_reported(saved, tmp_path):
    model, folder = saved
    out = tmp_path / "out"
    done = _run(folder / "model.keras", folder / "images", "-o", out)
    assert done.returncode == 1, done.stderr
    assert "explained 4 image(s), 2 failed" in done.stdout
    assert "broken.png: ERROR: cannot read the image" in done.stderr
    assert "gray.png: ERROR: the image is L (grayscale) but the model expects 3 channel(s); pass --convert" in done.stderr
    rows = {os.path.basename(r["file"]): r for r in json.loads((out / "results.json").read_text())}
    assert sorted(rows) == ["big.jpg", "broken.png", "gray.png", "rgb0.png", "rgb1.png", "rgb2.png"]
    assert rows["broken.png"]["error"] and rows["gray.png"]["error"]
    assert Image.open(out / "big.png").size == (30, 40), "the overlay covers the original picture"
    csv_header = (out / "results.csv").read_text().splitlines()[0]
    assert csv_header.startswith("file,target,score,rank,layer,overlay,heatmap_min")
    # the same numbers as the API on the same preprocessed pixels
    pixels = np.asarray(Image.open(folder / "images" / "rgb1.png"), dtype=np.float32)[np.newaxis] / 255.0
    expl = eli5.explain_prediction(model, pixels)
    row = rows["rgb1.png"]
    assert row["target"] == int(expl.targets[0].target) and row["layer"] == "conv_b"
    assert row["score"] == pytest.approx(float(expl.targets[0].score), rel=1e-5)
    assert row["heatmap_max"] == pytest.approx(float(expl.targets[0].heatmap.max()), abs=1e-6)


def test_h5_top_classes_options_and_convert(saved, tmp_path):
    _, folder = saved
    out = tmp_path / "top"
    done = _run(folder / "model.h5", folder / "images" / "rgb0.png", folder / "images" / "gray.png", "-o", out,
                "--top", "2", "--convert", "--layer", "conv_a", "--colormap", "jet", "--resampling", "nearest",
                "--preprocess", "symmetric", "--alpha-limit", "0.9")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["gray.top1.png", "gray.top2.png", "results.csv", "results.json", "rgb0.top1.png", "rgb0.top2.png"]
    rows = json.loads((out / "results.json").read_text())
    assert {r["layer"] for r in rows} == {"conv_a"} and sorted(r["rank"] for r in rows) == [1, 1, 2, 2]


def test_missing_model_and_bad_options(saved, tmp_path):
    _, folder = saved
    done = _run(tmp_path / "nope.keras", folder / "images", "-o", tmp_path / "o")
    assert done.returncode == 2 and "no model at" in done.stderr
    from eli5_compat.cli import main

    assert main(["explain", str(folder / "model.keras"), str(folder / "images" / "rgb0.png"), "-o",
                 str(tmp_path / "t"), "--target", "3", "--no-resize", "--quiet"]) == 0
    assert json.loads((tmp_path / "t" / "results.json").read_text())[0]["target"] == 3
    assert main(["explain", str(folder / "model.keras"), str(folder / "images" / "more"), "-o",
                 str(tmp_path / "n"), "--no-resize", "--quiet"]) == 1
    error = json.loads((tmp_path / "n" / "results.json").read_text())[0]["error"]
    assert error == "the image is 30x40 but the model expects 16x16 (drop --no-resize to resize it)"


def test_method_option_gives_the_api_s_heatmaps(saved, tmp_path):
    model, folder = saved
    from eli5_compat.cli import main

    out = tmp_path / "scorecam"
    assert main(["explain", str(folder / "model.keras"), str(folder / "images" / "rgb0.png"), str(folder / "images" / "rgb2.png"),
                 "-o", str(out), "--method", "ScoreCAM", "--max-channels", "3", "--batch-size", "2", "--quiet"]) == 0
    rows = {os.path.basename(r["file"]): r for r in json.loads((out / "results.json").read_text())}
    pixels = np.asarray(Image.open(folder / "images" / "rgb2.png"), dtype=np.float32)[np.newaxis] / 255.0
    expl = eli5.explain_prediction(model, pixels, method="scorecam", max_channels=3)
    assert expl.method == "Score-CAM" and rows["rgb2.png"]["method"] == "scorecam"
    assert rows["rgb2.png"]["heatmap_mean"] == pytest.approx(float(expl.targets[0].heatmap.mean()), abs=1e-6)
    with pytest.raises(SystemExit, match="--max-channels takes a positive number and needs --method scorecam"):
        main(["explain", str(folder / "model.keras"), str(folder / "images"), "-o", str(tmp_path / "x"),
              "--method", "layercam", "--max-channels", "3"])


def test_metrics_option_adds_columns(saved, tmp_path):
    model, folder = saved
    from eli5_compat.cli import main
    from eli5_compat.metrics import deletion, insertion

    out = tmp_path / "metrics"
    images = [folder / "images" / "rgb0.png", folder / "images" / "rgb1.png"]
    assert main(["explain", str(folder / "model.keras"), *map(str, images), "-o", str(out), "--method", "layercam",
                 "--metrics", "insertion, deletion", "--quiet"]) == 0
    header = (out / "results.csv").read_text().splitlines()[0]
    assert header.endswith(",error,method,deletion,insertion")
    rows = {os.path.basename(r["file"]): r for r in json.loads((out / "results.json").read_text())}
    pixels = np.stack([np.asarray(Image.open(p), dtype=np.float32) / 255.0 for p in images])
    expls = eli5.explain_predictions(model, pixels, method="layercam", progress=False)
    assert rows["rgb1.png"]["deletion"] == pytest.approx(float(deletion(model, pixels, expls)[1]), abs=1e-6)
    assert rows["rgb0.png"]["insertion"] == pytest.approx(float(insertion(model, pixels, expls)[0]), abs=1e-6)
    with pytest.raises(SystemExit):
        main(["explain", str(folder / "model.keras"), str(images[0]), "-o", str(tmp_path / "x"), "--metrics", "auc"])


def test_save_heatmaps_writes_each_heatmap_beside_its_overlay(saved, tmp_path):
    model, folder = saved
    from eli5_compat.cli import main

    out = tmp_path / "heatmaps"
    images = [folder / "images" / "rgb0.png", folder / "images" / "rgb1.png", folder / "images" / "broken.png"]
    assert main(["explain", str(folder / "model.keras"), *map(str, images), "-o", str(out), "--top", "2",
                 "--save-heatmaps", "--quiet"]) == 1
    header = (out / "results.csv").read_text().splitlines()[0]
    assert header == ("file,target,score,rank,layer,overlay,heatmap_min,heatmap_max,heatmap_mean,peak_row,peak_col,"
                      "heatmap,error,method")
    rows = json.loads((out / "results.json").read_text())
    assert [(os.path.basename(r["file"]), r["rank"], r["heatmap"]) for r in rows] == [
        ("broken.png", None, None), ("rgb0.png", 1, "heatmaps/rgb0.top1.npy"), ("rgb1.png", 1, "heatmaps/rgb1.top1.npy"),
        ("rgb0.png", 2, "heatmaps/rgb0.top2.npy"), ("rgb1.png", 2, "heatmaps/rgb1.top2.npy")]
    assert sorted(p.name for p in (out / "heatmaps").iterdir()) == [
        "rgb0.top1.npy", "rgb0.top2.npy", "rgb1.top1.npy", "rgb1.top2.npy"]  # no temporary files left
    pixels = np.asarray(Image.open(images[1]), dtype=np.float32)[np.newaxis] / 255.0
    for row in rows[1:]:
        if row["file"] == str(images[1]):
            saved_map = np.load(out / row["heatmap"])
            expected = eli5.explain_prediction(model, pixels, targets=[row["target"]]).targets[0].heatmap
            assert saved_map.dtype == np.float32 and saved_map.shape == expected.shape == (12, 12)
            # The command explains a batch and this is one image: PyTorch's batched kernels round apart by ~1e-6.
            np.testing.assert_allclose(saved_map, expected, atol=1e-5)
            assert float(saved_map.max()) == pytest.approx(row["heatmap_max"], abs=1e-6)
    without = tmp_path / "plain"
    assert main(["explain", str(folder / "model.keras"), str(images[0]), "-o", str(without), "--quiet"]) == 0
    assert json.loads((without / "results.json").read_text())[0]["heatmap"] is None
    assert not (without / "heatmaps").exists()
    with pytest.raises(SystemExit, match="--resume and --workers need --ray"):
        main(["explain", str(folder / "model.keras"), str(images[0]), "-o", str(without), "--resume"])
