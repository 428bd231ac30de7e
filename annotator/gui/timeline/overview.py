"""The overview strip: the whole video at a glance above the timeline's lanes, with the part the
lanes show framed. Click or drag on it to move the lanes there.

It is drawn at one pixel column per slice of the video: pictures and the waveform come from the
top levels of the tile pyramid (one or two tiles, whatever the video's length), the labels are
summarised per pixel (summary.py: the event a pixel's seconds hold most, else background). The drawing is
kept as a pixmap until the video, its labels, its tiles or the strip's width change; moving the
view only redraws the frame on top.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from .colors import CURSOR_COLOR, LANE_BACKGROUND, label_color
from .lane_base import TimeAxis
from .media_lanes import AudioLane, ThumbnailLane
from .state import TimelineState
from .summary import column_firsts, label_codes, summarise

PICTURES_HEIGHT, SOUND_HEIGHT, LABELS_HEIGHT = 26, 18, 10
VIEW_FRAME_COLOR = QColor("#1f6feb")


class OverviewStrip(QWidget):
    """The whole video in one strip, the lanes' view framed on it; click/drag moves the view."""

    moved = Signal()  # the user moved the view from the strip

    def __init__(self, state: TimelineState, lanes_width=None, parent=None):
        """`lanes_width()` is the width of the lanes whose view is framed (default: the strip's)."""
        super().__init__(parent)
        self.state, self.left = state, 0
        self._lanes_width = lanes_width or (lambda: float(self.strip_width()))
        self.pictures, self.sound = ThumbnailLane(), AudioLane(view="waveform")
        self._pixmap: QPixmap | None = None
        self._pixmap_key = None
        self.setFixedHeight(PICTURES_HEIGHT + SOUND_HEIGHT + 2 * LABELS_HEIGHT + 2)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip("The whole video: click or drag to move the timeline there")
        for signal in (
            state.videoChanged,
            state.durationChanged,
            state.predictionsChanged,
            state.humanLabelsChanged,
            state.previewChanged,
        ):
            signal.connect(self._redraw)
        state.viewChanged.connect(self.update)
        state.cursorChanged.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(800, self.height())

    def strip_width(self) -> int:
        return max(1, self.width() - self.left)

    def axis(self) -> TimeAxis:
        """The whole video across the strip."""
        duration = max(self.state.duration, 1e-3)
        return TimeAxis(self.left, 0.0, self.strip_width() / duration, self.strip_width())

    def view_rect(self) -> QRectF:
        """The part of the video the lanes show, in the strip's pixels (at least 3 wide)."""
        axis = self.axis()
        visible = self.state.visible_seconds(self._lanes_width())
        x0 = axis.x(self.state.view_start)
        x1 = axis.x(min(self.state.view_start + visible, self.state.duration))
        return QRectF(x0, 0, max(3.0, x1 - x0), self.height() - 1)

    def labels(self, kind: str) -> list:
        """Per pixel column, the summarised "predicted" or "human" label (None: no label)."""
        state = self.state
        labels = state.human_per_second() if kind == "human" else state.predicted_labels()
        codes, names = state.derived(("codes", kind), lambda: label_codes(labels))
        _xs, firsts, stop = column_firsts(self.axis(), len(labels), state.duration)
        return summarise(codes, names, firsts, stop)

    # ---- painting ----------------------------------------------------------------------------

    def _redraw(self, *_args) -> None:
        self._pixmap = None
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._pixmap = None

    def _base(self) -> QPixmap:
        preview = self.state.preview
        key = (
            self.width(),
            self.state.video,
            id(preview),
            preview.built_until if preview else 0,
        )
        if self._pixmap is None or self._pixmap_key != key:
            self._pixmap, self._pixmap_key = self._draw_base(), key
        return self._pixmap

    def _draw_base(self) -> QPixmap:
        pixmap = QPixmap(max(1, self.width()), self.height())
        pixmap.fill(LANE_BACKGROUND)
        if not self.state.video or self.state.duration <= 0:
            return pixmap
        painter = QPainter(pixmap)
        axis, top = self.axis(), 0
        for lane, height in ((self.pictures, PICTURES_HEIGHT), (self.sound, SOUND_HEIGHT)):
            rect = QRect(0, top, self.width(), height)
            painter.setClipRect(rect.adjusted(self.left, 0, 0, 0))
            lane.paint(painter, rect, self.state, axis)
            top += height
        painter.setClipping(False)
        for kind in ("predicted", "human"):
            for column, label in enumerate(self.labels(kind)):
                if label is not None:
                    color = label_color(label, self.state.classes, self.state.class_colors)
                    painter.fillRect(
                        QRectF(self.left + column, top + 1, 1, LABELS_HEIGHT - 1), color
                    )
            top += LABELS_HEIGHT
        painter.end()
        return pixmap

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._base())
        if self.state.video and self.state.duration > 0:
            frame = self.view_rect()
            painter.fillRect(frame, QColor(31, 111, 235, 40))
            painter.setPen(QPen(VIEW_FRAME_COLOR, 2))
            painter.drawRect(frame.adjusted(1, 1, -1, -1))
            x = self.axis().x(self.state.cursor)
            painter.setPen(QPen(CURSOR_COLOR, 1))
            painter.drawLine(int(x), 0, int(x), self.height())
        painter.end()

    # ---- mouse -------------------------------------------------------------------------------

    def time_at(self, x: float) -> float:
        return min(max(self.axis().time(x), 0.0), self.state.duration)

    def centre_on(self, x: float) -> None:
        """Move the lanes' view so that the time under `x` is in its middle."""
        visible = self.state.visible_seconds(self._lanes_width())
        start = self.time_at(x) - visible / 2
        self.state.scroll_to(min(max(start, 0.0), max(self.state.duration - visible, 0.0)))
        self.moved.emit()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.state.video:
            self.centre_on(event.position().x())
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton and self.state.video:
            self.centre_on(event.position().x())
            event.accept()
