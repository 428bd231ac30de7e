"""Small pictures of single seconds of any video in the folder, for the review queue and the
find-similar list: decoded by ffmpeg (core.decode.frame_at, one short decode each) on the thread
pool, remembered, and delivered as QImages by (video, second). A list asks for the rows it
shows; a newer request list replaces the older one, so scrolling never queues a backlog."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

WIDTH, HEIGHT = 96, 54
REMEMBERED = 400


def to_image(picture: np.ndarray) -> QImage:
    height, width, _ = picture.shape
    data = np.ascontiguousarray(picture)
    return QImage(data.data, width, height, 3 * width, QImage.Format_RGB888).copy()


class _Signals(QObject):
    ready = Signal(str, int, object)  # video, second, QImage or None (no picture there)


class _Batch(QRunnable):
    def __init__(self, wanted: list, signals: _Signals, stop: threading.Event):
        super().__init__()
        self.wanted, self.signals, self.stop = wanted, signals, stop
        self.ended = threading.Event()

    def run(self) -> None:
        from ..core.decode import frame_at
        from ..core.errors import AnnotatorError

        try:
            for video, second, path in self.wanted:
                if self.stop.is_set():
                    return
                try:
                    picture = frame_at(path, second + 0.5, WIDTH, HEIGHT)
                except (AnnotatorError, OSError):
                    picture = None
                self.signals.ready.emit(video, second, picture)
        finally:
            self.ended.set()


class SecondThumbnails(QObject):
    """`request([(video, second, path)])`; `ready(video, second, QImage or None)` per picture."""

    ready = Signal(str, int, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._signals = _Signals(self)
        self._signals.ready.connect(self._arrived)
        self._pictures: OrderedDict = OrderedDict()
        self._stop = threading.Event()
        self._batches: list[_Batch] = []  # kept alive until the pool has run them

    def cached(self, video: str, second: int) -> QImage | None:
        return self._pictures.get((video, int(second)))

    def request(self, wanted: list[tuple[str, int, Path]]) -> None:
        self._stop.set()  # the previous list is stale
        self._stop = threading.Event()
        todo = [(v, int(s), p) for v, s, p in wanted if (v, int(s)) not in self._pictures]
        if not todo:
            return
        batch = _Batch(todo, self._signals, self._stop)
        batch.setAutoDelete(False)
        self._batches = [b for b in self._batches if not b.ended.is_set()] + [batch]
        QThreadPool.globalInstance().start(batch)

    def cancel(self) -> None:
        self._stop.set()

    def _arrived(self, video: str, second: int, picture) -> None:
        image = None if picture is None else to_image(picture)
        self._pictures[(video, second)] = image
        while len(self._pictures) > REMEMBERED:
            self._pictures.popitem(last=False)
        self.ready.emit(video, second, image)
