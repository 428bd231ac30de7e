"""The folder view follows a real annotation run: the running video's row says how far it is
(decoding, then labelling), then done."""

from __future__ import annotations

import re
import shutil

from PySide6.QtCore import Qt


def test_the_folder_view_follows_a_run(make_window, samples_source, tmp_path, qtbot, annotate_all):
    clip = sorted(samples_source.glob("*.mp4"))[0]
    folder = tmp_path / "one clip"
    folder.mkdir()
    shutil.copy2(clip, folder / clip.name)
    # A fresh feature cache: the video is decoded, so the run has a 'running' stretch to show.
    window = make_window(folder, cache_dir=tmp_path / "cache")
    model = window.folder_view.model
    shown = []
    model.dataChanged.connect(
        lambda first, _last: shown.append(model.data(model.index(first.row(), 2), Qt.DisplayRole))
    )

    summary = annotate_all(window)

    assert "annotated 1 of 1" in summary
    assert shown[0] == "pending", shown  # probed, then started
    percents = [int(m.group(1)) for m in (re.fullmatch(r"running (\d+)%", t) for t in shown) if m]
    # Progress inside the video (the list repaints a few times a second, so not every step
    # is seen), never going back; then its rows follow.
    assert percents and percents == sorted(percents) and 0 < percents[0] < 100, shown
    assert model.data(model.index(0, 2), Qt.DisplayRole) == "done"
    assert model.progress == {}
