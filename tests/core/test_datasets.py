import pytest

from annotator.core.datasets import load_spec, parse_ave_lines
from annotator.core.errors import DataSpecError


def _write_ave_fixture(root, clip_names):
    """A tiny AVE root in exactly the published layout, pointing at demo clips."""
    (root / "AVE").mkdir(parents=True)
    lines = []
    for index, name in enumerate(clip_names):
        video_id = f"vid{index:02d}XYZ_"
        (root / "AVE" / f"{video_id}.mp4").symlink_to(name)
        lines.append(f"Church bell&{video_id}&good&{index % 3}&10")
    lines.append("Bark&vid00XYZ_&bad&0&2")  # a second event on the same video
    (root / "Annotations.txt").write_text("Category&VideoID&Quality&StartTime&EndTime\n"
                                          + "\n".join(lines) + "\n")
    (root / "trainSet.txt").write_text("\n".join(lines[:2]) + "\n")
    (root / "valSet.txt").write_text(lines[2] + "\n")
    (root / "testSet.txt").write_text(lines[3] + "\n")


def test_ave_root_gives_per_second_labels_and_splits(tmp_path, demo_dir):
    clips = sorted(demo_dir.glob("*.mp4"))[:4]
    _write_ave_fixture(tmp_path / "ave", clips)
    labelled = load_spec(tmp_path / "ave")
    assert labelled.classes == ["Bark", "Church bell", "background"]
    first = next(v for v in labelled.videos if v.path.name == "vid00XYZ_.mp4")
    assert first.labels[:3] == ["Bark", "Bark", "Church bell"]
    assert [v.split for v in labelled.videos] == ["train", "train", "val", "test"]
    second = next(v for v in labelled.videos if v.path.name == "vid01XYZ_.mp4")
    assert second.labels == ["background"] + ["Church bell"] * 9


def test_malformed_ave_line_names_file_and_line(tmp_path):
    bad = tmp_path / "Annotations.txt"
    bad.write_text("Church bell&abc&good&0\n")
    with pytest.raises(DataSpecError, match=r"Annotations.txt:1: expected"):
        parse_ave_lines(bad)


def test_demo_folder_is_a_spec_with_dropout_info(demo_dir):
    labelled = load_spec(demo_dir)
    assert len(labelled.videos) == 12
    assert labelled.classes[-1] == "background" and len(labelled.classes) <= 9
    assert all(v.path.exists() for v in labelled.videos)


def test_not_a_spec_is_a_clear_error(tmp_path):
    with pytest.raises(DataSpecError, match="not a SPEC"):
        load_spec(tmp_path)
