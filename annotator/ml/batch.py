"""Batch annotation: map the per-video pipeline (prepare, then label) over files, in parallel,
losing nothing.

Decoding and feature work run in a thread pool (`jobs`); ffmpeg runs in its own processes and
numpy/TensorFlow release the GIL, so threads overlap decoding with inference. Each failure is
recorded with its reason and the rest carry on.

Built for libraries of thousands of files and recordings hours long:
- only a few videos are in flight at once (twice `jobs`), so memory does not grow with the
  number of files; with `keep_annotations=False` the result keeps a small summary per video and
  each video's rows go to `on_annotation` and the journal as it finishes;
- with a `journal` (core/finished_videos.py) every finished video's rows are on disk at once, and
  a video whose rows are already there (an interrupted run's) is not labelled again;
- `video_progress(path, seconds done, seconds in the video, stage)` follows each video through
  its stages, "decoding" (in a worker thread) then "labelling".
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import AnnotatorError, Cancelled
from ..core.feature_cache import FeatureCache
from ..core.finished_videos import FinishedVideos, VideoSummary
from .bundle import ModelBundle
from .pipeline import VideoAnnotation, label_video, prepare_video
from .prediction import load_head

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    # Every finished video's annotation, in input order (empty with keep_annotations=False).
    annotations: list[VideoAnnotation] = field(default_factory=list)
    # Every finished video's summary, in input order, including those resumed from a journal.
    videos: list[VideoSummary] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[str] = field(default_factory=list)  # not media by extension
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.cancelled

    @property
    def resumed(self) -> int:
        """Videos whose rows an earlier run had finished (the model did not run on them)."""
        return sum(1 for video in self.videos if video.resumed)


def failure_reason(exc: Exception) -> str:
    """How a failed input is listed, by every engine: an AnnotatorError's own reason, otherwise
    the exception's type and message (one odd file never ends a batch)."""
    if isinstance(exc, AnnotatorError):
        return getattr(exc, "reason", str(exc))
    return f"unexpected error: {type(exc).__name__}: {exc}"


@dataclass
class _Work:
    """One input in flight: its features on the way (`future`), or its rows already finished."""

    path: Path
    name: str
    future: object = None
    finished: VideoSummary | None = None


@dataclass
class _Settings:
    bundle: ModelBundle
    cache: FeatureCache
    use_cache: bool
    cancel: object
    interrupted: threading.Event
    video_progress: object

    def stop(self) -> bool:
        return self.interrupted.is_set() or (self.cancel is not None and bool(self.cancel()))


@dataclass
class _Sinks:
    """Where each finished video goes, and who hears of its progress."""

    journal: FinishedVideos | None
    keep: bool
    on_annotation: object
    video_progress: object
    on_failure: object = None


def _prepare(path: Path, settings: _Settings):
    """Probe and extract features in a worker thread; prediction follows on the caller's thread."""
    report = settings.video_progress
    return prepare_video(
        path,
        settings.bundle,
        cache=settings.cache,
        use_cache=settings.use_cache,
        cancel=settings.stop,
        seconds_progress=None if report is None else lambda d, t: report(path, d, t, "decoding"),
    )


def _schedule(pool, files, settings: _Settings, name_for, journal: FinishedVideos | None):
    """The inputs as work, lazily: a file's features are started only when it is pulled."""
    for path in files:
        name = name_for(path)
        finished = journal.summary(name, path) if journal is not None else None
        if finished is not None:
            yield _Work(Path(path), name, finished=finished)
        else:
            yield _Work(Path(path), name, future=pool.submit(_prepare, path, settings))


def annotate_batch(
    files,
    bundle: ModelBundle,
    *,
    jobs: int = 1,
    cache: FeatureCache | None = None,
    use_cache: bool = True,
    progress=None,
    cancel=None,
    name_for=str,
    journal: FinishedVideos | None = None,
    keep_annotations: bool = True,
    on_annotation=None,
    video_progress=None,
    on_failure=None,
) -> BatchResult:
    """Annotate every file; `progress(done, total, path)` after each; `name_for(path)` names rows;
    `on_annotation(path, annotation)` receives each video labelled by this run, in input order,
    and `on_failure(path, reason)` each one that failed, as it fails.

    On Ctrl-C the workers stop at their next second (the chunks of features already done stay
    in the cache, the finished videos in the journal) and the interrupt is raised again, so the
    caller writes nothing half-done.
    """
    files = list(files)
    result = BatchResult()
    settings = _Settings(
        bundle, cache or FeatureCache(), use_cache, cancel, threading.Event(), video_progress
    )
    load_head(bundle)  # load once, before the workers start
    sinks = _Sinks(journal, keep_annotations, on_annotation, video_progress, on_failure)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pending: deque[_Work] = deque()
        work = _schedule(pool, files, settings, name_for, journal)
        try:
            _collect(work, pending, 2 * max(1, jobs), result, bundle, sinks, progress, len(files))
        except KeyboardInterrupt:
            settings.interrupted.set()
            _cancel_all(pending)
            raise
    return result


def _collect(work, pending: deque, ahead: int, result, bundle, sinks, progress, total) -> None:
    """Finish each input in input order, keeping at most `ahead` in flight; record failures."""
    done = 0
    while True:
        while len(pending) < ahead:
            item = next(work, None)
            if item is None:
                break
            pending.append(item)
        if not pending:
            return
        item = pending.popleft()
        try:
            _finish(item, result, bundle, sinks)
        except Cancelled:
            result.cancelled = True
            _cancel_all(pending)
            return
        except Exception as exc:  # never let one odd file end the batch
            if not isinstance(exc, AnnotatorError):
                log.exception("unexpected error on %s", item.path)
            result.failures.append((str(item.path), failure_reason(exc)))
            if sinks.on_failure is not None:
                sinks.on_failure(item.path, result.failures[-1][1])
        done += 1
        if progress:
            progress(done, total, item.path)


def _finish(item: _Work, result: BatchResult, bundle, sinks) -> None:
    if item.finished is not None:
        result.videos.append(item.finished)
        return
    journal, keep_annotations, on_annotation = sinks.journal, sinks.keep, sinks.on_annotation
    report = sinks.video_progress
    labelling = None if report is None else lambda d, t: report(item.path, d, t, "labelling")
    annotation = label_video(item.future.result(), bundle, item.name, labelling)
    item.future = None  # the features are not needed any more
    summary = VideoSummary.of(
        item.name,
        item.path,
        annotation.table,
        annotation.warnings,
        annotation.familiarity,
        annotation.visual_decoding,
    )
    if journal is not None:
        journal.save(item.name, item.path, annotation.table, summary)
    if on_annotation is not None:
        on_annotation(item.path, annotation)
    if keep_annotations:
        result.annotations.append(annotation)
    result.videos.append(summary)


def _cancel_all(pending: deque) -> None:
    for item in pending:
        if item.future is not None:
            item.future.cancel()
