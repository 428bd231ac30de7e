"""Loading the shown video's pictures and sound for the timeline: from the tile pyramid on disk
when it was built before, else built now by one streaming pass on the thread pool.

`PreviewLoader.load(name, path)` puts a `PreviewTiles` on the TimelineState at once (tiles
appear as the build reaches them, so the start of a long video shows while its end is still
being decoded); a switch to another video cancels the build in hand. Decoding streams a second
at a time (core.decode), so building never holds more than a few tiles of the video.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from ...core.errors import AnnotatorError, Cancelled
from .pyramid import PICTURE_HEIGHT, PyramidBuilder, PyramidLayout, envelope_and_mel
from .state import TimelineState
from .tiles import PreviewTiles, TileStore

log = logging.getLogger(__name__)

DECODED_SIZE = 128  # frames arrive squashed to this square; resampled back to the video's shape
JPEG_QUALITY = 80
PROGRESS_EVERY_S = 2.0  # wall time between progress reports (each rewrites unfinished tiles)


class _BuildSignals(QObject):
    started = Signal(int, object)  # generation, PyramidLayout
    progressed = Signal(int, int, list)  # generation, seconds done, unfinished tiles rewritten
    finished = Signal(int, object)  # generation, the complete PyramidLayout
    failed = Signal(int, str)


def picture_jpeg(frame: np.ndarray, width: int) -> bytes:
    """A (size, size, 3) squashed frame as a PICTURE_HEIGHT-high JPEG of the video's shape."""
    rows = np.linspace(0, frame.shape[0] - 1, PICTURE_HEIGHT).astype(int)
    cols = np.linspace(0, frame.shape[1] - 1, width).astype(int)
    picture = np.ascontiguousarray(frame[np.ix_(rows, cols)])
    image = QImage(picture.data, width, PICTURE_HEIGHT, 3 * width, QImage.Format_RGB888)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "JPG", JPEG_QUALITY)
    buffer.close()
    return bytes(data.data())


@functools.cache
def _one_blas_thread() -> None:
    """Give numpy's BLAS one thread in the app's process (as the pipeline does in its own).

    The log-mel's matrix products are tiny; split over BLAS threads on a busy machine they took
    25-40 ms a second of video instead of 3 ms (the pyramid of 2 hours: 85 s instead of ~25 s).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class PyramidBuild(QRunnable):
    """Decodes one video's pictures and sound together, second by second, into its pyramid."""

    def __init__(self, path: Path, store: TileStore, generation: int, signals: _BuildSignals):
        super().__init__()
        self.setAutoDelete(False)  # the loader holds it until it has run
        self.path, self.store, self.generation, self.signals = path, store, generation, signals
        self.cancelled = threading.Event()
        self.ended = threading.Event()

    def run(self) -> None:
        try:
            self._build()
        except Cancelled:
            pass
        except AnnotatorError as exc:
            self.signals.failed.emit(self.generation, getattr(exc, "reason", str(exc)))
        except OSError as exc:  # the cache folder cannot be written
            self.signals.failed.emit(self.generation, f"preview tiles cannot be written ({exc})")
        finally:
            self.ended.set()

    def _build(self) -> None:
        from ...core.decode import iter_audio_seconds, iter_frame_seconds
        from ...core.media import probe

        _one_blas_thread()
        info = probe(self.path)
        layout = PyramidLayout.for_video(
            info.duration, info.width, info.height, info.has_video, info.has_audio
        )
        self.signals.started.emit(self.generation, layout)
        builder = PyramidBuilder(layout, self.store.save)
        frames = iter_frame_seconds(self.path, 1, size=DECODED_SIZE) if info.has_video else ()
        sound = iter_audio_seconds(self.path) if info.has_audio else ()
        try:
            self._stream(layout, builder, frames, sound)
        finally:  # stop the ffmpeg processes now, not when the generators are collected
            for stream in (frames, sound):
                if hasattr(stream, "close"):
                    stream.close()
        complete = builder.finish()
        self.store.save_layout(complete)
        self.signals.finished.emit(self.generation, complete)

    def _stream(self, layout, builder: PyramidBuilder, frames, sound) -> None:
        reported = time.monotonic()
        for second, (frame, audio) in enumerate(itertools.zip_longest(frames, sound)):
            if self.cancelled.is_set():
                raise Cancelled(f"{self.path}: preview cancelled")
            if second >= layout.seconds:
                break  # a stream longer than the probed duration: the timeline ends there
            if frame is not None:
                builder.add_picture(second, picture_jpeg(frame[0], layout.picture_width))
            if audio is not None:
                builder.add_sound(*envelope_and_mel(audio))
            if time.monotonic() - reported > PROGRESS_EVERY_S:
                rewritten = []
                for kind, level, index, arrays in builder.partial():
                    self.store.save(kind, level, index, arrays)
                    rewritten.append((kind, level, index))
                self.signals.progressed.emit(self.generation, second + 1, rewritten)
                reported = time.monotonic()


class PreviewLoader(QObject):
    """Gives the TimelineState the shown video's PreviewTiles, building them when needed."""

    failed = Signal(str, str)  # video name, reason

    def __init__(self, state: TimelineState, cache_dir=None, parent=None):
        super().__init__(parent)
        self.state, self.cache_dir = state, cache_dir
        self._generation = 0
        self._name: str | None = None
        self._store: TileStore | None = None
        self._build: PyramidBuild | None = None
        self._signals = _BuildSignals(self)
        self._signals.started.connect(self._on_started)
        self._signals.progressed.connect(self._on_progressed)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)

    def load(self, name: str, path) -> None:
        self.cancel()
        self._generation += 1
        self._name = name
        try:
            self._store = TileStore(path, self.cache_dir)
        except OSError as exc:
            self.failed.emit(name, f"cannot read the file ({exc})")
            return
        layout = self._store.complete_layout()
        if layout is not None:  # built before: nothing to decode
            self.state.set_preview(PreviewTiles(self._store, layout, complete=True))
            return
        self._build = PyramidBuild(Path(path), self._store, self._generation, self._signals)
        QThreadPool.globalInstance().start(self._build)

    def building(self) -> bool:
        return self._build is not None and not self._build.ended.is_set()

    def cancel(self) -> None:
        if self._build is not None:
            self._build.cancelled.set()
        self._build = None

    def wait(self, milliseconds: int = 10_000) -> bool:
        """Let a cancelled build stop (closing the window)."""
        build = self._build
        self.cancel()
        return build is None or build.ended.wait(milliseconds / 1000)

    def _current(self, generation: int) -> bool:
        return generation == self._generation and self.state.video == self._name

    def _on_started(self, generation: int, layout: PyramidLayout) -> None:
        if self._current(generation):
            self.state.set_preview(PreviewTiles(self._store, layout, complete=False))

    def _on_progressed(self, generation: int, seconds_done: int, rewritten: list) -> None:
        if self._current(generation) and self.state.preview is not None:
            self.state.preview.progressed(seconds_done, rewritten)
            self.state.previewChanged.emit()

    def _on_finished(self, generation: int, layout: PyramidLayout) -> None:
        if self._current(generation) and self.state.preview is not None:
            self.state.preview.finished(layout)
            self.state.previewChanged.emit()
        if generation == self._generation:
            self._build = None

    def _on_failed(self, generation: int, reason: str) -> None:
        if generation == self._generation:
            self._build = None
            log.warning("%s: %s", self._name, reason)
            self.failed.emit(self._name or "", reason)
