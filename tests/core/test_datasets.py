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
    (root / "Annotations.txt").write_text(
        "Category&VideoID&Quality&StartTime&EndTime\n" + "\n".join(lines) + "\n"
    )
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


# ---- only what a person said is truth ---------------------------------------------------------


def _per_second_rows(video, labels, sources):
    from annotator.core.table import truth_table

    table = truth_table(video, float(len(labels)), labels)
    table["source"] = sources
    return table


def test_csv_rows_not_labelled_by_a_person_are_masked_never_background(tmp_path):
    import pandas as pd

    from annotator.core.csv_io import write_per_second_csv

    first = _per_second_rows(
        "a.mp4", ["Bell", "Bell", "Drone", "background"], ["human", "model", "human", "human"]
    )
    second = _per_second_rows("b.mp4", ["Drone", "Drone"], ["model", "model"])
    write_per_second_csv(pd.concat([first, second]), tmp_path / "export.csv")
    labelled = load_spec(tmp_path / "export.csv")
    assert [v.path.name for v in labelled.videos] == ["a.mp4"]  # b has no human row
    video = labelled.videos[0]
    assert video.labels == ["Bell", None, "Drone", "background"]
    assert video.labels_for(6) == ["Bell", None, "Drone", "background", None, None]
    assert labelled.classes == ["Bell", "Drone", "background"]


def test_a_csv_without_any_human_row_says_so(tmp_path):
    from annotator.core.csv_io import write_per_second_csv

    write_per_second_csv(_per_second_rows("a.mp4", ["Bell"], ["model"]), tmp_path / "x.csv")
    with pytest.raises(DataSpecError, match="source=human"):
        load_spec(tmp_path / "x.csv")


def test_complete_truth_pads_with_background(demo_dir):
    video = load_spec(demo_dir).videos[0]
    assert video.complete and video.labels_for(len(video.labels) + 2)[-2:] == ["background"] * 2


def test_a_project_folder_is_a_spec_of_its_human_labels(tmp_path):
    from annotator.core.store import ProjectStore

    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"a.mp4": 5.0, "b.mp4": 3.0, "c.mp4": 4.0})
    store.set_labels("a.mp4", {0: "Bell", 1: "Bell", 4: "background"}, "paint")
    store.set_labels("b.mp4", {2: "Frog"}, "paint")
    store.close()
    for spec in (tmp_path, store.path):
        labelled = load_spec(spec)
        assert labelled.source == str(tmp_path.resolve())
        assert [v.path for v in labelled.videos] == [
            tmp_path.resolve() / "a.mp4",
            tmp_path.resolve() / "b.mp4",
        ]
        assert labelled.videos[0].labels == ["Bell", "Bell", None, None, "background"]
        assert labelled.videos[1].labels == [None, None, "Frog"]
        assert labelled.classes == ["Bell", "Frog", "background"]


def test_a_project_without_labels_is_a_clear_error(tmp_path):
    from annotator.core.store import ProjectStore

    ProjectStore.for_folder(tmp_path).close()
    with pytest.raises(DataSpecError, match="no labelled videos"):
        load_spec(tmp_path)
