"""--resume's test of "finished": the per-image record files the Ray actors write (no Ray needed)."""
import pytest

from eli5_compat._explain_files import ExplainOptions, ImageResult
from eli5_compat.ray import _records

pytestmark = [pytest.mark.tooling]


def _row(out, name="a", rank=1, heatmap=None, **more):
    fields = dict(target=2, score=0.5, rank=rank, layer="conv", overlay=str(out / (name + ".png")), heatmap_min=0.0,
                  heatmap_max=1.0, heatmap_mean=0.5, peak_row=1, peak_col=2, heatmap=heatmap, method="gradcam")
    fields.update(more)
    return ImageResult("photos/{}.jpg".format(name), **fields)


def test_finished_only_when_every_output_of_the_same_options_exists(tmp_path):
    out = tmp_path
    (out / "a.png").write_bytes(b"png")
    _records.write_records(out, [_row(out), ImageResult("photos/bad.jpg", error="cannot read the image")])
    assert sorted(p.name for p in (out / "records").iterdir()) == ["a.json"], "failed images are redone"
    rows = _records.finished(out, "photos/a.jpg", ExplainOptions())
    assert rows == [_row(out)]
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(method="layercam")) is None
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(top=2)) is None
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(target=2)) == [_row(out)]
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(target=3)) is None
    assert _records.finished(out, "other/a.jpg", ExplainOptions()) is None, "another image with the same name"
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(save_heatmaps=True)) is None, "no heatmap saved"
    (out / "a.png").unlink()
    assert _records.finished(out, "photos/a.jpg", ExplainOptions()) is None, "its overlay is gone"


def test_heatmaps_and_unreadable_record_files(tmp_path):
    out = tmp_path
    (out / "a.png").write_bytes(b"png")
    (out / "heatmaps").mkdir()
    _records.write_records(out, [_row(out, heatmap="heatmaps/a.npy")])
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(save_heatmaps=True)) is None
    (out / "heatmaps" / "a.npy").write_bytes(b"npy")
    assert _records.finished(out, "photos/a.jpg", ExplainOptions(save_heatmaps=True)) == [_row(out, heatmap="heatmaps/a.npy")]
    (out / "records" / "a.json").write_text('[{"file": "photos/a.jpg", "targ')
    assert _records.finished(out, "photos/a.jpg", ExplainOptions()) is None
    (out / "records" / "a.json").write_text('[{"file": "photos/a.jpg", "unknown_field": 1}]')
    assert _records.finished(out, "photos/a.jpg", ExplainOptions()) is None
    assert _records.finished(out, "photos/never.jpg", ExplainOptions()) is None
    assert [p.name for p in (out / "records").iterdir()] == ["a.json"], "no temporary files left"
