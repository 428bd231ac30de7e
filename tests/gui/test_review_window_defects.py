"""Where a reviewer tripped in the real window (issue 20), each driven with the mouse and keys in
the real window offscreen, on copies of the sample clips."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from annotator.gui.timeline.lanes import PredictionLane, RulerLane

pytestmark = pytest.mark.gui


def _ready(window, qtbot, name=None):
    """Activate the window and show a video (the first by default) with its duration known."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    name = name or window.project.names()[0]
    window.folder_view.select(name)
    qtbot.waitUntil(
        lambda: window.timeline.video == name and window.timeline.duration > 0, timeout=30_000
    )
    return name


def _point(canvas, lane_kind, seconds: float) -> QPoint:
    rect = next(r for lane, r in canvas.lane_rects() if isinstance(lane, lane_kind))
    return QPoint(int(canvas.axis().x(seconds)), rect.center().y())


def _drag(qtbot, canvas, lane_kind, first: float, last: float) -> None:
    start, end = _point(canvas, lane_kind, first), _point(canvas, lane_kind, last)
    qtbot.mousePress(canvas, Qt.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=end)


def _probed(window, qtbot) -> None:
    """Every video's duration known (the probe's answers arrive before the folder changes)."""
    qtbot.waitUntil(
        lambda: all(e.duration for e in window.project.entries.values()), timeout=60_000
    )


# ---- 2: edits act where the cursor is unless a selection is visible --------------------------


def test_delete_acts_at_the_cursor_after_a_click_away_from_the_selection(
    make_window, samples, qtbot
):
    window = make_window(samples)
    name = _ready(window, qtbot)
    label = window.timeline.classes[0]
    window.project.set_labels(name, {0: label, 1: label, 9: label}, "labels to review")
    window.timeline.set_human(window.project.human_labels(name))
    canvas = window.timeline_view.canvas

    _drag(qtbot, canvas, PredictionLane, 0.5, 1.5)  # select 0-2 s on the Predicted lane
    assert window.timeline.selection == (0, 2)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=_point(canvas, RulerLane, 9.5))
    assert window.timeline.cursor_second() == 9
    assert window.timeline.selection is None  # clicked elsewhere: the selection is gone
    qtbot.keyClick(window, Qt.Key_Delete)
    assert window.project.human_labels(name) == {0: label, 1: label}  # second 9 cleared

    # A click inside the selection keeps it: Delete clears the selection's seconds.
    _drag(qtbot, canvas, PredictionLane, 0.5, 1.5)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=_point(canvas, RulerLane, 1.2))
    assert window.timeline.selection == (0, 2)
    qtbot.keyClick(window, Qt.Key_Delete)
    assert window.project.human_labels(name) == {}


# ---- 3: the model choice belongs to the folder -----------------------------------------------


def _pick_in_list(qtbot, panel, name: str) -> None:
    """Choose a bundle as a user does: focus the list and step through it with the keys."""
    panel.combo.setFocus()
    names = [b.name for b in panel.bundles]
    key = Qt.Key_Down if names.index(name) > panel.combo.currentIndex() else Qt.Key_Up
    while panel.current().name != name:
        qtbot.keyClick(panel.combo, key)


def test_each_folder_remembers_its_own_model(make_window, samples, samples_source, bundles, qtbot):
    import shutil

    window = make_window(samples)
    _probed(window, qtbot)
    panel = window.bundle_panel
    if not {"attention", "audio"} <= {b.name for b in panel.bundles}:
        pytest.skip("needs the shipped attention and audio bundles")
    assert panel.current().name == "attention"  # best held-out that knows the samples' classes
    _pick_in_list(qtbot, panel, "audio")

    # A folder with a model trained on it (it travels in the folder's .av-annotator/models).
    other = shutil.copytree(samples_source, samples.parent / "other")
    own = other / ".av-annotator" / "models" / "fusion"
    shutil.copytree(bundles / "fusion", own)
    assert window.open_folder(other)
    _probed(window, qtbot)
    assert panel.current().path.resolve() == own.resolve()  # not the audio chosen elsewhere

    fresh = shutil.copytree(samples_source, samples.parent / "fresh")
    assert window.open_folder(fresh)
    _probed(window, qtbot)
    assert panel.current().name == "attention"

    assert window.open_folder(samples)
    assert panel.current().name == "audio"  # this folder's own choice, kept in its store
    _probed(window, qtbot)
    window.close()
    again = make_window(samples)
    assert again.bundle_panel.current().name == "audio"


# ---- 5: keys for videos, seconds, frames and every class -------------------------------------


def test_keys_step_videos_seconds_and_frames_from_the_cursor(make_window, samples, qtbot):
    from annotator.gui.shortcuts import reference_html

    window = make_window(samples)
    _probed(window, qtbot)
    names = window.project.names()
    _ready(window, qtbot, names[0])
    qtbot.keyClick(window, Qt.Key_PageDown, Qt.ControlModifier)
    assert window.timeline.video == names[1]
    qtbot.keyClick(window, Qt.Key_PageUp, Qt.ControlModifier)
    qtbot.keyClick(window, Qt.Key_PageUp, Qt.ControlModifier)
    assert window.timeline.video == names[0]
    assert window.statusBar().currentMessage() == "This is the first video"
    menu_texts = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "Next video in the list" in menu_texts and "Previous video in the list" in menu_texts
    assert "Ctrl+PgDown" in reference_html() and "Shift+Left" in reference_html()

    qtbot.waitUntil(lambda: window.timeline.duration > 0, timeout=30_000)
    window.timeline.seek(5.8)
    qtbot.keyClick(window, Qt.Key_Left)
    assert window.timeline.cursor == pytest.approx(4.8)
    qtbot.keyClick(window, Qt.Key_Right)
    assert window.timeline.cursor == pytest.approx(5.8)
    frame = 1.0 / window.player.frame_rate()
    qtbot.keyClick(window, Qt.Key_Left, Qt.ShiftModifier)
    assert 5.8 - 1.5 * frame < window.timeline.cursor < 5.8
    qtbot.keyClick(window, Qt.Key_Right, Qt.ShiftModifier)
    assert window.timeline.cursor == pytest.approx(5.8, abs=0.6 * frame)


def test_twenty_classes_have_distinct_colours_and_every_one_a_key_or_the_picker(
    make_window, samples, qtbot
):
    window = make_window(samples)
    _probed(window, qtbot)
    name = _ready(window, qtbot)
    messages = []
    window.learning.message.connect(messages.append)
    before = [c.name for c in window.project.classes()]
    new = [f"Imported class {i}" for i in range(1, 21 - len(before))]
    window.project.add_classes(new)
    classes = window.project.classes()
    assert len(classes) == 20
    assert len({c.colour for c in classes}) == 20  # a palette designed for 20 and more
    painted = {window.palette.buttons[c.name].styleSheet().split(";")[0] for c in classes}
    assert len(painted) == 20
    assert messages and "have no number key" in messages[-1] and "press C" in messages[-1]
    keyless = [c.name for c in classes][9:]
    assert keyless[0] in messages[-1]
    assert "no number key" in window.palette.buttons[keyless[-1]].toolTip()

    window.timeline.seek(2.5)
    qtbot.keyClick(window, Qt.Key_C)
    picker = window.learning.class_picker
    assert picker.isVisible()
    target = keyless[-1]
    qtbot.keyClicks(picker.search, "SS " + target.split()[-1])  # type-to-search, any case
    assert picker.visible_names()[0] == target
    qtbot.keyClick(picker.search, Qt.Key_Return)
    assert not picker.isVisible()
    assert window.project.human_labels(name) == {2: target}
    assert window.timeline.active_label == target


# ---- 4: the window fits a laptop's screen ----------------------------------------------------


def _inside(widget, window) -> bool:
    """The widget is shown, and wholly inside the window's visible area."""
    top_left = widget.mapTo(window, widget.rect().topLeft())
    bottom_right = widget.mapTo(window, widget.rect().bottomRight())
    return (
        widget.isVisible()
        and window.rect().contains(top_left)
        and (window.rect().contains(bottom_right))
    )


def test_the_window_fits_the_screen_and_keeps_every_control_reachable(make_window, samples, qtbot):
    window = make_window(samples)
    area = window.screen().availableGeometry()
    assert window.frameGeometry().width() <= area.width()
    assert window.frameGeometry().height() <= area.height()
    _probed(window, qtbot)
    _ready(window, qtbot)
    window.project.add_classes([f"Harbour sound {i}" for i in range(1, 13)])
    assert len(window.timeline.classes) == 21

    for width, height in ((1280, 800 - 70), (1366, 768 - 70), (area.width(), area.height())):
        window.resize(width, height)  # the screen less a taskbar and a title bar
        qtbot.wait(50)
        for control in (window.player.volume_slider, window.player.mute_button):
            assert _inside(control, window), (width, height, control)
        assert _inside(window.timeline_view, window) or window.timeline_view.height() > 100
        palette = window.palette
        for name, button in palette.buttons.items():  # wrapped, never past the right edge
            right = button.mapTo(palette.area.viewport(), button.rect().topRight()).x()
            assert right <= palette.area.viewport().width(), (width, name)
        assert _inside(window.palette.area, window)
        assert _inside(window.annotation_panel, window)


# ---- 7: a read-only window says so once, and its buttons that cannot act are off -------------


def _open_boxes():
    from PySide6.QtWidgets import QApplication, QMessageBox

    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_a_read_only_window_says_so_once_and_takes_over_cleanly(make_window, samples, qtbot):
    from annotator.gui.timeline.lanes import HumanLane

    first = make_window(samples)
    _probed(first, qtbot)
    second = make_window(samples)
    assert second.project.read_only and not first.project.read_only
    notice = second.review_status.read_only_notice
    assert notice.isVisible() and "Read-only" in notice.text()
    assert not second.annotation_panel.isEnabled() and first.annotation_panel.isEnabled()
    assert not second.actions["accept"].isEnabled() and not second.actions["class_1"].isEnabled()
    assert not second.actions["train"].isEnabled()

    _ready(second, qtbot)
    second.timeline.seek(2.5)
    qtbot.keyClick(second, Qt.Key_1)  # the key is off: nothing happens, nothing pops up
    _drag(qtbot, second.timeline_view.canvas, HumanLane, 1.5, 3.5)  # refused, and said
    qtbot.wait(50)
    assert _open_boxes() == []  # no modal box per refused edit
    assert "Edit not saved" in second.statusBar().currentMessage()
    assert second.review_status.saved.text() == "✗ last edit not saved"
    assert first.project.store.human_labels(second.timeline.video) == {}

    first.close()
    second.project.poll()  # the timer does this every second
    assert not second.project.read_only
    assert not notice.isVisible()
    assert second.review_status.saved.text() == ""  # the stale "not saved" is gone
    assert second.annotation_panel.isEnabled() and second.actions["accept"].isEnabled()
    qtbot.keyClick(second, Qt.Key_1)
    assert second.project.human_labels(second.timeline.video) == {2: second.timeline.classes[0]}


# ---- 8: undo reaches back past a restart -----------------------------------------------------


def test_undo_history_survives_a_restart(make_window, samples, qtbot):
    window = make_window(samples)
    _probed(window, qtbot)
    name = _ready(window, qtbot)
    first = window.timeline.classes[0]
    window.timeline.seek(2.5)
    qtbot.keyClick(window, Qt.Key_1)
    qtbot.keyClick(window, Qt.Key_Right)
    qtbot.keyClick(window, Qt.Key_0)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # undone before the restart...
    qtbot.keyClick(window, Qt.Key_Right)
    qtbot.keyClick(window, Qt.Key_1)
    assert window.project.human_labels(name) == {2: first, 4: first}
    window.close()

    again = make_window(samples)
    _probed(again, qtbot)
    _ready(again, qtbot, name)
    assert again.actions["undo"].isEnabled()
    qtbot.keyClick(again, Qt.Key_Z, Qt.ControlModifier)
    assert again.project.human_labels(name) == {2: first}
    assert "Undone: Label 4 s" in again.statusBar().currentMessage()
    qtbot.keyClick(again, Qt.Key_Z, Qt.ControlModifier)  # ...stays undone: next is second 2
    assert again.project.human_labels(name) == {}
    assert not again.actions["undo"].isEnabled()
    qtbot.keyClick(again, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert again.project.human_labels(name) == {2: first}


# ---- 6: the unfamiliar-data warning belongs to its video; hovering a second reads it out -----


@pytest.fixture(scope="module")
def familiar_and_novel(tmp_path_factory, samples_source):
    """Two sample clips (the shipped models' kind of events) and two clips of classes they never
    saw (novel), in one folder."""
    import shutil

    from annotator.core.demo.demo_data import generate_demo_data

    novel = tmp_path_factory.mktemp("novel-src")
    generate_demo_data(novel, clips=2, seed=72, class_set="novel")
    folder = tmp_path_factory.mktemp("mixed") / "mixed"
    folder.mkdir()
    for clip in sorted(samples_source.glob("*.mp4"))[:2]:
        shutil.copy2(clip, folder / clip.name)
    for clip in sorted(novel.glob("*.mp4")):
        shutil.copy2(clip, folder / f"novel_{clip.name}")
    return folder


@pytest.mark.slow  # annotates four clips
def test_the_unfamiliar_warning_follows_its_video_and_hover_reads_a_second(
    make_window, familiar_and_novel, tmp_path, qtbot, annotate_all
):
    import shutil

    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from annotator.core.conventions import UNFAMILIAR_WARNING_SHARE

    folder = shutil.copytree(familiar_and_novel, tmp_path / "mixed")
    window = make_window(folder)
    _probed(window, qtbot)
    assert window.bundle_panel.choose("attention")
    annotate_all(window)
    warning = window.timeline_notes.warning
    shown = {}
    for name in window.project.names():
        _ready(window, qtbot, name)
        share = window.timeline.unfamiliar_share()
        shown[name] = warning.isVisible()
        assert warning.isVisible() == (share >= UNFAMILIAR_WARNING_SHARE), (name, share)
        if warning.isVisible():
            assert name in warning.text() and "unlike the model's training data" in warning.text()
    assert any(shown.values()), f"no clip was unlike the training data: {shown}"
    assert not all(shown.values()), f"every clip was unlike the training data: {shown}"
    assert window.statusBar().currentMessage().find("unlike") < 0  # not left in the status bar

    # Hovering a second of the Predicted lane reads it out (and is the lanes' tooltip).
    canvas = window.timeline_view.canvas
    point = _point(canvas, PredictionLane, 3.5)
    move = QMouseEvent(
        QMouseEvent.MouseMove,
        QPointF(point),
        QPointF(canvas.mapToGlobal(point)),
        Qt.NoButton,
        Qt.NoButton,
        Qt.NoModifier,
    )
    QApplication.sendEvent(canvas, move)
    text = window.timeline_notes.readout.text()
    row = window.timeline.predictions.iloc[3]
    assert text.startswith("0:03–0:04")
    assert f"predicted {row['label']} {float(row['confidence']):.0%}" in text
    assert f"audio {row['audio_label']}" in text and f"visual {row['visual_label']}" in text
    assert "training data" in text  # familiarity


# ---- 9: export names what it replaces and remembers the folder's last choice -----------------


def test_export_names_each_file_it_replaces_and_remembers_the_choice(
    make_window, samples, tmp_path, qtbot
):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = make_window(samples)
    _probed(window, qtbot)
    names = window.project.names()[:2]
    label = window.timeline.classes[0]
    for name in names:
        window.project.set_labels(name, {1: label, 2: label}, "labels to export")
    out = tmp_path / "for-elan"
    seen = {}

    def on_dialog(act):
        """Run `act` on the export dialog once it is open; it is closed whatever happens."""

        def run():
            dialog = QApplication.activeModalWidget()
            try:
                act(dialog)
            finally:
                if dialog.isVisible():
                    dialog.reject()

        QTimer.singleShot(0, run)

    def first_export(dialog):
        dialog.scope_buttons.button(2).setChecked(True)  # all videos
        dialog.format_box.setCurrentIndex(dialog.format_box.findData("eaf"))
        dialog.per_second.setText(str(out))
        dialog.accept()

    on_dialog(first_export)
    window.ask_export()
    written = sorted(p.name for p in out.iterdir())
    assert set(n.replace(".mp4", ".eaf") for n in names) <= set(written)

    def answer_no():
        box = QApplication.activeModalWidget()
        seen["question"] = box.text()
        box.button(QMessageBox.No).click()

    def second_export(dialog):
        seen["choice"] = dialog.choice()
        QTimer.singleShot(0, answer_no)
        dialog.accept()  # every video's ELAN file exists: the question names each one
        seen["open after no"] = dialog.isVisible()
        dialog.format_box.setCurrentIndex(dialog.format_box.findData("labelstudio"))
        seen["followed"] = dialog.choice().path

    on_dialog(second_export)
    window.ask_export()
    choice = seen["choice"]
    assert (choice.format, choice.path, choice.scope) == ("eaf", out, "all")  # remembered
    for name in written:
        assert str(out / name) in seen["question"]
    assert seen["open after no"]
    assert seen["followed"] == tmp_path / "for-elan.json"  # the name follows the format
