"""The real main window, offscreen: annotate the samples, review on the timeline, export.

These read like a session of a user: open the folder, press Annotate all, look at a video, paint
a label with the mouse, undo and redo it, export, and reopen the folder later.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPoint, Qt

from annotator.core.csv_io import read_per_second_csv
from annotator.core.store import PROJECT_DIR_NAME
from annotator.core.table import PER_SECOND_COLUMNS, SEGMENT_COLUMNS, segments_from_table
from annotator.gui.timeline.lanes import (
    AttentionLane,
    AudioLane,
    ConfidenceLane,
    FamiliarityLane,
    HumanLane,
    PredictionLane,
    ThumbnailLane,
)


def _per_second(blocks, seconds):
    """Expand lane blocks back to one value per second."""
    labels, faint = [None] * seconds, [None] * seconds
    for block in blocks:
        for second in range(block.start, block.end):
            labels[second], faint[second] = block.label, block.faint
    return labels, faint


def _confidence_lanes(window):
    lanes = [lane for lane in window.timeline_view.canvas.lanes if isinstance(lane, ConfidenceLane)]
    return {lane.column: lane for lane in lanes}


def test_annotating_the_samples_fills_every_lane_with_the_runs_values(
    make_window, samples, qtbot, annotate_all
):
    from annotator.ml.bundle import load_bundle
    from annotator.ml.pipeline import annotate_video

    window = make_window(samples)
    videos = window.project.names()
    assert videos and all(window.project.entry(v).status == "pending" for v in videos)
    qtbot.waitUntil(lambda: window.timeline.duration > 0, timeout=30_000)  # probed behind
    assert window.timeline.video == videos[0]

    summary = annotate_all(window)

    assert f"annotated {len(videos)} of {len(videos)}" in summary
    assert all(window.project.entry(v).status == "done" for v in videos)
    assert all(window.project.entry(v).main_label for v in videos)
    name = videos[-1]
    window.folder_view.select(name)
    qtbot.waitUntil(
        lambda: window.timeline.video == name and window.timeline.preview_complete(),
        timeout=30_000,
    )

    bundle = load_bundle(window.bundle_panel.current().path)
    run = annotate_video(window.project.entry(name).path, bundle, video_name=name)
    table, seconds = run.table, len(run.table)
    view = window.timeline_view
    labels, faint = _per_second(view.lane(PredictionLane).blocks(window.timeline), seconds)
    assert labels == list(table["label"])
    assert faint == list(table["confidence"] < window.timeline.threshold)
    lanes = _confidence_lanes(window)
    for column in ("audio_confidence", "visual_confidence"):
        np.testing.assert_allclose(
            lanes[column].values(window.timeline), table[column].to_numpy(float), rtol=1e-5
        )
    if run.attention is not None:
        np.testing.assert_allclose(
            view.lane(AttentionLane).weights(window.timeline), run.attention, rtol=1e-5
        )
    # The familiarity the run computed travelled through the child process and the store.
    np.testing.assert_allclose(
        view.lane(FamiliarityLane).values(window.timeline), run.familiarity, rtol=1e-6
    )
    assert view.lane(HumanLane).blocks(window.timeline) == []
    preview = window.timeline.preview  # the pictures and sound, read from the tile pyramid
    assert preview.layout.seconds == seconds
    assert all(preview.picture(0, s) is not None for s in range(seconds))
    envelope, mel = preview.sound(0, 0, seconds * 100)
    assert len(envelope) == pytest.approx(run.info.duration * 100, abs=100)
    assert mel.shape == (len(envelope), 64)
    assert isinstance(view.lane(AudioLane), AudioLane) and view.lane(ThumbnailLane)
    assert not window.grab().isNull()  # every lane paints with real data


def _drag(qtbot, canvas, lane_kind, first: int, last: int) -> None:
    """Press on second `first` of a lane, move to `last`, release."""
    rect = next(r for lane, r in canvas.lane_rects() if isinstance(lane, lane_kind))
    axis = canvas.axis()
    y = rect.center().y()
    start, end = QPoint(int(axis.x(first + 0.5)), y), QPoint(int(axis.x(last + 0.5)), y)
    qtbot.mousePress(canvas, Qt.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=end)


def _stored_human_labels(folder, video):
    with sqlite3.connect(folder / PROJECT_DIR_NAME / "project.sqlite") as db:
        return dict(db.execute("SELECT second, label FROM human_labels WHERE video=?", (video,)))


def test_paint_undo_redo_export_and_reopen(make_window, annotated, settings, qtbot, tmp_path):
    window = make_window(annotated)
    name = window.project.names()[0]
    window.folder_view.select(name)
    label = window.timeline.classes[1]
    window.timeline.set_active_label(label)
    canvas = window.timeline_view.canvas

    _drag(qtbot, canvas, HumanLane, 2, 4)

    painted = {2: label, 3: label, 4: label}
    assert window.timeline.human == painted
    assert _stored_human_labels(annotated, name) == painted  # on disk the moment it is made
    window.actions["undo"].trigger()
    assert window.timeline.human == {} and _stored_human_labels(annotated, name) == {}
    window.actions["redo"].trigger()
    assert window.timeline.human == painted and _stored_human_labels(annotated, name) == painted
    blocks = window.timeline_view.lane(HumanLane).blocks(window.timeline)
    assert [(b.start, b.end, b.label) for b in blocks] == [(2, 5, label)]

    out = tmp_path / "exports" / "current.csv"
    segments = tmp_path / "exports" / "current-segments.csv"
    assert window.export("current", out, segments)

    expected = window.project.store.predictions(name)
    expected["video"] = f"../annotated/{name}"
    edited = expected["second"].isin(list(painted))
    expected.loc[edited, ["label", "confidence", "source"]] = [label, 1.0, "human"]
    exported = read_per_second_csv(out)
    pd.testing.assert_frame_equal(
        exported, expected[PER_SECOND_COLUMNS], check_dtype=False, atol=1e-3
    )
    assert list(exported.loc[exported["source"] == "human", "second"]) == [2, 3, 4]
    written_segments = pd.read_csv(segments, keep_default_na=False)
    expected_segments = segments_from_table(expected)
    assert list(written_segments.columns) == SEGMENT_COLUMNS
    assert list(written_segments["label"]) == list(expected_segments["label"])
    assert list(written_segments["start"]) == pytest.approx(list(expected_segments["start"]))
    assert "Exported" in window.statusBar().currentMessage()

    predictions = window.project.store.predictions(name)
    window.close()
    again = make_window(annotated)
    again.folder_view.select(name)
    assert again.timeline.human == painted
    pd.testing.assert_frame_equal(again.timeline.predictions.reset_index(drop=True), predictions)
    assert again.project.entry(name).status == "done"


def test_keys_label_jump_and_undo(make_window, annotated, qtbot):
    window = make_window(annotated)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    name = window.project.names()[0]
    window.folder_view.select(name)
    window.timeline.seek(3.5)
    first_class = window.timeline.classes[0]

    qtbot.keyClick(window, Qt.Key_1)
    assert window.timeline.human == {3: first_class}
    qtbot.keyClick(window, Qt.Key_Right)
    qtbot.keyClick(window, Qt.Key_0)
    assert window.timeline.human == {3: first_class, 4: "background"}
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert window.timeline.human == {3: first_class}

    window.timeline.set_threshold(1.0)  # every unreviewed second is doubtful now
    window.timeline.seek(0.0)
    qtbot.keyClick(window, Qt.Key_N)
    assert window.timeline.cursor_second() == 1
    qtbot.keyClick(window, Qt.Key_BracketLeft)
    assert window.timeline.threshold == pytest.approx(0.95)
    assert window.threshold.value() == pytest.approx(0.95)
    qtbot.keyClick(window, Qt.Key_W)
    assert window.timeline.audio_view == "spectrogram"
    assert not window.grab().isNull()


def test_resume_skips_done_videos_unless_asked_and_cancel_stops(make_window, annotated, qtbot):
    window = make_window(annotated)
    messages = []
    window.annotation.message.connect(messages.append)
    assert not window.annotate_all()
    assert "already annotated" in messages[-1]

    with qtbot.waitSignal(window.annotation.runFinished, timeout=60_000) as run:
        assert window.annotate_all(again=True)
        window.annotation.cancel()
    assert run.args[0].startswith("Cancelled")
    assert all(window.project.entry(v).status == "done" for v in window.project.names())
    assert window.annotation_panel.all_button.isEnabled()


def test_bad_inputs_are_explained_not_fatal(make_window, samples, tmp_path, qtbot):
    (samples / "notes.mp4").write_text("this is not a video\n")
    window = make_window()
    assert not window.open_folder(tmp_path / "no such folder")
    assert "not a folder" in window.statusBar().currentMessage()
    window._message_box.close()

    assert window.open_folder(samples)
    qtbot.waitUntil(lambda: window.project.entry("notes.mp4").status == "failed", timeout=30_000)
    assert "not a video file" in window.project.entry("notes.mp4").reason
    window.folder_view.select("notes.mp4")
    assert "not a video file" in window.statusBar().currentMessage()
    assert not window.review.accept()  # nothing to accept, and no crash
    assert not window.export("current", tmp_path / "x.csv")
    assert "Nothing to export" in window.statusBar().currentMessage()
    window._message_box.close()


def test_playback_never_hangs_or_crashes(make_window, annotated, qtbot):
    window = make_window(annotated)
    window.folder_view.select(window.project.names()[0])
    window.actions["play"].trigger()
    qtbot.wait(800)
    window.actions["play"].trigger()
    moved = window.timeline.cursor > 0
    explained = "Playback" in window.statusBar().currentMessage() or window.player.unavailable
    assert moved or explained or window.player.player is not None
    window.timeline.seek(2.0)
    assert window.timeline.cursor == 2.0


def test_layout_and_recent_folders_are_remembered(make_window, annotated, settings):
    window = make_window(annotated)
    window.resize(790, 640)
    window.timeline.set_threshold(0.7)
    window.close()
    again = make_window()
    assert (again.size().width(), again.size().height()) == (790, 640)
    assert again.timeline.threshold == pytest.approx(0.7)
    recent = [action.text() for action in again.recent_menu.actions()]
    assert recent == [str(annotated.resolve())]


def test_a_long_session_of_signals_does_not_crash(make_window, annotated):
    """PySide6 6.12.0 on Python 3.11 loses a reference to True on every emit; the window must
    survive far more emits than True has references (playback moves the cursor 20 times a
    second)."""
    window = make_window(annotated)
    window.folder_view.select(window.project.names()[0])
    for step in range(20_000):  # without the guard, True has about 5 000 references here
        window.timeline.set_cursor((step % 90) / 10)
    assert window.timeline.cursor >= 0


def test_help_lists_every_shortcut_the_window_binds(make_window):
    import html

    from annotator.gui.shortcuts import SHORTCUTS, ShortcutsDialog, reference_html

    window = make_window()
    dialog = ShortcutsDialog(window)
    reference = reference_html()
    for ident, keys, text, _group in SHORTCUTS:
        assert html.escape(keys) in reference and html.escape(text) in reference
        if ident in window.actions:
            assert window.actions[ident].shortcut().toString() != ""
    dialog.close()


def test_cancel_mid_video_then_resume_the_rest(make_window, samples, qtbot, annotate_all):
    window = make_window(samples)
    videos = window.project.names()
    progress = []
    window.annotation.videoProgress.connect(lambda name, fraction: progress.append(name))
    with qtbot.waitSignal(window.annotation.runFinished, timeout=180_000) as run:
        assert window.annotate_all()
        qtbot.waitUntil(lambda: bool(progress), timeout=120_000)  # inside the first video
        window.annotation.cancel()
    assert run.args[0].startswith("Cancelled")
    statuses = [window.project.entry(v).status for v in videos]
    assert "running" not in statuses and statuses.count("done") < len(videos)

    remaining = statuses.count("pending")
    summary = annotate_all(window)
    assert f"annotated {remaining} of {remaining}" in summary
    assert all(window.project.entry(v).status == "done" for v in videos)
