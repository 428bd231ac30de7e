"""Batch annotation: map the per-video pipeline (prepare, then label) over files, in parallel,
losing nothing.

Decoding and feature work run in a thread pool (`jobs`); ffmpeg runs in its own processes and
numpy/TensorFlow release the GIL, so threads overlap decoding with inference. Each failure is
recorded with its reason and the rest carry on.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import AnnotatorError, Cancelled
from ..core.feature_cache import FeatureCache
from .bundle import ModelBundle
from .pipeline import VideoAnnotation, label_video, prepare_video
from .prediction import load_head

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    annotations: list[VideoAnnotation] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[str] = field(default_factory=list)  # not media by extension
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.cancelled


def failure_reason(exc: Exception) -> str:
    """How a failed input is listed, by every engine: an AnnotatorError's own reason, otherwise
    the exception's type and message (one odd file never ends a batch)."""
    if isinstance(exc, AnnotatorError):
        return getattr(exc, "reason", str(exc))
    return f"unexpected error: {type(exc).__name__}: {exc}"


def _prepare(path: Path, bundle: ModelBundle, cache, use_cache, cancel, interrupted):
    """Probe and extract features in a worker thread; prediction follows on the caller's thread."""

    def stop() -> bool:
        return interrupted.is_set() or (cancel is not None and bool(cancel()))

    return prepare_video(path, bundle, cache=cache, use_cache=use_cache, cancel=stop)


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
) -> BatchResult:
    """Annotate every file; `progress(done, total, path)` after each; `name_for(path)` names rows.

    On Ctrl-C the workers stop at their next second and the interrupt is raised again, so the
    caller writes nothing half-done.
    """
    result = BatchResult()
    cache = cache or FeatureCache()
    load_head(bundle)  # load once, before the workers start
    interrupted = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [
            (path, pool.submit(_prepare, path, bundle, cache, use_cache, cancel, interrupted))
            for path in files
        ]
        try:
            _collect(futures, bundle, result, progress, name_for, len(files))
        except KeyboardInterrupt:
            interrupted.set()
            for _path, future in futures:
                future.cancel()
            raise
    return result


def _collect(futures, bundle, result: BatchResult, progress, name_for, total: int) -> None:
    """Predict each file as its features arrive, in input order; record each failure."""
    for done, (path, future) in enumerate(futures, start=1):
        try:
            prepared = future.result()
            result.annotations.append(label_video(prepared, bundle, name_for(path)))
        except Cancelled:
            result.cancelled = True
            for _p, later in futures:
                later.cancel()
            return
        except Exception as exc:  # never let one odd file end the batch
            if not isinstance(exc, AnnotatorError):
                log.exception("unexpected error on %s", path)
            result.failures.append((str(path), failure_reason(exc)))
        if progress:
            progress(done, total, path)
