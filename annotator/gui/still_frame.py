"""The picture at the cursor while the player is not playing: decoded by ffmpeg, not by the
media player, so it is there after selecting a video, after every seek, jump and step, after
the end of playback, and on machines where Qt Multimedia cannot play at all.

`FrameGrabber` decodes one picture at a time on the thread pool; the latest request wins (a
drag along the timeline asks for many, only the last one matters) and recent pictures are kept,
so stepping back and forth is instant. `StillPicture` paints the picture scaled to fit.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, QRectF, QRunnable, QThreadPool, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.errors import AnnotatorError

log = logging.getLogger(__name__)

MAX_WIDTH = 640
CACHED_PICTURES = 32


def display_size(width: int, height: int) -> tuple[int, int]:
    """The decoded picture's size: the video's shape, at most MAX_WIDTH wide, even sides."""
    if not width or not height:
        width, height = 640, 360
    scale = min(1.0, MAX_WIDTH / width)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


class _JobSignals(QObject):
    done = Signal(int, float, object, object)  # generation, time asked, picture or None, info
    failed = Signal(int, str)


class _FrameJob(QRunnable):
    def __init__(self, path, seconds: float, info, generation: int, signals: _JobSignals):
        super().__init__()
        self.setAutoDelete(False)  # the grabber holds it until it has run
        self.path, self.seconds, self.info = path, seconds, info
        self.generation, self.signals = generation, signals

    def run(self) -> None:
        from ..core.decode import frame_at
        from ..core.media import probe

        try:
            info = self.info or probe(self.path)
            if not info.has_video:
                self.signals.done.emit(self.generation, self.seconds, None, info)
                return
            width, height = display_size(info.width, info.height)
            frame_time = 1.0 / info.fps if info.fps else 0.04
            # The last picture starts one frame before the end: past it there is none.
            at = min(self.seconds, max(0.0, info.duration - frame_time))
            if info.fps:  # the picture on screen at `at` is the one that started before it
                at = math.floor(at * info.fps + 1e-6) / info.fps
            picture = frame_at(self.path, at, width, height)
            if picture is None and at > 0:
                picture = frame_at(self.path, max(0.0, at - 1.0), width, height)
            self.signals.done.emit(self.generation, self.seconds, picture, info)
        except AnnotatorError as exc:
            self.signals.failed.emit(self.generation, getattr(exc, "reason", str(exc)))


class FrameGrabber(QObject):
    """Pictures of one video at asked times: `frameReady(time, picture)`."""

    frameReady = Signal(float, object)  # the time asked for, (h, w, 3) uint8 or None
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.path = None
        self.info = None  # MediaInfo once the first picture is decoded
        self._generation = 0
        self._job: _FrameJob | None = None
        self._pending: float | None = None
        self._cache: OrderedDict = OrderedDict()
        # A pool of its own: the picture at the cursor never queues behind a long preview decode.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _JobSignals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)

    def set_source(self, path) -> None:
        self.path, self.info = path, None
        self._generation += 1
        self._pending = None
        self._cache.clear()

    def _key(self, seconds: float):
        fps = self.info.fps if self.info and self.info.fps else 25.0
        return int(seconds * fps + 1e-6)

    def request(self, seconds: float) -> None:
        if self.path is None:
            return
        key = self._key(seconds)
        if key in self._cache:
            self._cache.move_to_end(key)
            self.frameReady.emit(seconds, self._cache[key])
            return
        if self._job is not None:
            self._pending = seconds  # decode it when the one in hand is done
            return
        self._job = _FrameJob(self.path, seconds, self.info, self._generation, self._signals)
        self._pool.start(self._job)

    def busy(self) -> bool:
        return self._job is not None

    def wait(self, milliseconds: int = 10_000) -> bool:
        """Let the decode in hand finish (closing the window)."""
        self._pending = None
        return self._pool.waitForDone(milliseconds)

    def _next(self) -> None:
        self._job = None
        if self._pending is not None:
            seconds, self._pending = self._pending, None
            self.request(seconds)

    def _on_done(self, generation: int, seconds: float, picture, info) -> None:
        if generation == self._generation:
            self.info = info
            self._cache[self._key(seconds)] = picture
            while len(self._cache) > CACHED_PICTURES:
                self._cache.popitem(last=False)
            self.frameReady.emit(seconds, picture)
        self._next()

    def _on_failed(self, generation: int, reason: str) -> None:
        if generation == self._generation:
            log.warning("%s: %s", self.path, reason)
            self.failed.emit(reason)
        self._next()


class StillPicture(QWidget):
    """A picture scaled to fit on black, keeping its shape; a note where there is none."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.picture: np.ndarray | None = None
        self.time: float | None = None
        self.note = ""
        self._image: QImage | None = None
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def show_picture(
        self, picture: np.ndarray | None, seconds: float | None, note: str = ""
    ) -> None:
        self.picture, self.time, self.note = picture, seconds, note
        self._image = None
        if picture is not None:
            data = np.ascontiguousarray(picture)
            height, width = data.shape[:2]
            self._image = QImage(data.data, width, height, 3 * width, QImage.Format_RGB888).copy()
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#101214"))
        if self._image is not None:
            scale = min(self.width() / self._image.width(), self.height() / self._image.height())
            width, height = self._image.width() * scale, self._image.height() * scale
            target = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            painter.drawImage(target, self._image)
        elif self.note:
            painter.setPen(QColor("#c8ccd2"))
            painter.drawText(
                self.rect().adjusted(12, 12, -12, -12), Qt.AlignCenter | Qt.TextWordWrap, self.note
            )
        painter.end()
