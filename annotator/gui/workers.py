"""Background work: annotating videos, probing durations, decoding timeline pictures and sound.

Every worker reports by Qt signals and can be cancelled; none touches a widget or the store.
Annotation runs in its own QThread (TensorFlow is imported there, on first use, never on the GUI
thread); probing and preview decoding are short jobs on the global QThreadPool.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from ..core.errors import AnnotatorError, Cancelled

log = logging.getLogger(__name__)

THUMBNAIL_HEIGHT = 72
WAVEFORM_BINS_PER_SECOND = 100


@dataclass(frozen=True)
class AnnotationJob:
    name: str        # the store's key for the video
    path: Path


class AnnotationWorker(QObject):
    """Annotates videos one after another with one bundle; lives in its own thread."""

    modelLoading = Signal(str)
    videoStarted = Signal(str)
    videoProgress = Signal(str, float)              # name, fraction of this video done
    videoDone = Signal(str, object, object, list)   # name, per-second table, attention, warnings
    videoFailed = Signal(str, str)                  # name, reason
    runFailed = Signal(str)                         # the bundle itself could not be used
    finished = Signal(bool)                         # True when stopped by cancel

    def __init__(self, bundle_path: Path, jobs: list[AnnotationJob], cache_dir=None):
        super().__init__()
        self.bundle_path = Path(bundle_path)
        self.jobs = list(jobs)
        self.cache_dir = cache_dir
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Safe from any thread: the worker stops within about a second of video."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        from ..core.feature_cache import FeatureCache
        from ..ml.bundle import load_bundle

        try:
            bundle = load_bundle(self.bundle_path)
            self.modelLoading.emit(bundle.tag)
            bundle.model()   # the first call imports TensorFlow: seconds, once per process
        except AnnotatorError as exc:
            self.runFailed.emit(str(exc))
            self.finished.emit(False)
            return
        cache = FeatureCache(self.cache_dir)
        for job in self.jobs:
            if self._cancel.is_set():
                break
            self._annotate(job, bundle, cache)
        self.finished.emit(self._cancel.is_set())

    def _annotate(self, job: AnnotationJob, bundle, cache) -> None:
        from ..core.media import probe
        from ..ml.prediction import annotate_video

        self.videoStarted.emit(job.name)
        try:
            info = probe(job.path)
            annotation = annotate_video(job.path, bundle, cache=cache, info=info,
                                        cancel=self._progress_poll(job.name, info, bundle),
                                        video_name=job.name)
        except Cancelled:
            return
        except AnnotatorError as exc:
            self.videoFailed.emit(job.name, getattr(exc, "reason", str(exc)))
            return
        except Exception as exc:  # one odd file must not end the run
            log.exception("unexpected error annotating %s", job.path)
            self.videoFailed.emit(job.name, f"unexpected error: {type(exc).__name__}: {exc}")
            return
        self.videoProgress.emit(job.name, 1.0)
        self.videoDone.emit(job.name, annotation.table, annotation.attention,
                            list(annotation.warnings))

    def _progress_poll(self, name: str, info, bundle):
        """The `cancel` callable for annotate_video, doubling as per-video progress.

        The feature extractors ask cancel() once per decoded second of each stream the model
        uses, so counting the calls measures progress (a cached video finishes at once).
        """
        from ..core.table import count_seconds

        streams = sum([("audio" in bundle.modalities and info.has_audio),
                       ("visual" in bundle.modalities and info.has_video)])
        expected = max(1, count_seconds(info.duration) * streams)
        polls = 0

        def poll() -> bool:
            nonlocal polls
            polls += 1
            self.videoProgress.emit(name, min(0.95, polls / expected))
            return self._cancel.is_set()
        return poll


class AnnotationRun(QObject):
    """Owns the worker thread of one run and re-emits the worker's signals on the GUI thread."""

    modelLoading = Signal(str)
    videoStarted = Signal(str)
    videoProgress = Signal(str, float)
    videoDone = Signal(str, object, object, list)
    videoFailed = Signal(str, str)
    runFailed = Signal(str)
    finished = Signal(bool)

    def __init__(self, worker: AnnotationWorker, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.total = len(worker.jobs)
        self.thread = QThread()
        self.thread.setObjectName("annotation")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Connecting to this object's bound slots queues the calls onto the GUI thread.
        worker.modelLoading.connect(self._on_model_loading)
        worker.videoStarted.connect(self._on_video_started)
        worker.videoProgress.connect(self._on_video_progress)
        worker.videoDone.connect(self._on_video_done)
        worker.videoFailed.connect(self._on_video_failed)
        worker.runFailed.connect(self._on_run_failed)
        worker.finished.connect(self._on_finished)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.worker.cancel()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def wait(self, milliseconds: int = 30_000) -> bool:
        return self.thread.wait(milliseconds)

    @Slot(str)
    def _on_model_loading(self, tag):
        self.modelLoading.emit(tag)

    @Slot(str)
    def _on_video_started(self, name):
        self.videoStarted.emit(name)

    @Slot(str, float)
    def _on_video_progress(self, name, fraction):
        self.videoProgress.emit(name, fraction)

    @Slot(str, object, object, list)
    def _on_video_done(self, name, table, attention, warnings):
        self.videoDone.emit(name, table, attention, warnings)

    @Slot(str, str)
    def _on_video_failed(self, name, reason):
        self.videoFailed.emit(name, reason)

    @Slot(str)
    def _on_run_failed(self, reason):
        self.runFailed.emit(reason)

    @Slot(bool)
    def _on_finished(self, cancelled):
        self.thread.quit()
        self.thread.wait()
        self.finished.emit(cancelled)


class TaskSignals(QObject):
    """Signals of a QRunnable (which cannot have its own); created on the GUI thread."""
    done = Signal(str, object)      # name, result
    failed = Signal(str, str)       # name, reason


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
    thumbnails: list            # one (h, w, 3) uint8 picture per second
    waveform: np.ndarray        # (bins, 2) min/max, WAVEFORM_BINS_PER_SECOND per second
    spectrogram: np.ndarray     # (frames, 64) log-mel, as the audio model hears it


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
            waveform, spectrogram = self._sound() if info.has_audio else (
                np.zeros((0, 2), np.float32), None)
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
