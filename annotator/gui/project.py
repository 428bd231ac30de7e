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
from ..core.media_files import collect_videos
from ..core.store import LabelChange, ProjectStore, relative_video_name
from ..core.writer_lease import HEARTBEAT_SECONDS
from ..core.suggestions import video_worth
from . import refcount_guard

log = logging.getLogger(__name__)

WRITER_NAME = "AV Annotator"
POLL_MS = 1000


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
        self._last_heartbeat = 0.0
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)

    # ---- folder ------------------------------------------------------------------------------

    def open_folder(self, folder) -> None:
        """List the folder's videos and open (or create) its store; AnnotatorError if unusable."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise AnnotatorError(f"{folder}: not a folder (moved or deleted?)")
        store = ProjectStore.for_folder(folder)
        files, _problems, skipped = collect_videos([folder], recursive=False)
        names = {relative_video_name(folder, path): path for path in files}
        self.close()
        store.claim_writer(WRITER_NAME)
        if not store.read_only:
            store.add_videos({name: None for name in names})
        self._last_heartbeat = time.monotonic()
        self.folder, self.store, self.skipped = folder.resolve(), store, skipped
        self.entries = {}
        summary = store.videos().set_index("video")
        for name, path in names.items():
            row = summary.loc[name].to_dict() if name in summary.index else _UNKNOWN_ROW
            self.entries[name] = self._entry_from(name, path, row)
        self.poll_timer.start()
        self.refresh_label_next()
        self.videosChanged.emit()
        self.folderOpened.emit(str(self.folder))
        self.writerChanged.emit(self.read_only_reason())

    @staticmethod
    def _entry_from(name: str, path: Path, row: dict) -> VideoEntry:
        duration = None if pd.isna(row["duration"]) else float(row["duration"])
        return VideoEntry(
            name,
            path,
            duration,
            row["status"],
            row["reason"],
            row["model"],
            row["main_label"],
            int(row["edited_seconds"]),
        )

    def close(self) -> None:
        self.poll_timer.stop()
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
        """Read every video's summary again (another window or process wrote)."""
        summary = self.store.videos().set_index("video")
        for name, entry in list(self.entries.items()):
            if name not in summary.index or entry.status == "running":
                continue
            fresh = self._entry_from(name, entry.path, summary.loc[name].to_dict())
            if fresh.duration is None:
                fresh.duration = entry.duration
            if fresh != entry:
                self.entries[name] = fresh
                self.videoUpdated.emit(name)
        self.storeChanged.emit()

    def names(self) -> list[str]:
        return list(self.entries)

    def entry(self, name: str) -> VideoEntry:
        return self.entries[name]

    def unprobed(self) -> list[VideoEntry]:
        return [e for e in self.entries.values() if e.duration is None and e.status != "failed"]

    # ---- results arriving from workers -------------------------------------------------------

    def record_duration(self, name: str, duration: float) -> None:
        if not self.read_only:  # a read-only window keeps it in memory; the writer stores it
            self.store.add_videos({name: duration})
        self.entries[name].duration = duration
        self.videoUpdated.emit(name)

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
        self.store.save_predictions(name, table, attention, familiarity)
        self._refresh(name)

    def _refresh(self, name: str) -> None:
        entry = self.entries[name]
        try:
            row = self.store.video(name)
        except AnnotatorError:  # read-only, and the writer has not registered this file yet
            return
        self.entries[name] = self._entry_from(name, entry.path, row)
        if self.entries[name].duration is None:
            self.entries[name].duration = entry.duration
        self.entries[name].label_next = self._label_next(
            name, self.store.classes.labelled_seconds()
        )
        self.videoUpdated.emit(name)

    def _label_next(self, name: str, counts: dict) -> float:
        store = self.store
        return video_worth(
            store.predictions(name), store.human_labels(name), counts, store.familiarity(name)
        )

    def refresh_label_next(self) -> None:
        """Recompute every video's 'label next' worth (class counts change with every edit)."""
        counts = self.store.classes.labelled_seconds()
        for name, entry in self.entries.items():
            entry.label_next = self._label_next(name, counts)
            self.videoUpdated.emit(name)

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
        """Write an edit to the store at once (one transaction), then tell the views. A label
        the project's class list lacks (a model's class, accepted) joins the list."""
        edit_id = self.store.set_labels(name, labels, description)
        added = self.store.classes.ensure(label for label in labels.values() if label)
        self._refresh(name)
        self.labelsChanged.emit(name)
        if added:
            self.classesChanged.emit()
        return edit_id

    def change_labels(
        self,
        name: str,
        labels: dict[int, str | None],
        description: str,
        expected: dict[int, str | None],
        all_or_nothing: bool = False,
    ) -> LabelChange:
        """Compare-and-swap an edit into the store (see ProjectStore.change_labels)."""
        change = self.store.change_labels(name, labels, description, expected, all_or_nothing)
        self._refresh(name)
        self.labelsChanged.emit(name)
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
        for name in self.entries:
            self._refresh(name)
        self.classesChanged.emit()
        return result if isinstance(result, int) else 0

    def to_annotate(self, names: list[str], again: bool) -> list[str]:
        """The videos of `names` a run should process: done ones only when asked `again`."""
        return [n for n in names if again or self.entries[n].status not in ("done", "running")]
