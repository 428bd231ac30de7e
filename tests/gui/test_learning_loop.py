"""The loop that makes the tool useful on a user's own events, driven in the real window:
create classes, label two videos by painting, train on them, watch the progress, accept the
offer to re-annotate, and find the new model's labels on a third video."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from annotator.core.csv_io import read_per_second_csv
from annotator.core.demo.demo_data import generate_demo_data
from annotator.gui.class_dialog import ClassDialog
from annotator.gui.timeline.lanes import HumanLane, runs

TRAIN_TIMEOUT_MS = 600_000


@pytest.fixture(scope="module")
def novel_source(tmp_path_factory):
    """Three clips of classes no shipped bundle knows, with their truth."""
    out = tmp_path_factory.mktemp("novel")
    generate_demo_data(out, clips=3, seed=71, class_set="novel")
    return out


@pytest.fixture
def novel_folder(novel_source, tmp_path):
    import shutil

    folder = shutil.copytree(novel_source, tmp_path / "mine")
    truth = read_per_second_csv(folder / "labels.csv")
    (folder / "labels.csv").unlink()  # the user's folder: videos only
    (folder / "clips.csv").unlink()
    return folder, {video: list(rows["label"]) for video, rows in truth.groupby("video")}


def _drag(qtbot, canvas, first: int, last: int) -> None:
    rect = next(r for lane, r in canvas.lane_rects() if isinstance(lane, HumanLane))
    axis, y = canvas.axis(), rect.center().y()
    start, end = QPoint(int(axis.x(first + 0.5)), y), QPoint(int(axis.x(last + 0.5)), y)
    qtbot.mousePress(canvas, Qt.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=end)


def _show(window, qtbot, name) -> None:
    window.folder_view.select(name)
    qtbot.waitUntil(
        lambda: window.timeline.video == name and window.timeline.duration > 0, timeout=30_000
    )


@pytest.mark.training
def test_create_classes_label_train_and_reannotate(make_window, novel_folder, qtbot):
    folder, truth = novel_folder
    window = make_window(folder)
    names = window.project.names()
    assert len(names) == 3
    labelled, third = names[:2], names[2]
    events = [next(label for label in truth[name] if label != "background") for name in labelled]

    dialog = window.learning.show_classes()
    assert isinstance(dialog, ClassDialog)
    assert dialog.remove_unused()  # the shipped model's demo classes go
    for event in events:
        assert dialog.add(event)
    assert not dialog.add(events[0]) and "exists already" in dialog.message.text()
    dialog.accept()
    assert window.timeline.classes == [*events, "background"]
    assert list(window.palette.buttons) == [*events, "background"]

    canvas = window.timeline_view.canvas
    for name in labelled:
        _show(window, qtbot, name)
        lane = window.timeline_view.lane(HumanLane)
        assert lane.unlabelled(window.timeline) == [(0, window.timeline.seconds)]
        for start, end, label in runs(truth[name]):
            window.timeline.set_active_label(label)
            _drag(qtbot, canvas, start, end - 1)
        assert [window.timeline.human.get(s) for s in range(len(truth[name]))] == truth[name]
        assert lane.unlabelled(window.timeline) == []

    train = window.learning.ask_train()
    assert train.train_button.isEnabled(), train.problems.text()
    assert "2 video(s)" in train.summary.text()
    models = folder / ".av-annotator" / "models"

    train.epochs.setValue(50)  # cancelled halfway: nothing is written
    assert train.start()
    with qtbot.waitSignal(train.run.epochDone, timeout=TRAIN_TIMEOUT_MS):
        pass  # Qt delivers the process's lines in here
    with qtbot.waitSignal(train.run.finished, timeout=60_000):
        qtbot.mouseClick(train.cancel_button, Qt.LeftButton)
    assert train.status.text() == "Cancelled: no model was saved."
    assert not models.exists() or not any(models.iterdir())
    assert train.train_button.isEnabled()

    train.epochs.setValue(2)
    epochs, shown = [], []
    with qtbot.waitSignal(train.trained, timeout=TRAIN_TIMEOUT_MS) as trained:
        assert train.start()
        train.run.epochDone.connect(epochs.append)
        train.run.epochDone.connect(lambda _report: shown.append(train.status.text()))
    bundle_path = trained.args[0]
    assert epochs and epochs[-1]["epoch"] == epochs[-1]["epochs"]
    assert {e["phase"] for e in epochs} == {"training", "final"}  # 2 videos: trained again
    assert shown[0].startswith("Training epoch 1 of 2: loss") and "left" in shown[0]
    assert train.result.text().startswith("Held out: 1 video(s)")
    assert train.per_class.rowCount() >= 2 and train.confusion.rowCount() >= 2
    qtbot.waitUntil(lambda: train.run is None, timeout=30_000)
    tags = [b.tag for b in window.bundle_panel.bundles]
    new_tag = f"{Path(bundle_path).name}@1.0.0"
    assert new_tag in tags  # listed with the installed models

    assert train.reannotate_button.isVisible()
    assert "1 unreviewed video" in train.reannotate_button.text()
    with qtbot.waitSignal(window.annotation.runFinished, timeout=TRAIN_TIMEOUT_MS) as run:
        qtbot.mouseClick(train.reannotate_button, Qt.LeftButton)
    assert "annotated 1 of 1" in run.args[0]
    predictions = window.project.predictions(third)
    assert set(predictions["model"]) == {new_tag}
    assert set(predictions["label"]) <= {*events, "background"}
    assert window.bundle_panel.current().path == Path(bundle_path)
    train.close()


def test_label_next_jumps_across_videos_and_the_folder_sorts_by_it(make_window, annotated, qtbot):
    from annotator.core.suggestions import best_seconds
    from annotator.gui.folder_view import COLUMNS

    window = make_window(annotated)
    entries = window.project.entries
    assert all(entry.label_next is not None for entry in entries.values())
    column = COLUMNS.index("Label next")
    window.folder_view.table.sortByColumn(column, Qt.DescendingOrder)
    model = window.folder_view.model
    order = [model.name_at(row) for row in range(model.rowCount())]
    assert [entries[n].label_next for n in order] == sorted(
        (e.label_next for e in entries.values()), reverse=True
    )

    counts = window.project.store.classes.labelled_seconds()
    expected = min(
        (
            (-worth, name, second)
            for name in entries
            for worth, second in best_seconds(
                window.project.predictions(name), window.project.human_labels(name), counts, count=5
            )
        )
    )
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, Qt.Key_L)
    assert (window.timeline.video, window.timeline.cursor_second()) == expected[1:]
    assert "Label next" in window.statusBar().currentMessage()
    qtbot.keyClick(window, Qt.Key_0)  # label it background: worth nothing now
    assert window.timeline.human[expected[2]] == "background"
    qtbot.keyClick(window, Qt.Key_L)
    assert (window.timeline.video, window.timeline.cursor_second()) != expected[1:]


def test_the_train_dialog_says_what_is_missing(make_window, novel_folder, qtbot):
    folder, _truth = novel_folder
    window = make_window(folder)
    train = window.learning.ask_train()
    assert not train.train_button.isEnabled()
    assert "No second is labelled yet" in train.problems.text()
    assert not train.start() and "Cannot train yet" in train.status.text()
    name = window.project.names()[0]
    _show(window, qtbot, name)
    window.timeline.set_active_label("background")
    window.review.paint(0, 3, "background")
    train.refresh()
    assert "Only one class is labelled (background)" in train.problems.text()
    (folder / ".av-annotator" / "models" / "taken").mkdir(parents=True)
    train.name.setText("taken")
    assert "A model named 'taken' exists already" in train.problems.text()
    train.name.setText("")
    assert "A model needs a name" in train.problems.text()
    train.close()
