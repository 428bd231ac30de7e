"""ProjectState: the open folder, its videos and their review status, over the SQLite store.

A plain object with signals: the folder view and the main window react to it. The store is the
single source of truth; this object keeps a small in-memory summary for the video list and adds
the one status the store does not keep, "running" (a crash must not leave a video "running").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, Signal

from ..core.class_list import ProjectClass
from ..core.errors import AnnotatorError
from ..core.store import ProjectStore, relative_video_name
from ..core.suggestions import video_worth
from ..ml.batch import collect_videos
from . import refcount_guard

log = logging.getLogger(__name__)


@dataclass
class VideoEntry:
    name: str                 # path relative to the folder: the store's key
    path: Path
    duration: float | None = None
    status: str = "pending"   # pending, running, done or failed
    reason: str = ""
    model: str = ""
    main_label: str = ""
    edited_seconds: int = 0
    label_next: float | None = None   # how much labelling it would help (core.suggestions)


class ProjectState(QObject):
    folderOpened = Signal(str)
    videosChanged = Signal()          # the list itself changed (new folder, new files)
    videoUpdated = Signal(str)        # one video's status, duration or labels changed
    labelsChanged = Signal(str)       # a video's human labels changed (an edit, undo or redo)
    classesChanged = Signal()         # the project's class list changed (names, colours, order)

    def __init__(self, parent=None):
        refcount_guard.install()
        super().__init__(parent)
        self.folder: Path | None = None
        self.store: ProjectStore | None = None
        self.entries: dict[str, VideoEntry] = {}
        self.skipped: list[str] = []

    # ---- folder ------------------------------------------------------------------------------

    def open_folder(self, folder) -> None:
        """List the folder's videos and open (or create) its store; AnnotatorError if unusable."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise AnnotatorError(f"{folder}: not a folder (moved or deleted?)")
        store = ProjectStore.for_folder(folder)
        files, _problems, skipped = collect_videos([folder], recursive=False)
        names = {relative_video_name(folder, path): path for path in files}
        store.add_videos({name: None for name in names})
        self.close()
        self.folder, self.store, self.skipped = folder.resolve(), store, skipped
        self.entries = {}
        summary = store.videos().set_index("video")
        for name, path in names.items():
            self.entries[name] = self._entry_from(name, path, summary.loc[name].to_dict())
        self.refresh_label_next()
        self.videosChanged.emit()
        self.folderOpened.emit(str(self.folder))

    @staticmethod
    def _entry_from(name: str, path: Path, row: dict) -> VideoEntry:
        duration = None if pd.isna(row["duration"]) else float(row["duration"])
        return VideoEntry(name, path, duration, row["status"], row["reason"], row["model"],
                          row["main_label"], int(row["edited_seconds"]))

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.store, self.folder, self.entries = None, None, {}

    def names(self) -> list[str]:
        return list(self.entries)

    def entry(self, name: str) -> VideoEntry:
        return self.entries[name]

    def unprobed(self) -> list[VideoEntry]:
        return [e for e in self.entries.values() if e.duration is None and e.status != "failed"]

    # ---- results arriving from workers -------------------------------------------------------

    def record_duration(self, name: str, duration: float) -> None:
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
        self.store.set_status(name, "failed", reason)
        self._refresh(name)

    def record_predictions(self, name: str, table: pd.DataFrame, attention) -> None:
        self.store.save_predictions(name, table, attention)
        self._refresh(name)

    def _refresh(self, name: str) -> None:
        entry = self._entry_from(name, self.entries[name].path, self.store.video(name))
        entry.label_next = self._label_next(name, self.store.classes.labelled_seconds())
        self.entries[name] = entry
        self.videoUpdated.emit(name)

    def _label_next(self, name: str, counts: dict) -> float:
        return video_worth(self.store.predictions(name), self.store.human_labels(name), counts)

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

    # ---- the project's classes ---------------------------------------------------------------

    def classes(self) -> list[ProjectClass]:
        return self.store.classes.all() if self.store else []

    def initialise_classes(self, model_classes: list[str]) -> None:
        """The first time a folder is opened, its classes are the labels people already gave
        and the current model's classes; from then on they are the user's own."""
        labelled = list(self.store.classes.labelled_seconds())
        self.store.classes.initialise(labelled + list(model_classes))
        self.store.classes.ensure(labelled)

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
