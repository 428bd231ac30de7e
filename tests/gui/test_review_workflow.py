"""Where a real reviewer tripped, in the real window (offscreen): the paused picture, choosing a
label, segment edges, N and D across videos and backwards, playback keys, and export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QDialog, QMessageBox

from annotator.core.csv_io import read_per_second_csv
from annotator.gui.export import ExportDialog, interchange_formats
from annotator.gui.timeline.lanes import HumanLane


def _active(window, qtbot):
    """Keys go to the active window only: make it so, as a click on it would."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    return window


def _picture(window, qtbot, seconds: float):
    """The picture the player shows once the one for `seconds` has been decoded."""
    still = window.player.still
    qtbot.waitUntil(
        lambda: still.time is not None and abs(still.time - seconds) < 1e-6, timeout=30_000
    )
    return still.picture


def _shown(picture) -> bool:
    """A real picture: present and not all black (the sample clips are not black)."""
    return picture is not None and picture.ndim == 3 and int(picture.max()) > 40


def test_the_picture_at_the_cursor_shows_when_paused(make_window, annotated, qtbot):
    window = _active(make_window(annotated), qtbot)
    first, other = window.project.names()[:2]
    window.folder_view.select(first)
    assert _shown(_picture(window, qtbot, 0.0))  # on selecting a video
    assert window.player.still.isVisible()

    window.timeline.seek(4.3)  # a click on the timeline
    at_four = _picture(window, qtbot, 4.3)
    assert _shown(at_four)
    window.timeline.set_threshold(1.0)  # every second is doubtful
    qtbot.keyClick(window, Qt.Key_N)  # a jump
    assert window.timeline.cursor_second() == 5 and _shown(_picture(window, qtbot, 5.0))
    qtbot.keyClick(window, Qt.Key_Period)  # a frame step
    fps = window.player.frame_rate()
    assert _shown(_picture(window, qtbot, 5.0 + 1 / fps))
    window.timeline.seek(window.timeline.duration)  # the end (where playback stops)
    assert _shown(_picture(window, qtbot, window.timeline.duration))

    window.folder_view.select(other)  # another video, from its start
    assert _shown(_picture(window, qtbot, 0.0))
    if window.player.player is None:
        silent = True  # no Qt Multimedia here
    else:
        from PySide6.QtMultimedia import QMediaDevices

        silent = not QMediaDevices.audioOutputs()
    assert ("no sound output" in window.player.sound_notice) == silent
    assert window.review_status.sound.isVisibleTo(window) == silent


def test_a_palette_click_chooses_the_label_and_labels_nothing(make_window, annotated, qtbot):
    window = make_window(annotated)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    name = window.project.names()[0]
    window.folder_view.select(name)
    window.timeline.seek(2.5)
    labels_before = window.project.store.human_labels(name)
    qtbot.wait(50)
    palette = window.palette
    inside = window.rect()
    for label, button in palette.buttons.items():  # every class reachable at 1024x700
        corner = button.mapTo(window, QPoint(0, 0))
        assert button.isVisible() and inside.contains(QRect(corner, button.size())), label
        assert (
            palette.area.viewport()
            .rect()
            .contains(QRect(button.mapTo(palette.area.viewport(), QPoint(0, 0)), button.size()))
        ), label

    chosen = [c for c in window.timeline.classes if c != "background"][-1]
    qtbot.mouseClick(palette.buttons[chosen], Qt.LeftButton)
    assert window.timeline.active_label == chosen
    assert chosen in palette.active_chip.text()
    assert window.timeline.human == {} and window.project.store.human_labels(name) == labels_before
    assert window.review.undo_stack().count() == 0


def _drag(qtbot, canvas, first: float, last: float) -> None:
    """Press on the Human lane at time `first`, move to `last`, release."""
    rect = next(r for lane, r in canvas.lane_rects() if isinstance(lane, HumanLane))
    axis, y = canvas.axis(), rect.center().y()
    start, end = QPoint(round(axis.x(first)), y), QPoint(round(axis.x(last)), y)
    qtbot.mousePress(canvas, Qt.LeftButton, pos=start)
    qtbot.mouseMove(canvas, QPoint((start.x() + end.x()) // 2, y))
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=end)


def test_dragging_a_segment_edge_resizes_it_both_ways(make_window, annotated, qtbot):
    window = make_window(annotated)
    window.folder_view.select(window.project.names()[0])
    label = window.timeline.classes[1]
    assert window.review.paint(2, 5, label)
    canvas = window.timeline_view.canvas

    def segment():
        return [
            (b.start, b.end) for b in window.timeline_view.lane(HumanLane).blocks(window.timeline)
        ]

    _drag(qtbot, canvas, 5.0, 3.0)  # the right edge inwards: shorter
    assert segment() == [(2, 3)]
    _drag(qtbot, canvas, 3.0, 7.0)  # and outwards: longer
    assert segment() == [(2, 7)]
    _drag(qtbot, canvas, 2.0, 4.0)  # the left edge inwards
    assert segment() == [(4, 7)]
    _drag(qtbot, canvas, 4.0, 1.0)  # and outwards
    assert segment() == [(1, 7)]
    assert window.project.store.human_labels(window.timeline.video) == {
        s: label for s in range(1, 7)
    }
    window.actions["undo"].trigger()
    assert segment() == [(4, 7)] and "Undone: Resize" in window.statusBar().currentMessage()


def test_n_and_d_go_on_into_the_next_videos_and_back(make_window, annotated, qtbot):
    window = _active(make_window(annotated), qtbot)
    names = window.project.names()
    window.folder_view.select(names[0])
    timeline = window.timeline
    timeline.set_threshold(1.0)  # every second no one labelled is doubtful
    last = timeline.seconds - 1
    timeline.seek(last + 0.5)
    qtbot.keyClick(window, Qt.Key_N)
    assert timeline.video == names[1] and timeline.cursor_second() == 0
    qtbot.keyClick(window, Qt.Key_N, Qt.ShiftModifier)
    assert timeline.video == names[0] and timeline.cursor_second() == last
    qtbot.keyClick(window, Qt.Key_N, Qt.ShiftModifier)
    assert timeline.cursor_second() == last - 1
    timeline.seek(0.2)
    qtbot.keyClick(window, Qt.Key_N, Qt.ShiftModifier)  # before the first: the last video's end
    assert timeline.video == names[-1] and timeline.cursor_second() == timeline.seconds - 1

    def disagreements(name):
        table = window.project.predictions(name)
        return [
            int(s)
            for s, a, v in zip(table["second"], table["audio_label"], table["visual_label"])
            if a and v and a != v
        ]

    with_some = [n for n in names if disagreements(n)]
    if len(with_some) < 2:
        pytest.skip("the samples' predictions disagree in fewer than two videos")
    window.folder_view.select(with_some[0])
    timeline.seek(disagreements(with_some[0])[-1] + 0.5)
    qtbot.keyClick(window, Qt.Key_D)
    assert (timeline.video, timeline.cursor_second()) == (
        with_some[1],
        disagreements(with_some[1])[0],
    )
    qtbot.keyClick(window, Qt.Key_D, Qt.ShiftModifier)
    assert (timeline.video, timeline.cursor_second()) == (
        with_some[0],
        disagreements(with_some[0])[-1],
    )


def test_segment_keys_speed_mute_and_undo_say_what_they_did(make_window, annotated, qtbot):
    window = _active(make_window(annotated), qtbot)
    window.folder_view.select(window.project.names()[0])
    timeline = window.timeline
    label = timeline.classes[0]
    window.review.paint(6, 8, label)
    window.review.paint(2, 4, label)
    timeline.seek(0.0)
    qtbot.keyClick(window, Qt.Key_Right, Qt.ControlModifier)
    first_start = timeline.cursor_second()
    assert timeline.label_at(first_start) != "background"
    assert first_start == 0 or timeline.label_at(first_start - 1) != timeline.label_at(first_start)
    timeline.seek(7.5)
    qtbot.keyClick(window, Qt.Key_Left, Qt.ControlModifier)
    assert timeline.cursor_second() == 6
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key_Greater)
    assert window.player.speed == 2.0
    for _ in range(9):
        qtbot.keyClick(window, Qt.Key_Less)
    assert window.player.speed == 0.25
    qtbot.keyClick(window, Qt.Key_M, Qt.ControlModifier)
    assert window.player.muted
    qtbot.keyClick(window, Qt.Key_Down, Qt.ControlModifier)
    assert window.player.volume == pytest.approx(0.9)
    window.actions["undo"].trigger()
    assert window.statusBar().currentMessage() == "Undone: Paint " + label + " 2–4 s"
    window.actions["redo"].trigger()
    assert window.statusBar().currentMessage() == "Redone: Paint " + label + " 2–4 s"


def _answer(dialog, button):
    """Answer the dialog's 'Replace files?' question once it is asked."""

    def click():
        dialog.confirm_box.button(button).click()

    QTimer.singleShot(0, click)


def test_export_asks_before_replacing_and_follows_the_per_second_path(
    make_window, annotated, tmp_path
):
    window = make_window(annotated)
    dialog = ExportDialog(annotated, False, 0, window, formats=interchange_formats())
    per_second = tmp_path / "out" / "labels.csv"
    dialog.per_second.setText(str(per_second))
    assert Path(dialog.segments.text()) == tmp_path / "out" / "labels-segments.csv"
    per_second.parent.mkdir()
    per_second.write_text("an earlier export\n")
    _answer(dialog, QMessageBox.No)
    dialog.accept()
    assert dialog.result() != QDialog.Accepted  # kept open to choose another place
    _answer(dialog, QMessageBox.Yes)
    dialog.accept()
    assert dialog.result() == QDialog.Accepted
    choice = dialog.choice()
    assert (choice.scope, choice.format, choice.path) == ("all", "csv", per_second)
    dialog.segments.setText(str(tmp_path / "elsewhere.csv"))
    dialog.segments.textEdited.emit("elsewhere.csv")  # typed by the user: it stays
    dialog.per_second.setText(str(tmp_path / "again.csv"))
    assert Path(dialog.segments.text()) == tmp_path / "elsewhere.csv"
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("eaf"))  # another format
    assert dialog.choice().format == "eaf" and dialog.choice().segments is None


def test_both_exported_files_name_videos_relative_to_their_own_folder(
    make_window, annotated, tmp_path
):
    window = make_window(annotated)
    per_second = tmp_path / "a" / "labels.csv"
    segments = tmp_path / "b" / "deeper" / "segments.csv"
    segments.parent.mkdir(parents=True)
    assert window.export("all", per_second, segments)
    expected = {(annotated / name).resolve() for name in window.project.names()}
    rows = read_per_second_csv(per_second)
    assert {(per_second.parent / v).resolve() for v in rows["video"]} == expected
    runs = pd.read_csv(segments, keep_default_na=False)
    assert len(runs) and {(segments.parent / v).resolve() for v in runs["video"]} <= expected
    assert not any(Path(v).is_absolute() for v in runs["video"])


def test_after_playback_ends_the_last_picture_stays(make_window, annotated, qtbot):
    """Needs Qt Multimedia (on Linux, libpulse0); where it cannot load, the other tests cover
    the paused picture and this one has nothing to play."""
    window = _active(make_window(annotated), qtbot)
    player = window.player
    if player.player is None:
        pytest.skip(player.unavailable)
    shortest = min(window.project.names(), key=lambda n: window.project.entry(n).duration or 99)
    window.folder_view.select(shortest)
    assert _shown(_picture(window, qtbot, 0.0))
    player.set_speed(4.0)
    window.timeline.seek(window.timeline.duration - 1.5)
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(player.is_playing, timeout=10_000)
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=30_000)
    assert window.timeline.cursor == pytest.approx(window.timeline.duration)
    assert _shown(_picture(window, qtbot, window.timeline.duration))
    assert player.still.isVisible()
    qtbot.keyClick(window, Qt.Key_Space)  # from the end: plays from the start
    qtbot.waitUntil(player.is_playing, timeout=10_000)
    assert window.timeline.cursor < 2.0
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=10_000)
    paused_at = window.timeline.cursor
    assert _shown(_picture(window, qtbot, paused_at))


def test_the_interchange_formats_plug_into_the_export_dialog(request, tmp_path):
    formats = interchange_formats()
    assert {"dcase", "eaf", "audacity", "boris", "labelstudio"} <= set(formats)
    annotated = request.getfixturevalue("annotated")  # only now: it annotates the samples
    window = request.getfixturevalue("make_window")(annotated)
    dialog = ExportDialog(annotated, False, 0, window, formats=formats)
    assert [dialog.format_box.itemData(i) for i in range(dialog.format_box.count())] == [
        "csv",
        *formats,
    ]
    out = tmp_path / "events.tsv"
    assert window.export_in_format("all", "dcase", out)
    assert out.exists() and "xported" in window.statusBar().currentMessage()
