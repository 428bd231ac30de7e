"""The lanes of per-second scores: each modality head's confidence, the attention model's
weights over sound and picture, and how familiar each second is to the model.

A score is drawn per second when seconds are wide, per pixel column (its seconds' highest
value) when zoomed out, so an hour fitted into a window draws as fast as ten seconds.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPen, QPolygonF

from ...core.conventions import BACKGROUND
from .colors import AUDIO_COLOR, GRID_COLOR, TEXT_COLOR, VISUAL_COLOR, faint, label_color
from .lane_base import (
    COLUMNS_BELOW_PIXELS_PER_SECOND,
    Lane,
    TimeAxis,
    column_blocks,
    paint_note,
    runs,
)
from .state import TimelineState
from .summary import column_firsts


def span_arrays(values: np.ndarray, axis: TimeAxis, duration: float):
    """(x0, x1, value) arrays to draw a per-second series: one per visible second when seconds
    are wide enough, else one per pixel column holding the highest value of its seconds (an
    hour fitted into a window stays as fast to draw as ten seconds)."""
    visible = axis.visible_seconds(len(values))
    if axis.pixels_per_second >= 2 or not len(visible):
        seconds = np.arange(visible.start, visible.stop)
        x0 = axis.x(seconds.astype(float))
        x1 = axis.x(np.minimum(seconds + 1.0, duration))
        return x0, x1, np.asarray(values, float)[visible.start : visible.stop]
    xs, firsts, stop = column_firsts(axis, len(values), min(visible.stop, duration))
    if not len(xs):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    # fmax skips NaN: a pixel shows the highest value among its seconds, NaN only if all are.
    highest = np.fmax.reduceat(np.asarray(values[:stop], float), firsts)
    return xs.astype(float), xs + 1.0, highest


def spans(values: np.ndarray, axis: TimeAxis, duration: float):
    """span_arrays as (x0, x1, value) tuples."""
    return zip(*(array.tolist() for array in span_arrays(values, axis, duration)))


def finite_pieces(x0, x1, values):
    """The arrays of span_arrays cut where the value is NaN: [(x0, x1, values)] of each piece."""
    finite = ~np.isnan(values)
    edges = np.flatnonzero(np.diff(np.concatenate([[False], finite, [False]]).astype(int)))
    return [(x0[a:b], x1[a:b], values[a:b]) for a, b in zip(edges[::2], edges[1::2])]


def finite_runs(series) -> list[list[tuple[float, float, float]]]:
    """The spans of `spans()` cut into runs without a NaN, neighbours of equal value merged
    (a familiar hour is one rectangle, not one per pixel)."""
    out, run = [], []
    for x0, x1, value in series:
        if value != value:  # NaN
            if run:
                out.append(run)
            run = []
        elif run and run[-1][2] == value and run[-1][1] == x0:
            run[-1] = (run[-1][0], x1, value)
        else:
            run.append((x0, x1, value))
    return out + [run] if run else out


def _draw_polyline(painter, pen, points: list) -> None:
    if len(points) > 1:
        painter.setPen(pen)
        painter.drawPolyline(QPolygonF(points))


class ConfidenceLane(Lane):
    """One modality head's confidence per second as a step curve, with the threshold dashed and
    the head's own label written over each run of seconds where it names an event."""

    height = 50

    def __init__(self, title: str, column: str, label_column: str, color: QColor):
        self.title, self.column, self.label_column, self.color = title, column, label_column, color

    def values(self, state: TimelineState) -> np.ndarray:
        return state.column(self.column)

    def labels(self, state: TimelineState) -> list[str]:
        return state.text_column(self.label_column)

    def paint(self, painter, rect, state, axis):
        values = self.values(state)
        inner = QRectF(rect).adjusted(0, 4, 0, -3)
        y = lambda v: inner.bottom() - v * inner.height()  # noqa: E731
        painter.setPen(QPen(GRID_COLOR, 1, Qt.DashLine))
        painter.drawLine(
            QPointF(axis.left, y(state.threshold)),
            QPointF(axis.left + axis.width, y(state.threshold)),
        )
        if np.all(np.isnan(values)):
            paint_note(painter, rect, axis, "no value from this model or stream")
            return
        for x0, x1, value in finite_pieces(*span_arrays(values, axis, state.duration)):
            self._draw_curve(painter, x0, x1, y(value), inner.bottom())
        self._paint_head_labels(painter, rect, state, axis)

    def _draw_curve(self, painter, x0, x1, top, bottom: float) -> None:
        """A piece of the step curve: filled faintly down to the bottom, outlined on top."""
        x0, x1, top = x0.tolist(), x1.tolist(), top.tolist()
        painter.setPen(Qt.NoPen)
        painter.setBrush(faint(self.color, 45))
        painter.drawRects([QRectF(a, t, b - a, bottom - t) for a, b, t in zip(x0, x1, top)])
        painter.setBrush(Qt.NoBrush)
        points = [QPointF(x, t) for a, b, t in zip(x0, x1, top) for x in (a, b)]
        # A 1-pixel pen is drawn directly; a wider one is stroked, which costs ~10 ms for a
        # curve of one step per pixel column (an hour zoomed out): wide only when zoomed in.
        _draw_polyline(painter, QPen(self.color, 1.6 if len(points) < 200 else 1.0), points)

    def _paint_head_labels(self, painter, rect, state, axis) -> None:
        metrics = painter.fontMetrics()
        labels = self.labels(state)
        if axis.pixels_per_second < COLUMNS_BELOW_PIXELS_PER_SECOND:
            shown = column_blocks(state, axis, ("head", self.label_column), labels, None)
            named = [(b.start, b.end, b.label) for b in shown]
        else:
            visible = axis.visible_seconds(len(labels))
            named = [
                (start + visible.start, end + visible.start, label)
                for start, end, label in runs(labels[visible.start : visible.stop])
            ]
        for start, end, label in named:
            if label in ("", BACKGROUND, None):
                continue
            x0, x1 = axis.x(start), axis.x(min(end, state.duration))
            if x1 - x0 < 30 or x1 < axis.left:
                continue
            painter.setPen(label_color(label, state.classes, state.class_colors).darker(130))
            text = metrics.elidedText(label, Qt.ElideRight, int(x1 - x0) - 6)
            painter.drawText(
                QRectF(x0 + 4, rect.top() + 1, x1 - x0 - 6, metrics.height()),
                Qt.AlignLeft | Qt.AlignTop,
                text,
            )


class AttentionLane(Lane):
    """How much the attention model listened (blue, from the bottom) versus looked (orange)."""

    title = "Attention"
    height = 48
    legend = (("sound", AUDIO_COLOR), ("picture", VISUAL_COLOR))

    def paint_title(self, painter, rect):
        """The name, and under it the legend: which colour is listening, which is looking."""
        painter.setPen(TEXT_COLOR)
        row = (rect.height() - 4) // 3
        painter.drawText(
            QRect(rect.left() + 6, rect.top() + 2, rect.width() - 8, row),
            Qt.AlignVCenter | Qt.AlignLeft,
            self.title,
        )
        font = painter.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        painter.save()
        painter.setFont(font)
        for index, (name, color) in enumerate(self.legend, start=1):
            top = rect.top() + 2 + index * row
            painter.fillRect(QRectF(rect.left() + 8, top + (row - 7) / 2, 7, 7), color)
            painter.drawText(
                QRect(rect.left() + 19, top, rect.width() - 21, row),
                Qt.AlignVCenter | Qt.AlignLeft,
                name,
            )
        painter.restore()

    def weights(self, state: TimelineState) -> np.ndarray | None:
        return state.attention

    def paint(self, painter, rect, state, axis):
        weights = self.weights(state)
        if weights is None:
            paint_note(painter, rect, axis, "this model has no attention weights")
            return
        inner = QRectF(rect).adjusted(0, 3, 0, -3)
        share = weights[:, 0] / np.maximum(weights.sum(axis=1), 1e-9)  # audio's share
        bottom = inner.bottom()
        painter.setPen(Qt.NoPen)
        for x0, x1, audio in finite_pieces(*span_arrays(share, axis, state.duration)):
            # Looking fills the piece; listening is drawn over it from the bottom.
            left, right = float(x0[0]), float(x1[-1])
            painter.fillRect(
                QRectF(left, inner.top(), right - left, inner.height()), faint(VISUAL_COLOR, 200)
            )
            splits = (bottom - audio * inner.height()).tolist()
            painter.setBrush(AUDIO_COLOR)
            painter.drawRects(
                [
                    QRectF(a, t, b - a, bottom - t)
                    for a, b, t in zip(x0.tolist(), x1.tolist(), splits)
                ]
            )
        painter.setBrush(Qt.NoBrush)


UNFAMILIAR_COLOR = QColor("#b8323c")
FAMILIAR_COLOR = QColor("#9fb8a0")


class FamiliarityLane(Lane):
    """How like the model's training data each second is: a low grey-green strip where it is
    familiar, a red bar (taller the stranger) where it is not, and the video's unfamiliar share."""

    title = "Familiar"
    height = 30

    def values(self, state: TimelineState) -> np.ndarray | None:
        if state.familiarity is None or len(state.familiarity) != state.seconds:
            return None
        return np.asarray(state.familiarity, float)

    def paint(self, painter, rect, state, axis):
        values = self.values(state)
        if values is None:
            paint_note(
                painter,
                rect,
                axis,
                "not scored (the model has no familiarity summary)"
                if state.predictions is not None
                else "",
            )
            return
        inner = QRectF(rect).adjusted(0, 3, 0, -3)
        # Drawn as strangeness (1 - familiarity), so the eye goes to the tall red bars.
        runs_ = finite_runs(spans(1.0 - values, axis, state.duration))
        for x0, x1, strangeness in (span for run in runs_ for span in run):
            if strangeness <= 0:
                painter.fillRect(QRectF(x0, inner.bottom() - 3, x1 - x0, 3), FAMILIAR_COLOR)
                continue
            height = max(4.0, (0.3 + 0.7 * strangeness) * inner.height())
            painter.fillRect(QRectF(x0, inner.bottom() - height, x1 - x0, height), UNFAMILIAR_COLOR)
        share = state.unfamiliar_share()
        if share > 0:
            painter.setPen(TEXT_COLOR)
            painter.drawText(
                QRectF(axis.left, rect.top(), axis.width - 6, rect.height()),
                Qt.AlignRight | Qt.AlignVCenter,
                f"{share * 100:.0f} % unlike the training data",
            )
