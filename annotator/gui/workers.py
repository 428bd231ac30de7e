"""Background work: annotating videos, probing durations, decoding timeline pictures and sound.

Every worker reports by Qt signals and can be cancelled; none touches a widget or the store.
Annotation runs in a child process (annotation_process: TensorFlow never enters the app's
process), followed through QProcess; probing and preview decoding are short jobs on the global
QThreadPool.
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

from ..core.errors import AnnotatorError, Cancelled
from .annotation_process import DEFAULT_JOBS, table_from_json
from .child_process import ChildProcessRun

log = logging.getLogger(__name__)

THUMBNAIL_HEIGHT = 72
WAVEFORM_BINS_PER_SECOND = 100


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
    videoProgress = Signal(str, float)  # name, fraction of this video done (1: labelled,
    # its rows follow with its step of the batch)
    videoDone = Signal(str, object, object, list)  # name, per-second table, attention, warnings
    videoFailed = Signal(str, str)  # name, reason
    videoFamiliarity = Signal(str, object)  # name, per-second familiarity or None;
    # sent just before that video's videoDone
    runFailed = Signal(str)  # the run as a whole could not go on

    def __init__(
        self,
        bundle_path: Path,
        jobs: list[AnnotationJob],
        cache_dir=None,
        parent=None,
        parallel: int = DEFAULT_JOBS,
    ):
        super().__init__(
            {
                "bundle": str(bundle_path),
                "cache_dir": str(cache_dir) if cache_dir else None,
                "videos": [[job.name, str(job.path)] for job in jobs],
                "jobs": parallel,
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


@dataclass
class MediaPreview:
    thumbnails: list  # one (h, w, 3) uint8 picture per second
    waveform: np.ndarray  # (bins, 2) min/max, WAVEFORM_BINS_PER_SECOND per second
    spectrogram: np.ndarray  # (frames, 64) log-mel, as the audio model hears it


class PreviewTask(_Task):
    """Decodes a video's timeline pictures and sound picture: `done(name, MediaPreview)`."""

    def __init__(self, name: str, path: Path, signals: TaskSignals):
        super().__init__(signals)
        self.name, self.path = name, path

    def work(self) -> None:
        from ..core.media import probe

        try:
            info = probe(self.path)
            thumbnails = self._thumbnails(info) if info.has_video else []
            waveform, spectrogram = (
                self._sound() if info.has_audio else (np.zeros((0, 2), np.float32), None)
            )
        except Cancelled:
            return
        except AnnotatorError as exc:
            self.signals.failed.emit(self.name, getattr(exc, "reason", str(exc)))
            return
        self.signals.done.emit(self.name, MediaPreview(thumbnails, waveform, spectrogram))

    def _check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled(f"{self.path}: preview cancelled")

    def _thumbnails(self, info) -> list:
        from ..core.decode import iter_frame_seconds

        # Frames arrive squashed to a square; resample them back to the video's shape.
        aspect = info.width / info.height if info.width and info.height else 4 / 3
        width = max(8, round(THUMBNAIL_HEIGHT * aspect))
        out = []
        for frames in iter_frame_seconds(self.path, 1, size=128):
            self._check()
            rows = np.linspace(0, 127, THUMBNAIL_HEIGHT).astype(int)
            cols = np.linspace(0, 127, width).astype(int)
            out.append(np.ascontiguousarray(frames[0][np.ix_(rows, cols)]))
        return out

    def _sound(self):
        from ..core.audio_features import log_mel_patch
        from ..core.conventions import AUDIO_SAMPLE_RATE
        from ..core.decode import iter_audio_seconds

        envelopes, patches = [], []
        samples_per_bin = AUDIO_SAMPLE_RATE // WAVEFORM_BINS_PER_SECOND
        for second in iter_audio_seconds(self.path):
            self._check()
            usable = len(second) - len(second) % samples_per_bin
            if usable:
                bins = second[:usable].reshape(-1, samples_per_bin)
                envelopes.append(np.stack([bins.min(axis=1), bins.max(axis=1)], axis=1))
            patches.append(log_mel_patch(second))
        waveform = np.concatenate(envelopes) if envelopes else np.zeros((0, 2), np.float32)
        spectrogram = np.concatenate(patches) if patches else None
        return waveform, spectrogram
