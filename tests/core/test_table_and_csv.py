import numpy as np
import pandas as pd
import pytest

from annotator.core.csv_io import read_per_second_csv, write_per_second_csv, write_segments_csv
from annotator.core.table import (
    PER_SECOND_COLUMNS,
    build_table,
    count_seconds,
    second_spans,
    segments_from_table,
    truth_table,
)

CLASSES = ["bark", "bell", "background"]


def test_a_7_4_second_video_has_8_rows_ending_at_its_duration():
    assert count_seconds(7.4) == 8
    assert count_seconds(10.0) == 10
    assert count_seconds(10.0000001) == 10
    assert count_seconds(0.3) == 1
    spans = second_spans(7.4)
    assert spans[0] == (0.0, 1.0) and spans[-1] == (7.0, 7.4)


def test_build_table_has_the_contracted_columns_and_argmax_labels():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    table = build_table("a.mp4", 1.5, CLASSES, probs, audio_probs=probs[::-1], model="m@1")
    assert list(table.columns) == PER_SECOND_COLUMNS
    assert table["label"].tolist() == ["bark", "background"]
    assert table["confidence"].tolist() == pytest.approx([0.7, 0.8])
    assert table["audio_label"].tolist() == ["background", "bark"]
    assert table["visual_label"].tolist() == ["", ""]
    assert table["visual_confidence"].isna().all()
    assert table["end"].tolist() == [1.0, 1.5]


def test_build_table_refuses_a_row_count_that_does_not_match_the_duration():
    with pytest.raises(ValueError, match="2 probability rows for 3 seconds"):
        build_table("a.mp4", 2.5, CLASSES, np.ones((2, 3)) / 3)


def test_segments_merge_runs_of_equal_event_labels():
    table = truth_table("a.mp4", 6, ["background", "bark", "bark", "background", "bell", "bell"])
    segments = segments_from_table(table)
    assert segments[["label", "start", "end"]].values.tolist() == [
        ["bark", 1.0, 3.0],
        ["bell", 4.0, 6.0],
    ]
    assert set(segments["source"]) == {"human"}


def test_csv_round_trip_is_exact_and_formula_safe(tmp_path):
    table = truth_table("=cmd|' /C calc'!A0.mp4", 3, ["+bad", "@label", "background"])
    path = write_per_second_csv(table, tmp_path / "out.csv")
    text = path.read_text(encoding="utf-8")
    assert "\n'=cmd" in text and ",'+bad," in text and ",'@label," in text
    back = read_per_second_csv(path)
    assert back["video"].iloc[0] == "=cmd|' /C calc'!A0.mp4"
    assert back["label"].tolist() == ["+bad", "@label", "background"]
    pd.testing.assert_frame_equal(
        back[["second", "start", "end"]], table[["second", "start", "end"]]
    )


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    table = truth_table("a.mp4", 2, ["bark", "bark"])
    write_segments_csv(segments_from_table(table), tmp_path / "seg.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["seg.csv"]
    assert (tmp_path / "seg.csv").read_text().splitlines()[
        0
    ] == "video,label,start,end,confidence,source"
