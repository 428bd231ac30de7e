"""The window on a library: 200 videos (hard links of the samples) in nested folders with spaces
and unicode in their names, opened in the real window, offscreen.

Listed with their paths below the root, the app's own folders skipped; the sub-folder choice
remembered per project; opening reads one summary per video and never its predictions; sorting
orders the rows and the selection follows; a storm of progress events costs one repaint.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QHeaderView

from annotator.core import video_summaries
from annotator.core.store import ProjectStore
from annotator.gui.folder_view import COLUMNS, FLUSH_MS
from annotator.gui.settings import AppSettings

pytestmark = pytest.mark.gui

LIBRARY_SIZE = 200
FOLDERS = ["Année 2024", "家族ビデオ", "Field recordings"]
SUBFOLDERS = ["", "day 01", "concert – live/cam A", "drone ✈"]


def make_library(root: Path, clips: list[Path], count: int = LIBRARY_SIZE) -> dict[str, Path]:
    """`count` hard links of the clips in nested folders: {name below root: the clip linked}."""
    made = {}
    for index in range(count):
        folder = Path(FOLDERS[index % 3]) / SUBFOLDERS[(index // 3) % 4]
        (root / folder).mkdir(parents=True, exist_ok=True)
        clip = clips[index % len(clips)]
        name = (folder / f"take {index:03d} ✓{clip.suffix}").as_posix()
        try:
            os.link(clip, root / name)
        except OSError:  # a file system without hard links
            shutil.copyfile(clip, root / name)
        made[name] = clip
    return made


@pytest.fixture
def library(samples_source, tmp_path) -> tuple[Path, dict[str, Path]]:
    root = tmp_path / "my library"
    made = make_library(root, sorted(samples_source.glob("*.mp4")))
    # What must not be listed: a hidden folder's video, and an export beside the videos.
    (root / ".hidden cache").mkdir()
    os.link(sorted(samples_source.glob("*.mp4"))[0], root / ".hidden cache" / "copy.mp4")
    (root / "annotations.csv").write_text("video,second\n")
    return root, made


@pytest.fixture
def annotated_library(library, annotated_source) -> tuple[Path, dict[str, Path]]:
    """The library with every video's predictions: those the real window gave its clip
    (each file is a link of that clip, so the model gives it the same rows)."""
    root, made = library
    source = ProjectStore(annotated_source / ".av-annotator" / "project.sqlite")
    store = ProjectStore.for_folder(root)
    try:
        results = [
            (
                name,
                source.predictions(clip.name).assign(video=name),
                source.attention(clip.name),
                source.familiarity(clip.name),
            )
            for name, clip in made.items()
        ]
        store.save_annotations(results)
        store.set_labels(next(iter(made)), {0: "background", 1: "background"}, "review")
    finally:
        store.close()
        source.close()
    return root, made


def test_a_nested_library_is_listed_by_path_below_its_root(make_window, library):
    root, made = library
    window = make_window(root)
    model = window.folder_view.model

    shown = [model.data(model.index(row, 0), Qt.DisplayRole) for row in range(model.rowCount())]
    assert sorted(shown) == sorted(made)  # neither the hidden folder's video nor the CSV
    assert shown == sorted(shown, key=str.lower)  # sorted by the Video column at once
    name = "家族ビデオ/concert – live/cam A/take 007 ✓.mp4"
    row = model.row_of(name)
    assert name in model.data(model.index(row, 0), Qt.ToolTipRole)
    assert window.folder_view.table.textElideMode() == Qt.ElideMiddle
    window.folder_view.select(name)
    assert window.timeline.video == name and Path(window.player._path) == root / name


def test_the_sub_folder_choice_is_remembered_per_project(make_window, library, tmp_path):
    root, _made = library
    other = tmp_path / "other"
    (other / "inside").mkdir(parents=True)
    shutil.copy2(next(iter(library[1].values())), other / "inside" / "clip.mp4")
    window = make_window(root)
    assert window.folder_view.subfolders.isChecked()

    window.folder_view.subfolders.setChecked(False)  # as a click would

    assert window.project.names() == [] and not window.project.include_subfolders
    second = make_window(
        other, AppSettings(QSettings(str(tmp_path / "second.ini"), QSettings.IniFormat))
    )
    assert second.project.names() == ["inside/clip.mp4"]  # another project keeps its own
    second.close()
    third = make_window(
        root, AppSettings(QSettings(str(tmp_path / "third.ini"), QSettings.IniFormat))
    )
    assert third.project.names() == [] and not third.folder_view.subfolders.isChecked()
    third.folder_view.subfolders.setChecked(True)
    assert len(third.project.names()) == LIBRARY_SIZE


def test_opening_reads_summaries_not_predictions(
    make_window, annotated_library, monkeypatch, qtbot
):
    root, made = annotated_library
    reads = []
    real_predictions, real_summarise = ProjectStore.predictions, video_summaries.summarise
    monkeypatch.setattr(
        ProjectStore, "predictions", lambda self, v: reads.append(v) or real_predictions(self, v)
    )
    monkeypatch.setattr(
        video_summaries, "summarise", lambda db, v, c: reads.append(v) or real_summarise(db, v, c)
    )
    window = make_window()
    window.open_folder(root)
    shown = window.timeline.video

    assert reads == [shown]  # the shown video's rows; every other row came from its summary
    entries = window.project.entries
    assert all(
        e.status == "done" and e.main_label and e.label_next is not None for e in entries.values()
    )
    first = next(iter(made))
    assert entries[first].edited_seconds == 2
    store = window.project.store
    for name in list(made)[:5]:  # a kept summary is what a fresh computation gives
        fresh = real_summarise(store._db, name, video_summaries.labelled_seconds(store._db))
        assert (entries[name].main_label, entries[name].label_next) == pytest.approx(fresh[:2])

    # A summary the store lacks (an older store, a class renamed) is filled between events.
    store.forget_summaries()
    window.open_folder(root)
    qtbot.waitUntil(lambda: not video_summaries.missing_summaries(store_of(window)), timeout=20_000)
    assert entries[first].label_next == window.project.entries[first].label_next


def store_of(window):
    return window.project.store._db


def test_sorting_orders_the_rows_and_the_selection_follows(make_window, annotated_library):
    root, _made = annotated_library
    window = make_window(root)
    view, model = window.folder_view, window.folder_view.model
    chosen = model.name_at(17)
    view.select(chosen)
    for column in range(len(COLUMNS)):
        for order in (Qt.DescendingOrder, Qt.AscendingOrder):
            view.table.sortByColumn(column, order)
            assert view.selected_names() == [chosen]
            assert model.name_at(view.table.currentIndex().row()) == chosen
    view.table.sortByColumn(4, Qt.DescendingOrder)
    worth = [window.project.entries[model.name_at(r)].label_next for r in range(model.rowCount())]
    assert worth == sorted(worth, reverse=True)
    view.table.sortByColumn(1, Qt.AscendingOrder)
    durations = [window.project.entries[model.name_at(r)].duration for r in range(100)]
    assert durations == sorted(durations)


def test_a_storm_of_updates_costs_one_repaint(make_window, library, qtbot):
    root, made = library
    window = make_window(root)
    model = window.folder_view.model
    header = window.folder_view.table.horizontalHeader()
    assert all(
        header.sectionResizeMode(c) != QHeaderView.ResizeToContents for c in range(len(COLUMNS))
    )
    qtbot.waitUntil(lambda: not window.project.unprobed(), timeout=120_000)
    qtbot.wait(2 * FLUSH_MS)  # the probes' updates are flushed
    changes = []
    model.dataChanged.connect(lambda first, last: changes.append((first.row(), last.row())))

    for name in made:
        window.project.mark_running(name)
    for step in range(10):  # ten progress events for every row: 2,000 in all
        for name in made:
            model.set_progress(name, step / 10)

    assert changes == []  # nothing repainted while the events arrive
    qtbot.waitUntil(lambda: bool(changes), timeout=5 * FLUSH_MS)
    assert changes == [(0, LIBRARY_SIZE - 1)]  # one repaint of what is on screen
    name = model.name_at(0)
    assert model.data(model.index(0, 2), Qt.DisplayRole) == "running 90%", name


def test_the_app_annotates_a_nested_folder_in_steps(
    make_window, samples_source, tmp_path, qtbot, annotate_all
):
    root = tmp_path / "nested"
    made = make_library(root, sorted(samples_source.glob("*.mp4"))[:2], count=5)
    window = make_window(root, cache_dir=tmp_path / "cache")
    assert window.annotation.jobs == 2  # as `annotate --jobs`
    stored = []
    window.annotation.videoAnnotated.connect(stored.append)

    summary = annotate_all(window)

    assert "annotated 5 of 5" in summary, summary
    assert sorted(stored) == sorted(made)
    store = window.project.store
    # The result writer's commits are this window's own: no other window is heard of.
    assert not store.changed_elsewhere() and not window.project.read_only
    for name in made:
        table = store.predictions(name)
        assert len(table) and set(table["video"]) == {name}
        assert (
            window.project.entries[name].main_label
            == video_summaries.summarise(store._db, name, {})[0]
        )
