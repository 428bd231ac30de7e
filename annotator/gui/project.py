"""ProjectState: the open folder, its videos and their review status, over the SQLite store.

A plain object with signals: the folder view and the main window react to it. The store is the
single source of truth; this object keeps a small in-memory summary for the video list and adds
the one status the store does not keep, "running" (a crash must not leave a video "running").

One window edits a folder at a time: opening a folder claims the store's writer lease, and a
window that finds the folder open for editing elsewhere is read-only. Every window polls the
store's revision, so it shows what the others wrote within a second, and a read-only window
takes over editing by itself once the writer has gone.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, QTimer, Signal

from ..core.class_list import ProjectClass
from ..core.errors import AnnotatorError
from ..core.media_files import videos_below
from ..core.store import LabelChange, ProjectStore
from ..core.writer_lease import HEARTBEAT_SECONDS
from . import refcount_guard

log = logging.getLogger(__name__)

WRITER_NAME = "AV Annotator"
POLL_MS = 1000
SUBFOLDERS_PREFERENCE = "include_subfolders"
DURATION_FLUSH_MS = 300  # probed durations reach the store together, one commit per flush
SUMMARIES_PER_TICK = 20  # missing summaries filled a few at a time, between events


@dataclass
class VideoEntry:
    name: str  # path relative to the folder: the store's key
    path: Path
    duration: float | None = None
    status: str = "pending"  # pending, running, done or failed
    reason: str = ""
    model: str = ""
    main_label: str = ""
    edited_seconds: int = 0
    label_next: float | None = None  # how much labelling it would help (core.suggestions)


_UNKNOWN_ROW = {
    "duration": None,
    "status": "pending",
    "reason": "",
    "model": "",
    "main_label": "",
    "edited_seconds": 0,
    "label_next": None,
}


class ProjectState(QObject):
    folderOpened = Signal(str)
    videosChanged = Signal()  # the list itself changed (new folder, new files)
    videoUpdated = Signal(str)  # one video's status, duration or labels changed
    labelsChanged = Signal(str)  # a video's human labels changed (an edit, undo or redo)
    writerChanged = Signal(str)  # '' when this window edits, else who does and why not here
    storeChanged = Signal()  # another window or process wrote: shown data may be stale
    classesChanged = Signal()  # the project's class list changed (names, colours, order)

    def __init__(self, parent=None):
        refcount_guard.install()
        super().__init__(parent)
        self.folder: Path | None = None
        self.store: ProjectStore | None = None
        self.entries: dict[str, VideoEntry] = {}
        self.skipped: list[str] = []
        self.include_subfolders = True
        self._last_heartbeat = 0.0
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self._durations: dict[str, float] = {}  # probed, not yet in the store
        self._duration_timer = _single_shot(self, DURATION_FLUSH_MS, self.flush_durations)
        self._summary_timer = _single_shot(self, 0, self._fill_summaries)

    # ---- folder ------------------------------------------------------------------------------

    def open_folder(self, folder, include_subfolders: bool | None = None) -> None:
        """List the folder's videos (with its sub-folders' unless the project says not) and
        open (or create) its store; AnnotatorError if unusable. `include_subfolders` changes
        the project's remembered choice. Reads one summary row per video, never predictions,
        so opening costs the same whether the videos are annotated or not."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise AnnotatorError(f"{folder}: not a folder (moved or deleted?)")
        store = ProjectStore.for_folder(folder)
        if include_subfolders is None:
            include_subfolders = store.preference(SUBFOLDERS_PREFERENCE, "1") == "1"
        else:
            store.set_preference(SUBFOLDERS_PREFERENCE, "1" if include_subfolders else "0")
        names, skipped = videos_below(folder, include_subfolders)
        self.close()
        store.claim_writer(WRITER_NAME)
        if not store.read_only:
            store.add_videos({name: None for name in names})
        self._last_heartbeat = time.monotonic()
        self.folder, self.store, self.skipped = folder.resolve(), store, skipped
        self.include_subfolders = include_subfolders
        rows = {row["video"]: row for row in store.video_summaries(fill_missing=False)}
        self.entries = {
            name: self._entry_from(name, path, rows.get(name, _UNKNOWN_ROW))
            for name, path in names.items()
        }
        self.poll_timer.start()
        self._summary_timer.start()
        self.videosChanged.emit()
        self.folderOpened.emit(str(self.folder))
        self.writerChanged.emit(self.read_only_reason())

    @staticmethod
    def _entry_from(name: str, path: Path, row: dict, earlier: VideoEntry | None = None):
        """A list entry from a store row; a summary the store has not filled yet keeps what
        the entry showed before (filled a few at a time, see _fill_summaries)."""
        duration = row["duration"]
        if duration is None or pd.isna(duration):
            duration = earlier.duration if earlier else None
        missing = row["main_label"] is None
        return VideoEntry(
            name,
            path,
            None if duration is None else float(duration),
            row["status"],
            row["reason"],
            row["model"],
            (earlier.main_label if earlier else "") if missing else row["main_label"],
            (earlier.edited_seconds if earlier else 0) if missing else int(row["edited_seconds"]),
            (earlier.label_next if earlier else None) if missing else row["label_next"],
        )

    def close(self) -> None:
        self.poll_timer.stop()
        self._summary_timer.stop()
        if self.store is not None and not self.read_only:
            self.flush_durations()
        self._durations = {}
        if self.store is not None:
            self.store.close()
        self.store, self.folder, self.entries = None, None, {}

    # ---- one writer, the others follow -------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.store is not None and self.store.read_only

    def read_only_reason(self) -> str:
        """'' when this window may edit, else a sentence saying who edits the folder."""
        if not self.read_only:
            return ""
        return (
            f"Read-only: {self.store.read_only_because.describe()} is editing this folder; "
            "this window shows its edits and can edit once it closes"
        )

    def poll(self) -> None:
        """Keep or take the writer lease and pick up what others wrote (the timer calls this
        every second; tests call it directly)."""
        if self.store is None:
            return
        was_read_only = self.store.read_only
        try:
            if was_read_only or time.monotonic() - self._last_heartbeat >= HEARTBEAT_SECONDS:
                self.store.keep_writer()
                self._last_heartbeat = time.monotonic()
            changed = self.store.changed_elsewhere()
        except sqlite3.Error as exc:  # busy for longer than the timeout: next tick
            log.warning("%s: could not check the project store (%s)", self.store.path, exc)
            return
        if self.store.read_only != was_read_only:
            if not self.store.read_only:
                self.store.add_videos({name: e.duration for name, e in self.entries.items()})
            self.writerChanged.emit(self.read_only_reason())
        if changed:
            self.reload()

    def reload(self) -> None:
        """Read every video's summary again (another window or process wrote): one query."""
        rows = {row["video"]: row for row in self.store.video_summaries(fill_missing=False)}
        for name, entry in list(self.entries.items()):
            if name not in rows or entry.status == "running":
                continue
            fresh = self._entry_from(name, entry.path, rows[name], entry)
            if fresh != entry:
                self.entries[name] = fresh
                self.videoUpdated.emit(name)
        self._summary_timer.start()
        self.storeChanged.emit()

    def _fill_summaries(self) -> None:
        """Compute a few summaries the store lacks (an older store, a class renamed, a model
        trained) and show them; again on the next turn of the event loop until none is left."""
        if self.store is None:
            return
        try:
            filled = self.store.fill_summaries(limit=SUMMARIES_PER_TICK)
        except sqlite3.Error as exc:  # busy: try again on the next change
            log.warning("%s: could not fill video summaries (%s)", self.store.path, exc)
            return
        for name in filled:
            if name in self.entries:
                self._refresh(name)
        if filled:
            self._summary_timer.start()

    def names(self) -> list[str]:
        return list(self.entries)

    def entry(self, name: str) -> VideoEntry:
        return self.entries[name]

    def unprobed(self) -> list[VideoEntry]:
        return [e for e in self.entries.values() if e.duration is None and e.status != "failed"]

    # ---- results arriving from workers -------------------------------------------------------

    def record_duration(self, name: str, duration: float) -> None:
        """A probed duration: shown at once, stored with the others probed meanwhile."""
        if name not in self.entries:
            return  # a late probe of a folder no longer open
        if not self.read_only:  # a read-only window keeps it in memory; the writer stores it
            self._durations[name] = duration
            if not self._duration_timer.isActive():
                self._duration_timer.start()
        self.entries[name].duration = duration
        self.videoUpdated.emit(name)

    def flush_durations(self) -> None:
        durations, self._durations = self._durations, {}
        if durations and self.store is not None and not self.read_only:
            try:
                self.store.add_videos(durations)
            except AnnotatorError as exc:  # lost the lease meanwhile: the writer probes them
                log.warning("%s", exc)

    def mark_running(self, name: str) -> None:
        self.entries[name].status, self.entries[name].reason = "running", ""
        self.videoUpdated.emit(name)

    def mark_pending(self, name: str) -> None:
        """A video whose run was cancelled goes back to what the store says it is."""
        self._refresh(name)

    def record_failure(self, name: str, reason: str) -> None:
        if self.read_only:  # a probe found it unreadable: shown here, stored by the writer
            self.entries[name].status, self.entries[name].reason = "failed", reason
            self.videoUpdated.emit(name)
            return
        self.store.set_status(name, "failed", reason)
        self._refresh(name)

    def record_predictions(
        self, name: str, table: pd.DataFrame, attention, familiarity=None
    ) -> None:
        self.record_annotations([(name, table, attention, familiarity)])

    def record_annotations(self, annotations: list[tuple]) -> None:
        """Store several videos' results, (name, table, attention, familiarity) each, in one
        transaction, then refresh only their rows."""
        self.store.save_annotations(annotations)
        for name, *_rest in annotations:
            if name in self.entries:
                self._refresh(name)

    def stored_elsewhere(self, names: list[str], revision: int) -> None:
        """This window's own result writer stored `names` (see result_writer): show them, and
        do not take that write for another window's."""
        self.store.saw_revision(revision)
        # Its transaction renewed the writer lease too: no heartbeat of our own is due (one
        # would wait for the writer's commit on the window's thread).
        self._last_heartbeat = time.monotonic()
        for name in names:
            if name in self.entries:
                self._refresh(name)

    def _refresh(self, name: str) -> None:
        """Read one video's row (its kept summary) again and tell the views."""
        entry = self.entries[name]
        try:
            row = self.store.video(name)
        except AnnotatorError:  # read-only, and the writer has not registered this file yet
            return
        self.entries[name] = self._entry_from(name, entry.path, row, entry)
        self.videoUpdated.emit(name)

    def refresh_label_next(self) -> None:
        """Score every video's 'label next' worth again (a model was trained: the class counts
        it was scored with are old). The summaries are recomputed a few at a time between
        events, so the window stays responsive on a library of thousands."""
        self.store.forget_summaries()
        self._summary_timer.start()

    # ---- what the timeline and the edits need ------------------------------------------------

    def predictions(self, name: str) -> pd.DataFrame:
        return self.store.predictions(name)

    def attention(self, name: str) -> np.ndarray | None:
        return self.store.attention(name)

    def familiarity(self, name: str) -> np.ndarray | None:
        return self.store.familiarity(name)

    def human_labels(self, name: str) -> dict[int, str]:
        return self.store.human_labels(name)

    def set_labels(self, name: str, labels: dict[int, str | None], description: str) -> int:
        """Write an edit over whatever the seconds hold now (change_labels expecting them)."""
        current = self.store.human_labels(name)
        expected = {second: current.get(second) for second in labels}
        return self.change_labels(name, labels, description, expected).edit_id

    def change_labels(
        self,
        name: str,
        labels: dict[int, str | None],
        description: str,
        expected: dict[int, str | None],
        all_or_nothing: bool = False,
    ) -> LabelChange:
        """Compare-and-swap an edit into the store (see ProjectStore.change_labels), then tell
        the views; the one way the window writes a person's labels. A label the project's class
        list lacks (a model's class, accepted) joins the list."""
        self.flush_durations()  # the store checks the seconds against the video's duration
        change = self.store.change_labels(name, labels, description, expected, all_or_nothing)
        added = self.store.classes.ensure(label for label in labels.values() if label)
        self._refresh(name)
        self.labelsChanged.emit(name)
        if added:
            self.classesChanged.emit()
        return change

    def change_labels_of_videos(
        self,
        labels: dict[str, dict],
        description: str,
        expected: dict[str, dict],
        all_or_nothing: bool = True,
    ) -> dict[str, LabelChange]:
        """One edit over several videos (see ProjectStore.change_labels_of_videos)."""
        changes = self.store.change_labels_of_videos(labels, description, expected, all_or_nothing)
        for name in labels:
            self._refresh(name)
            self.labelsChanged.emit(name)
        return changes

    def video_data(self, name: str) -> dict:
        """What the timeline shows of a video, as keyword arguments of TimelineState.show_video
        (the shown video and N/D's look at the others both read it here)."""
        entry = self.entries[name]
        predictions = self.predictions(name)
        duration = entry.duration or (
            float(predictions["end"].iloc[-1]) if len(predictions) else 0.0
        )
        return {
            "video": name,
            "duration": duration,
            "predictions": predictions,
            "attention": self.attention(name),
            "human": self.human_labels(name),
            "familiarity": self.familiarity(name),
        }

    # ---- the project's classes ---------------------------------------------------------------

    def classes(self) -> list[ProjectClass]:
        return self.store.classes.all() if self.store else []

    def initialise_classes(self, model_classes: list[str]) -> None:
        """The first time a folder is opened, its classes are the labels people already gave
        and the current model's classes; from then on they are the user's own. A read-only
        window leaves that to the window that edits the folder."""
        if self.read_only:
            return
        labelled = list(self.store.classes.labelled_seconds())
        self.store.classes.initialise(labelled + list(model_classes))
        self.store.classes.ensure(labelled)

    def add_classes(self, names: list[str]) -> None:
        """Make `names` (e.g. labels an import brought in) classes of the project."""
        self.store.classes.ensure(names)
        self.classesChanged.emit()

    def change_classes(self, change: str, *arguments) -> int:
        """Apply a class-list change ("add", "rename", "recolour", "merge", "remove", "move")
        to the store; every view hears of it. Returns the seconds relabelled, if any."""
        method = getattr(self.store.classes, change)
        result = method(*arguments)
        self._summary_timer.start()  # the relabelled videos' summaries are missing now
        self.classesChanged.emit()
        return result if isinstance(result, int) else 0

    def to_annotate(self, names: list[str], again: bool) -> list[str]:
        """The videos of `names` a run should process: done ones only when asked `again`."""
        return [n for n in names if again or self.entries[n].status not in ("done", "running")]


def _single_shot(parent: QObject, milliseconds: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(milliseconds)
    timer.timeout.connect(slot)
    return timer
