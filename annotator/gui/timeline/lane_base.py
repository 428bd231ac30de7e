"""What every lane shares: the time axis that maps seconds to pixels, the Lane base class, and
runs of equal per-second values (as blocks, or summarised per pixel column when zoomed out)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from .colors import TEXT_COLOR
from .state import TimelineState
from .summary import column_firsts, column_means, label_codes, summarise


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


@dataclass(frozen=True)
class Block:
    start: int  # first second
    end: int  # one past the last second
    label: str
    faint: bool = False


def runs(values: list, key=lambda v: v) -> list[tuple[int, int, object]]:
    """[(start, end, value)] of runs of equal key(value) in a per-second list."""
    out, start = [], 0
    for index in range(1, len(values) + 1):
        if index == len(values) or key(values[index]) != key(values[start]):
            out.append((start, index, values[start]))
            start = index
    return out


# Below this zoom the label lanes draw one block per pixel column (see summary.py), not one
# per run of seconds: a noisy hour would otherwise be thousands of sub-pixel blocks.
COLUMNS_BELOW_PIXELS_PER_SECOND = 1.0


def column_blocks(state, axis, kind: str, labels: list, low: np.ndarray | None) -> list[Block]:
    """Blocks of whole pixel columns (times at column edges), each column's label summarised
    from its seconds; faint where most of its seconds are `low`. Label None: no label."""
    codes, names = state.derived(("codes", kind), lambda: label_codes(labels))
    xs, firsts, stop = column_firsts(axis, len(labels), state.duration)
    shown = summarise(codes, names, firsts, stop)
    faint_ = (column_means(low, firsts, stop) > 0.5).tolist() if low is not None else None
    pairs = list(zip(shown, faint_ or [False] * len(shown)))
    return [
        Block(axis.time(float(xs[start])), axis.time(float(xs[end - 1] + 1)), *value)
        for start, end, value in runs(pairs)
    ]
