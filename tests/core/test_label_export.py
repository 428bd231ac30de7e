"""The app's CSV export goes through core.label_export and the formats' writers, as every other
export does: one ExportResult, the video paths relative to each written file."""

from __future__ import annotations

import pandas as pd

from annotator.core.csv_io import read_per_second_csv
from annotator.core.label_export import export_labels, export_reviewed_csv
from annotator.core.store import ProjectStore


def test_the_apps_csv_export_keeps_every_second_and_writes_segments(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    store = ProjectStore.for_folder(folder)
    store.add_videos({"a.mp4": 6.0, "b.mp4": 4.0})
    store.set_labels("a.mp4", {2: "Sparkler", 3: "Sparkler"}, "paint")
    out = tmp_path / "out" / "annotations.csv"
    out.parent.mkdir()
    paths = {name: folder / name for name in ("a.mp4", "b.mp4")}
    result = export_reviewed_csv(store, ["a.mp4", "b.mp4"], paths, out, out.with_name("seg.csv"))
    assert result.files == [out, out.with_name("seg.csv")]
    assert (result.videos, result.skipped, result.rows) == (["a.mp4"], ["b.mp4"], 6)
    assert result.summary() == (
        f"Exported 6 rows of 1 video(s) to {out} and seg.csv; skipped 1 with no labels yet"
    )
    rows = read_per_second_csv(out)
    assert set(rows["video"]) == {"../videos/a.mp4"}
    # a SPEC needs every second labelled: the seconds no one labelled keep the store's filler
    assert list(rows["label"]) == ["background"] * 2 + ["Sparkler"] * 2 + ["background"] * 2
    assert list(rows["source"]) == ["model"] * 2 + ["human"] * 2 + ["model"] * 2
    segments = pd.read_csv(out.with_name("seg.csv"))
    assert segments[["label", "start", "end", "source"]].values.tolist() == [
        ["Sparkler", 2.0, 4.0, "human"]
    ]
    store.close()
    # the `csv` format of `export` leaves them unlabelled: nobody said background there
    cli = export_labels(folder, "csv", tmp_path / "cli.csv")
    assert list(read_per_second_csv(cli.files[0])["label"].fillna("")) == (
        [""] * 2 + ["Sparkler"] * 2 + [""] * 2
    )
