"""What every lane shares: the time axis that maps seconds to pixels, and the Lane base class."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from .colors import TEXT_COLOR
from .state import TimelineState


@dataclass(frozen=True)
class TimeAxis:
    """Maps time to x pixels: `left` is where the lanes start, `view_start` the time shown there."""

    left: float
    view_start: float
    pixels_per_second: float
    width: float

    def x(self, seconds: float) -> float:
        return self.left + (seconds - self.view_start) * self.pixels_per_second

    def time(self, x: float) -> float:
        return self.view_start + (x - self.left) / self.pixels_per_second

    def visible_seconds(self, count: int) -> range:
        first = max(0, int(math.floor(self.view_start)))
        last = min(count, int(math.ceil(self.time(self.left + self.width))) + 1)
        return range(first, max(first, last))

    def pixel_columns(self, duration: float) -> np.ndarray:
        """The x of every whole pixel column that shows some of [0, duration)."""
        start = int(max(self.left, self.x(0)))
        end = int(min(self.left + self.width, self.x(duration)))
        return np.arange(start, max(start, end))


class Lane:
    title = ""
    height = 40

    def paint(self, painter: QPainter, rect: QRect, state: TimelineState, axis: TimeAxis) -> None:
        raise NotImplementedError

    def paint_title(self, painter: QPainter, rect: QRect) -> None:
        """The lane's name in the title column (`rect` is that column's cell)."""
        painter.setPen(TEXT_COLOR)
        painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignVCenter | Qt.AlignLeft, self.title)


def paint_note(painter, rect, axis, text: str) -> None:
    """A grey line of text where a lane has nothing to draw (yet)."""
    painter.setPen(QColor("#8a9099"))
    painter.drawText(
        QRectF(axis.left + 8, rect.top(), axis.width - 16, rect.height()),
        Qt.AlignVCenter | Qt.AlignLeft,
        text,
    )
