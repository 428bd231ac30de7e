"""Background work: annotating videos and probing durations.

Every worker reports by Qt signals and can be cancelled; none touches a widget or the store.
Annotation runs in a child process (annotation_process: TensorFlow never enters the app's
process), followed through QProcess; probing is a short job on the global QThreadPool (the
timeline's pictures and sound: timeline/preview_task.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QObject,
    QRunnable,
    QThreadPool,
    Signal,
)

from ..core.errors import AnnotatorError
from .annotation_process import table_from_json
from .child_process import ChildProcessRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnnotationJob:
    name: str  # the store's key for the video
    path: Path


class AnnotationRun(ChildProcessRun):
    """One annotation run in a child process (see annotation_process for why), followed from
    the GUI thread through QProcess (child_process): its JSON lines become these signals."""

    MODULE = "annotator.gui.annotation_process"
    WHAT = "annotation"

    modelLoaded = Signal(str)
    videoStarted = Signal(str)
    videoProgress = Signal(str, float)  # name, fraction of this video done
    videoDone = Signal(str, object, object, list)  # name, per-second table, attention, warnings
    videoFailed = Signal(str, str)  # name, reason
    videoFamiliarity = Signal(str, object)  # name, per-second familiarity or None;
    # sent just before that video's videoDone
    runFailed = Signal(str)  # the run as a whole could not go on

    def __init__(self, bundle_path: Path, jobs: list[AnnotationJob], cache_dir=None, parent=None):
        super().__init__(
            {
                "bundle": str(bundle_path),
                "cache_dir": str(cache_dir) if cache_dir else None,
                "videos": [[job.name, str(job.path)] for job in jobs],
            },
            parent,
        )
        self.total = len(jobs)

    def _report_failure(self, reason: str) -> None:
        self.runFailed.emit(reason)

    def _dispatch(self, event: dict) -> None:
        kind = event["event"]
        if kind == "loaded":
            self.modelLoaded.emit(event["model"])
        elif kind == "started":
            self.videoStarted.emit(event["video"])
        elif kind == "progress":
            self.videoProgress.emit(event["video"], float(event["fraction"]))
        elif kind == "done":
            familiarity = event.get("familiarity")
            self.videoFamiliarity.emit(
                event["video"], None if familiarity is None else np.asarray(familiarity, float)
            )
            attention = event["attention"]
            self.videoDone.emit(
                event["video"],
                table_from_json(event["table"]),
                None if attention is None else np.asarray(attention, float),
                list(event["warnings"]),
            )
        elif kind == "failed":
            self.videoFailed.emit(event["video"], event["reason"])
        elif kind == "error":
            self.runFailed.emit(event["reason"])


class TaskSignals(QObject):
    """Signals of a QRunnable (which cannot have its own); created on the GUI thread."""

    done = Signal(str, object)  # name, result
    failed = Signal(str, str)  # name, reason


class _Task(QRunnable):
    """A short job for the thread pool; subclasses implement `work`."""

    def __init__(self, signals: TaskSignals):
        super().__init__()
        # Python owns the runnable (BackgroundTasks keeps it alive), not the pool.
        self.setAutoDelete(False)
        self.signals = signals
        self.cancelled = threading.Event()
        self.ended = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def run(self) -> None:
        try:
            self.work()
        finally:
            self.ended.set()

    def work(self) -> None:
        raise NotImplementedError


class BackgroundTasks:
    """Starts tasks on the global pool and keeps each alive until it has run."""

    def __init__(self):
        self._tasks: list[_Task] = []

    def start(self, task: _Task) -> _Task:
        self._tasks = [t for t in self._tasks if not t.ended.is_set()]
        self._tasks.append(task)
        QThreadPool.globalInstance().start(task)
        return task

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    def wait(self, milliseconds: int = 10_000) -> bool:
        return QThreadPool.globalInstance().waitForDone(milliseconds)


class ProbeTask(_Task):
    """Durations of videos not yet probed: `done(name, duration)` or `failed(name, reason)`."""

    def __init__(self, videos: list[tuple[str, Path]], signals: TaskSignals):
        super().__init__(signals)
        self.videos = videos

    def work(self) -> None:
        from ..core.media import probe

        for name, path in self.videos:
            if self.cancelled.is_set():
                return
            try:
                self.signals.done.emit(name, probe(path).duration)
            except AnnotatorError as exc:
                self.signals.failed.emit(name, getattr(exc, "reason", str(exc)))
