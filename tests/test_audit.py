"""eli5_compat.audit: energy-based pointing game and pointing game on answers known by construction.

Results folders are written here as `eli5-compat explain -o OUT --save-heatmaps` writes them
(records in results.json, heatmaps/<stem>.npy, images as PNG), so the audit is tested on its own.
Expected numbers are worked out by hand in the comments.
"""
import argparse
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import eli5_compat as eli5
from eli5_compat.audit import Box, audit_results, box_mask, energy_share, pointing_hit, read_boxes, upsample
from eli5_compat.audit import cli as audit_cli
from eli5_compat.audit import report as audit_report
from eli5_compat.audit._records import read_records

QUADRANT = np.zeros((8, 8))
QUADRANT[:4, :4] = 1.0  # a heatmap that is 1 in the top-left quadrant, 0 elsewhere


def _parse(argv):
    parser = argparse.ArgumentParser(prog="eli5-compat")
    audit_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["audit"] + [str(a) for a in argv])


def _results(folder: Path, items, image_size=(16, 16)):
    """Write a results folder: items are dicts with name, heatmap (array or None) and record overrides."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    (folder / "heatmaps").mkdir(exist_ok=True)
    records = []
    for item in items:
        name = item["name"]
        image = folder / "images" / "{}.png".format(name)
        Image.new("L", item.get("size", image_size), 128).save(image)
        record = {"file": str(image), "target": item.get("target", 0), "score": 0.5, "rank": None, "layer": "conv",
                  "overlay": None, "heatmap_min": 0.0, "heatmap_max": 1.0, "heatmap_mean": 0.25, "peak_row": 0,
                  "peak_col": 0, "error": None, "method": "gradcam", "heatmap": None}
        if item.get("heatmap") is not None:
            np.save(folder / "heatmaps" / "{}.npy".format(name), np.asarray(item["heatmap"], dtype=np.float32))
            record["heatmap"] = "heatmaps/{}.npy".format(name)
        record.update(item.get("record", {}))
        records.append(record)
    (folder / "results.json").write_text(json.dumps(records), encoding="utf-8")
    return records


def _boxes(path: Path, rows, header="file,x0,y0,x1,y1"):
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows), encoding="utf-8")
    return path


def _shares(audit):
    return {Path(i.file).stem: (i.energy_share, i.pointing_hit) for i in audit.images}


# --- the numbers, by hand ------------------------------------------------------------------------

def test_energy_share_at_the_image_size_is_the_fraction_of_the_quadrant_inside():
    inside, outside = box_mask([Box(0, 0, 4, 4)], (8, 8)), box_mask([Box(4, 4, 8, 8)], (8, 8))
    assert energy_share(QUADRANT, inside) == 1.0
    assert energy_share(QUADRANT, outside) == 0.0
    # box columns 2..5, rows 2..5: 2 x 2 of the 16 quadrant cells
    assert energy_share(QUADRANT, box_mask([Box(2, 2, 6, 6)], (8, 8))) == pytest.approx(4 / 16, abs=1e-12)
    # two boxes: their union, counted once: columns 0..1 rows 0..3 (8 cells) and columns 0..3 rows 0..0 (4 cells,
    # 2 of them already in the first) -> 10 of 16
    two = box_mask([Box(0, 0, 2, 4), Box(0, 0, 4, 1)], (8, 8))
    assert energy_share(QUADRANT, two) == pytest.approx(10 / 16, abs=1e-12)
    # fractional corners: pixel centres decide (x 0.6..3.4 holds centres 1.5, 2.5 -> 2 columns; y all 4 rows)
    assert energy_share(QUADRANT, box_mask([Box(0.6, 0, 3.4, 8)], (8, 8))) == pytest.approx(8 / 16, abs=1e-12)


def test_pointing_game_hits_misses_ties_and_tolerance():
    assert pointing_hit(QUADRANT, box_mask([Box(0, 0, 4, 4)], (8, 8)))
    assert not pointing_hit(QUADRANT, box_mask([Box(4, 4, 8, 8)], (8, 8)))
    # the peak is the whole quadrant (a tie): a box over part of it is a miss ...
    partial = box_mask([Box(2, 2, 6, 6)], (8, 8))
    assert not pointing_hit(QUADRANT, partial)
    # ... unless the tolerance reaches every tied pixel: the farthest, (0, 0), is sqrt(8) = 2.83 px from (2, 2)
    assert pointing_hit(QUADRANT, partial, tolerance=3)
    assert not pointing_hit(QUADRANT, partial, tolerance=2.5)
    single = np.zeros((8, 8))
    single[6, 1] = 1.0
    assert pointing_hit(single, box_mask([Box(0, 5, 3, 8)], (8, 8)))
    assert not pointing_hit(single, box_mask([Box(2, 5, 5, 8)], (8, 8)))  # peak column 1 is left of x0 = 2
    assert pointing_hit(single, box_mask([Box(2, 5, 5, 8)], (8, 8)), tolerance=1)
    with pytest.raises(ValueError, match="tolerance"):
        pointing_hit(single, partial, tolerance=-1)


def test_tolerance_against_distances_computed_pixel_by_pixel():
    rng = np.random.default_rng(1)
    for trial in range(6):
        region = np.zeros((30, 40), dtype=bool)
        region[rng.integers(0, 30):, rng.integers(0, 40):][:rng.integers(1, 8), :rng.integers(1, 8)] = True
        heat = rng.integers(0, 4, (30, 40)).astype(float) if trial % 2 else rng.uniform(0, 1, (30, 40))
        peaks = np.argwhere(heat == heat.max())
        inside = np.argwhere(region)
        distance = np.sqrt(((peaks[:, None, :] - inside[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
        for tolerance in (0, 1, 1.5, 4, 9.9, 30):
            assert pointing_hit(heat, region, tolerance) == bool(np.all(distance <= tolerance)), (trial, tolerance)
    for trial in range(40):  # one peak, tolerance exactly its distance to the region, and a hair less
        region = np.zeros((30, 40), dtype=bool)
        region[rng.integers(0, 25):, rng.integers(0, 35):][:rng.integers(1, 6), :rng.integers(1, 6)] = True
        heat = np.zeros((30, 40))
        peak = (rng.integers(0, 30), rng.integers(0, 40))
        heat[peak] = 1.0
        distance = np.sqrt(((np.argwhere(region) - np.array(peak)) ** 2).sum(axis=1)).min()
        assert pointing_hit(heat, region, distance) and (distance == 0 or not pointing_hit(heat, region, distance - 1e-6))


def test_upsampling_is_bilinear_with_pixel_centres_as_worked_out_by_hand():
    # 2x2 -> 4x4: output pixel j samples input coordinate j / 2 - 0.25: -0.25 (edge: 1), 0.25, 0.75, 1.25 (edge: 0)
    profile = np.array([1, 0.75, 0.25, 0])
    np.testing.assert_allclose(upsample(np.array([[1.0, 0], [0, 0]]), (4, 4)), np.outer(profile, profile), atol=1e-7)
    # the quadrant map 8x8 -> 16x16: columns 0..6 are 1, column 7 is 0.75, column 8 is 0.25, then 0 (sum 8)
    full = upsample(QUADRANT, (16, 16))
    np.testing.assert_allclose(full[0], [1] * 7 + [0.75, 0.25] + [0] * 7, atol=1e-7)
    assert upsample(QUADRANT, (16, 8)).shape == (8, 16)  # size is (width, height)


def test_audit_of_a_results_folder_with_upsampled_heatmaps(tmp_path):
    _results(tmp_path / "out", [{"name": n, "heatmap": QUADRANT} for n in ("inside", "outside", "part", "all", "bleed")])
    boxes = _boxes(tmp_path / "boxes.csv", [("inside.png", 0, 0, 9, 9), ("outside.png", 10, 10, 16, 16),
                                            ("part.png", 0, 0, 7, 7), ("all.png", 0, 0, 16, 16),
                                            ("bleed.png", 8, 8, 16, 16)])
    got = _shares(audit_results(tmp_path / "out", boxes=boxes))
    # profile sums: columns 0..8 hold all 8; 0..6 hold 7; 8..15 hold 0.25; 10..15 nothing
    assert got["inside"] == (pytest.approx(1.0, abs=1e-7), True)
    assert got["outside"] == (0.0, False)
    assert got["part"] == (pytest.approx(49 / 64, abs=1e-7), True)  # the peak plateau is rows/columns 0..6
    assert got["all"] == (pytest.approx(1.0, abs=1e-7), True)
    assert got["bleed"] == (pytest.approx((0.25 / 8) ** 2, abs=1e-7), False)


@pytest.fixture(scope="module")
def quadrant_model(keras):
    """A model that sees only the top-left quadrant of an 8x8 image: crop, pad back, a 1x1 identity conv."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 1))
    seen = layers.ZeroPadding2D(((0, 4), (0, 4)))(layers.Cropping2D(((0, 4), (0, 4)))(inputs))
    features = layers.Conv2D(1, 1, use_bias=False, name="features")(seen)
    scores = layers.Dense(2, name="scores")(layers.Flatten()(features))
    model = keras.Model(inputs, scores)
    model.get_layer("features").set_weights([np.ones((1, 1, 1, 1), dtype=np.float32)])
    model.get_layer("scores").set_weights([np.stack([np.full(64, 1 / 16), np.zeros(64)], axis=1).astype(np.float32),
                                           np.zeros(2, dtype=np.float32)])
    return model


def test_a_model_that_looks_only_at_the_top_left_quadrant(tmp_path, quadrant_model):
    # Grad-CAM of class 0 on "features" is relu(w * image * quadrant): the quadrant for a uniform image
    docs = np.full((4, 8, 8, 1), 0.5, dtype=np.float32)
    explanations = eli5.explain_predictions(quadrant_model, docs, targets=[0] * 4, layer="features", progress=False)
    heatmaps = [e.targets[0].heatmap for e in explanations]
    np.testing.assert_allclose(heatmaps[0] / heatmaps[0].max(), QUADRANT, atol=1e-6)
    names = ("inside", "outside", "part", "half")
    _results(tmp_path / "out", [{"name": n, "heatmap": h} for n, h in zip(names, heatmaps)])  # images 16x16
    boxes = _boxes(tmp_path / "boxes.csv", [("inside.png", 0, 0, 9, 9), ("outside.png", 10, 10, 16, 16),
                                            ("part.png", 0, 0, 7, 7), ("half.png", 0, 0, 8, 16)])
    got = _shares(audit_results(tmp_path / "out", boxes=boxes))
    assert got["inside"] == (pytest.approx(1.0, abs=1e-6), True)
    assert got["outside"] == (pytest.approx(0.0, abs=1e-6), False)
    assert got["part"] == (pytest.approx(49 / 64, abs=1e-6), True)
    assert got["half"] == (pytest.approx(7.75 / 8, abs=1e-6), True)  # columns 0..7 of the profile: 7.75 of 8


@pytest.mark.tooling
@pytest.mark.slow
def test_audit_of_what_explain_save_heatmaps_wrote(tmp_path, quadrant_model):
    from eli5_compat.cli import main

    quadrant_model.save(tmp_path / "model.keras")
    (tmp_path / "images").mkdir()
    for name in ("inside", "outside", "part"):  # 16x16, explain resizes them to the model's 8x8
        Image.new("L", (16, 16), 200).save(tmp_path / "images" / "{}.png".format(name))
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    assert main(["explain", str(tmp_path / "model.keras"), str(tmp_path / "images"), "-o", str(out), "--target", "0",
                 "--layer", "features", "--save-heatmaps", "--quiet"]) == 1  # the broken file
    boxes = _boxes(tmp_path / "boxes.csv", [("inside.png", 0, 0, 9, 9), ("outside.png", 10, 10, 16, 16),
                                            ("part.png", 0, 0, 7, 7), ("broken.png", 0, 0, 4, 4)])
    assert audit_cli.run(_parse([out, "--boxes", boxes])) == 1
    report = json.loads((out / "audit" / "audit.json").read_text())
    shares = {Path(i["file"]).stem: (i["energy_share"], i["pointing_hit"]) for i in report["images"]}
    assert shares == {"inside": (pytest.approx(1.0, abs=1e-6), True), "outside": (pytest.approx(0.0, abs=1e-6), False),
                      "part": (pytest.approx(49 / 64, abs=1e-6), True)}
    assert [(Path(p["file"]).name, p["kind"]) for p in report["problems"]] == [("broken.png", "error record")]


def test_masks_equal_to_boxes_give_the_same_numbers(tmp_path):
    heat = np.random.default_rng(0).uniform(0, 1, (4, 4))
    _results(tmp_path / "out", [{"name": n, "heatmap": heat} for n in ("a", "b", "c")], image_size=(12, 10))
    rows = [("a.png", 0, 0, 5, 4), ("b.png", 6, 2, 12, 10), ("c.png", 1, 1, 3, 3), ("c.png", 8, 6, 11, 9)]
    (tmp_path / "masks").mkdir()
    for stem, cuts in {"a": [(0, 4, 0, 5)], "b": [(2, 10, 6, 12)], "c": [(1, 3, 1, 3), (6, 9, 8, 11)]}.items():
        mask = np.zeros((10, 12), dtype=np.uint8)  # rows, columns of the 12x10 image
        for r0, r1, c0, c1 in cuts:
            mask[r0:r1, c0:c1] = 255
        Image.fromarray(mask).save(tmp_path / "masks" / "{}.png".format(stem))
    by_box = audit_results(tmp_path / "out", boxes=_boxes(tmp_path / "boxes.csv", rows))
    by_mask = audit_results(tmp_path / "out", masks=tmp_path / "masks")
    assert len(by_box.images) == 3 and not by_box.problems and not by_mask.problems
    assert _shares(by_box) == _shares(by_mask)


def test_summary_per_class(tmp_path):
    items = [{"name": "a", "heatmap": QUADRANT, "target": 3}, {"name": "b", "heatmap": QUADRANT, "target": 3},
             {"name": "c", "heatmap": QUADRANT, "target": 3}, {"name": "d", "heatmap": QUADRANT, "target": 5}]
    _results(tmp_path / "out", items, image_size=(8, 8))
    boxes = _boxes(tmp_path / "boxes.csv", [("a.png", 0, 0, 4, 4), ("b.png", 4, 4, 8, 8), ("c.png", 0, 0, 2, 4),
                                            ("d.png", 0, 0, 4, 1)])
    out = tmp_path / "audit"
    assert audit_cli.run(_parse([tmp_path / "out", "--boxes", boxes, "-o", out])) == 0
    summary = json.loads((out / "audit.json").read_text())["summary"]
    # class 3: shares 1, 0, 8/16 -> mean 0.5, median 0.5, one hit of three; class 5: 4/16, a miss (tie)
    assert summary[0] == {"class": "3", "count": 3, "energy_mean": pytest.approx(0.5), "energy_median": 0.5,
                          "pointing_accuracy": pytest.approx(1 / 3), "hits": 1}
    assert summary[1] == {"class": "5", "count": 1, "energy_mean": 0.25, "energy_median": 0.25,
                          "pointing_accuracy": 0.0, "hits": 0}
    assert summary[2]["class"] == "all" and summary[2]["count"] == 4 and summary[2]["energy_mean"] == pytest.approx(1.75 / 4)
    lines = (out / "audit.csv").read_text().splitlines()
    assert lines[0] == "class,count,energy_mean,energy_median,pointing_accuracy,hits" and lines[1].startswith("3,3,0.5,0.5,")
    assert len((out / "audit_images.csv").read_text().splitlines()) == 5


def test_labels_restrict_boxes_to_their_class(tmp_path):
    _results(tmp_path / "out", [{"name": "a", "heatmap": QUADRANT, "target": 0},
                                {"name": "b", "heatmap": QUADRANT, "target": 1}], image_size=(8, 8))
    boxes = _boxes(tmp_path / "boxes.csv", [("a.png", 0, 0, 0, 4, 4), ("a.png", 1, 4, 4, 8, 8), ("b.png", 0, 0, 0, 4, 4),
                                            ("b.png", "", 0, 0, 2, 4)], header="file,label,x0,y0,x1,y1")
    audit = audit_results(tmp_path / "out", boxes=boxes)
    assert _shares(audit) == {"a": (1.0, True), "b": (0.5, False)}  # b: only the unlabelled box counts
    assert [b.label for b in read_boxes(boxes)["a.png"]] == [0, 1]


# --- problems are reported, not fatal ------------------------------------------------------------

def test_bad_records_are_counted_and_listed_and_the_rest_is_scored(tmp_path, capsys, monkeypatch):
    items = [{"name": "good", "heatmap": QUADRANT},
             {"name": "failed", "heatmap": None, "record": {"error": "cannot read the image", "target": None}},
             {"name": "unsaved", "heatmap": None},
             {"name": "gone", "heatmap": QUADRANT, "record": {"heatmap": "heatmaps/nothing.npy"}},
             {"name": "nobox", "heatmap": QUADRANT},
             {"name": "noimage", "heatmap": QUADRANT, "record": {"file": str(tmp_path / "nowhere" / "noimage.png")}},
             {"name": "flat", "heatmap": np.zeros((8, 8))},
             {"name": "negative", "heatmap": QUADRANT - 0.5}, {"name": "cube", "heatmap": np.ones((2, 2, 2))}]
    _results(tmp_path / "out", items)
    boxes = _boxes(tmp_path / "boxes.csv", [(n, 0, 0, 8, 8) for n in ("good.png", "failed.png", "unsaved.png",
                                                                      "gone.png", "noimage.png", "flat.png", "negative.png",
                                                                      "cube.png", "stray.png")])
    assert audit_cli.run(_parse([tmp_path / "out", "--boxes", boxes])) == 1
    report = json.loads((tmp_path / "out" / "audit" / "audit.json").read_text())
    assert [Path(i["file"]).stem for i in report["images"]] == ["good"]
    assert report["problem_counts"] == {"box without record": 1, "error record": 1, "missing heatmap": 2,
                                        "missing image": 1, "no region": 1, "empty heatmap": 1, "bad heatmap": 2}
    kinds = {Path(p["file"]).stem: p["kind"] for p in report["problems"]}
    assert kinds == {"stray": "box without record", "failed": "error record", "unsaved": "missing heatmap",
                     "gone": "missing heatmap", "noimage": "missing image", "nobox": "no region",
                     "flat": "empty heatmap", "negative": "bad heatmap", "cube": "bad heatmap"}
    assert "--save-heatmaps" in capsys.readouterr().err
    page = (tmp_path / "out" / "audit" / "report.html").read_text()
    assert "Problems (9)" in page and "nowhere" in page and "non-negative 2-D map" in page
    monkeypatch.setattr(audit_report, "_MAX_PROBLEMS", 4)
    page = audit_report.write_report(audit_results(tmp_path / "out", boxes=boxes), tmp_path / "short.html").read_text()
    # the problems section: the kinds table (header + 7 kinds) and the list (header + the first 4)
    assert "The first 4 of 9 are listed here" in page and page.split("Problems (9)")[1].count("<tr>") == 8 + 5


def test_a_missing_mask_or_one_of_the_wrong_size_is_a_problem(tmp_path, capsys, monkeypatch):
    _results(tmp_path / "out", [{"name": "a", "heatmap": QUADRANT}, {"name": "b", "heatmap": QUADRANT}])
    (tmp_path / "masks").mkdir()
    Image.new("L", (8, 8), 255).save(tmp_path / "masks" / "a.png")
    audit = audit_results(tmp_path / "out", masks=tmp_path / "masks")
    details = sorted(p.detail for p in audit.problems)
    assert "is 8x8 but the image is 16x16" in details[0] and "no mask" in details[1] and not audit.images
    monkeypatch.setattr(audit_cli, "_SHOWN_PROBLEMS", 1)
    assert audit_cli.run(_parse([tmp_path / "out", "--masks", tmp_path / "masks"])) == 1  # nothing scored: still a report
    printed = capsys.readouterr().err
    assert printed.count("not scored: no region") == 1 and "... and 1 more not scored" in printed
    assert json.loads((tmp_path / "out" / "audit" / "audit.json").read_text())["summary"] == [
        {"class": "all", "count": 0, "energy_mean": None, "energy_median": None, "pointing_accuracy": None, "hits": 0}]
    assert "Worst 0 image(s)" in (tmp_path / "out" / "audit" / "report.html").read_text()


def test_the_overlay_gives_the_size_when_the_image_has_moved(tmp_path):
    records = _results(tmp_path / "out", [{"name": "a", "heatmap": QUADRANT}])
    overlay = tmp_path / "out" / "a_overlay.png"
    Image.new("RGBA", (16, 16)).save(overlay)
    records[0].update(file="elsewhere/a.png", overlay="some/old/cwd/a_overlay.png")  # found by name in the folder
    (tmp_path / "out" / "results.json").write_text(json.dumps(records))
    audit = audit_results(tmp_path / "out", boxes=_boxes(tmp_path / "b.csv", [("a.png", 0, 0, 9, 9)]))
    assert audit.images[0].energy_share == pytest.approx(1.0, abs=1e-7) and audit.images[0].image == str(overlay)


@pytest.mark.parametrize("rows, header, message", [
    ([("a.png", 0, 0, 4)], "file,x0,y0,x1", "lacks the column"),
    ([("a.png", 4, 0, 4, 4)], "file,x0,y0,x1,y1", "line 2: a box needs x0 < x1"),
    ([("a.png", 0, 0, "four", 4)], "file,x0,y0,x1,y1", "must be numbers"),
    ([("a.png", "dog", 0, 0, 4, 4)], "file,label,x0,y0,x1,y1", "label must be a class index"),
])
def test_a_bad_boxes_file_is_a_clear_error(tmp_path, capsys, rows, header, message):
    _results(tmp_path / "out", [{"name": "a", "heatmap": QUADRANT}])
    boxes = _boxes(tmp_path / "boxes.csv", rows, header=header)
    with pytest.raises(ValueError, match=message):
        audit_results(tmp_path / "out", boxes=boxes)
    assert audit_cli.run(_parse([tmp_path / "out", "--boxes", boxes])) == 2
    assert message.split(":")[-1].strip() in capsys.readouterr().err


def test_unusable_arguments(tmp_path, capsys):
    assert audit_cli.run(_parse([tmp_path, "--boxes", tmp_path / "b.csv"])) == 2
    assert "no results.json or results.parquet" in capsys.readouterr().err
    _results(tmp_path / "out", [{"name": "a", "heatmap": QUADRANT}])
    (tmp_path / "out" / "sub").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "out" / "sub" / "a.png")
    records = json.loads((tmp_path / "out" / "results.json").read_text())
    records.append(dict(records[0], file=str(tmp_path / "out" / "sub" / "a.png")))
    (tmp_path / "out" / "results.json").write_text(json.dumps(records))
    with pytest.raises(ValueError, match="several files of that name"):
        audit_results(tmp_path / "out", boxes=_boxes(tmp_path / "b.csv", [("a.png", 0, 0, 1, 1)]))
    with pytest.raises(FileNotFoundError, match="no boxes file"):
        audit_results(tmp_path / "out", boxes=tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match="no mask folder"):
        audit_results(tmp_path / "out", masks=tmp_path / "missing")
    with pytest.raises(ValueError, match="exactly one of boxes"):
        audit_results(tmp_path / "out")
    (tmp_path / "out" / "results.json").write_text('{"file": "a.png"}')
    with pytest.raises(ValueError, match="list of records"):
        read_records(tmp_path / "out")
    for argv in (["--boxes", "b.csv", "--masks", "m"], []):
        with pytest.raises(SystemExit):
            _parse([tmp_path / "out"] + argv)
    assert "not allowed with argument" in capsys.readouterr().err


def test_results_parquet_is_read_when_there_is_no_json(tmp_path):
    records = _results(tmp_path / "out", [{"name": "a", "heatmap": QUADRANT}])
    (tmp_path / "out" / "results.json").unlink()
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:  # without pyarrow the message says what to install
        (tmp_path / "out" / "results.parquet").write_bytes(b"PAR1")
        with pytest.raises(ImportError, match="pip install pyarrow"):
            read_records(tmp_path / "out")
        return
    pq.write_table(pyarrow.Table.from_pylist(records), tmp_path / "out" / "results.parquet")
    assert read_records(tmp_path / "out") == records
    audit = audit_results(tmp_path / "out", boxes=_boxes(tmp_path / "b.csv", [("a.png", 0, 0, 9, 9)]))
    assert audit.images[0].energy_share == pytest.approx(1.0, abs=1e-7)


# --- the report -----------------------------------------------------------------------------------

def test_the_html_report_is_self_contained_and_lists_the_worst_images(tmp_path):
    items = [{"name": "img{}".format(k), "heatmap": QUADRANT, "target": k % 2} for k in range(5)]
    _results(tmp_path / "out", items, image_size=(8, 8))
    # energy shares 0/16, 4/16, 8/16, 12/16, 16/16 for img0..img4
    boxes = _boxes(tmp_path / "boxes.csv", [("img{}.png".format(k), 0, 0, k, 4) for k in range(1, 5)]
                   + [("img0.png", 4, 4, 8, 8)])
    assert audit_cli.run(_parse([tmp_path / "out", "--boxes", boxes, "--worst", 2])) == 0
    page = (tmp_path / "out" / "audit" / "report.html").read_text()
    sources = re.findall(r"src='([^']*)'", page)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)  # 2 figures, 2 images
    outside_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "//" not in outside_images and "href" not in outside_images and "<link" not in page and "<script" not in page
    worst = page.split("Worst 2 image(s)")[1].split("Problems")[0]
    assert worst.count("class='card'") == 2
    assert worst.index("img0.png") < worst.index("img1.png") and "img2.png" not in worst
    assert "energy share 0.000, peak outside" in worst and "energy share 0.250" in worst
    assert "None: every record was scored." in page
