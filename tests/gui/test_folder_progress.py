"""The folder view follows a real annotation run: the running video's row shows its progress."""

from __future__ import annotations

import re
import shutil

from PySide6.QtCore import Qt


def test_the_folder_view_shows_the_running_videos_percentage(
    make_window, samples_source, tmp_path, qtbot, annotate_all
):
    clip = sorted(samples_source.glob("*.mp4"))[0]
    folder = tmp_path / "one clip"
    folder.mkdir()
    shutil.copy2(clip, folder / clip.name)
    # A fresh feature cache: a cached video is labelled at once, without progress to show.
    window = make_window(folder, cache_dir=tmp_path / "cache")
    model = window.folder_view.model
    shown = []
    model.dataChanged.connect(
        lambda first, _last: shown.append(model.data(model.index(first.row(), 2), Qt.DisplayRole))
    )

    summary = annotate_all(window)

    assert "annotated 1 of 1" in summary
    assert shown[:2] == ["pending", "running"], shown  # started, before its first second
    percents = [int(m.group(1)) for m in (re.fullmatch(r"running (\d+)%", t) for t in shown) if m]
    assert len(percents) > 1 and percents == sorted(percents) and percents[-1] > 0, shown
    assert model.data(model.index(0, 2), Qt.DisplayRole) == "done"
    assert model.progress == {}
