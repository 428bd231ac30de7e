"""The timeline's lanes, each one horizontal strip on the shared time axis.

A lane separates what it shows (a data method computed from the TimelineState, which tests read)
from how it is drawn (`paint`). Painting only visits the visible seconds, so an hour-long video
draws as fast as a ten-second clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen, QPolygonF

from ...core.conventions import BACKGROUND
from .colors import (
    AUDIO_COLOR,
    GRID_COLOR,
    TEXT_COLOR,
    UNLABELLED_COLOR,
    VISUAL_COLOR,
    faint,
    label_color,
)
from .edges import resized
from .lane_base import Lane, TimeAxis, paint_note
from .media_lanes import AudioLane, ThumbnailLane
from .state import TimelineState
from .summary import column_firsts, column_means, label_codes, summarise


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


def _draw_polyline(painter, pen, points: list) -> None:
    if len(points) > 1:
        painter.setPen(pen)
        painter.drawPolyline(QPolygonF(points))


def _paint_blocks(
    painter, rect, state, axis, blocks: list[Block], name_background: bool = False
) -> None:
    metrics = painter.fontMetrics()
    for block in blocks:
        x0, x1 = axis.x(block.start), axis.x(min(block.end, state.duration))
        if x1 < axis.left or x0 > axis.left + axis.width:
            continue
        color = label_color(block.label, state.classes, state.class_colors)
        box = QRectF(x0, rect.top() + 3, max(1.0, x1 - x0 - 1), rect.height() - 6)
        painter.fillRect(box, faint(color) if block.faint else color)
        if (block.label != BACKGROUND or name_background) and box.width() > 24:
            dark = block.faint or block.label == BACKGROUND
            painter.setPen(TEXT_COLOR if dark else QColor("white"))
            name = block.label
            if name != BACKGROUND and name not in state.classes:
                name += " (model's own)"  # a model's class the project does not list
            text = metrics.elidedText(name, Qt.ElideRight, int(box.width()) - 6)
            painter.drawText(box.adjusted(4, 0, -2, 0), Qt.AlignVCenter | Qt.AlignLeft, text)


class PredictionLane(Lane):
    """The model's label per second; faint where its confidence is below the threshold."""

    title = "Predicted"
    height = 34

    def blocks(self, state: TimelineState, seconds: range | None = None) -> list[Block]:
        """The blocks drawn, of all seconds or of a range of them."""
        labels = state.predicted_labels()
        seconds = seconds if seconds is not None else range(len(labels))
        low = state.column("confidence") < state.threshold
        pairs = [(labels[s], bool(low[s])) for s in seconds]
        return [Block(s + seconds.start, e + seconds.start, v[0], v[1]) for s, e, v in runs(pairs)]

    def paint(self, painter, rect, state, axis):
        labels = state.predicted_labels()
        if axis.pixels_per_second < COLUMNS_BELOW_PIXELS_PER_SECOND:
            low = state.column("confidence") < state.threshold
            blocks = column_blocks(state, axis, "predicted", labels, low)
        else:
            blocks = self.blocks(state, axis.visible_seconds(len(labels)))
        _paint_blocks(painter, rect, state, axis, blocks)


class HumanLane(Lane):
    """The labels a person set; while dragging, the label being painted shows on top.

    A second nobody labelled is hatched ("not labelled"): it is not background, which is a
    label a person gives (key 0) and is drawn as a grey block named background."""

    title = "Human"
    height = 34

    def blocks(self, state: TimelineState) -> list[Block]:
        if state.edge_preview:  # an edge being dragged: show the segment as it will be
            labels = resized(state.human, *state.edge_preview, state.seconds)
            human = [labels.get(s) for s in range(state.seconds)]
            return [Block(s, e, v) for s, e, v in runs(human) if v is not None]
        return state.derived("human blocks", lambda: self._runs(state, labelled=True))

    def unlabelled(self, state: TimelineState) -> list[tuple[int, int]]:
        """[start, end) of each run of seconds nobody labelled."""
        return state.derived("unlabelled runs", lambda: self._runs(state, labelled=False))

    @staticmethod
    def _runs(state: TimelineState, labelled: bool) -> list:
        human = state.human_per_second()
        if labelled:
            return [Block(s, e, v) for s, e, v in runs(human) if v is not None]
        return [(s, e) for s, e, v in runs(human) if v is None]

    def paint(self, painter, rect, state, axis):
        if axis.pixels_per_second < COLUMNS_BELOW_PIXELS_PER_SECOND and not state.edge_preview:
            shown = column_blocks(state, axis, "human", state.human_per_second(), None)
            unlabelled = [(b.start, b.end) for b in shown if b.label is None]
            blocks = [b for b in shown if b.label is not None]
        else:
            unlabelled, blocks = self.unlabelled(state), self.blocks(state)
        hatch = QBrush(UNLABELLED_COLOR, Qt.BDiagPattern)
        for start, end in unlabelled:
            x0, x1 = axis.x(start), axis.x(min(end, state.duration))
            if x1 < axis.left or x0 > axis.left + axis.width:
                continue
            box = QRectF(x0, rect.top() + 3, max(1.0, x1 - x0 - 1), rect.height() - 6)
            painter.fillRect(box, hatch)
            if box.width() > 90:
                painter.setPen(UNLABELLED_COLOR.darker(150))
                painter.drawText(
                    box.adjusted(4, 0, -2, 0), Qt.AlignVCenter | Qt.AlignLeft, "not labelled"
                )
        _paint_blocks(painter, rect, state, axis, blocks, name_background=True)
        if state.paint_preview:
            start, end, label = state.paint_preview
            _paint_blocks(painter, rect, state, axis, [Block(start, end, label)])
            painter.setPen(QPen(TEXT_COLOR, 1, Qt.DashLine))
            painter.drawRect(
                QRectF(
                    axis.x(start), rect.top() + 2, axis.x(end) - axis.x(start), rect.height() - 4
                )
            )


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


class RulerLane(Lane):
    """Time ticks at a spacing that keeps labels apart at any zoom."""

    title = "Time"
    height = 22

    def tick_spacing(self, pixels_per_second: float) -> float:
        for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
            if step * pixels_per_second >= 56:
                return step
        return 7200.0

    def paint(self, painter, rect, state, axis):
        step = self.tick_spacing(axis.pixels_per_second)
        painter.setPen(TEXT_COLOR)
        tick = math.floor(axis.view_start / step) * step
        while axis.x(tick) <= axis.left + axis.width and tick <= state.duration:
            x = axis.x(tick)
            if x >= axis.left:
                painter.drawLine(QPointF(x, rect.bottom() - 5), QPointF(x, rect.bottom()))
                painter.drawText(
                    QRectF(x + 3, rect.top(), 60, rect.height() - 3),
                    Qt.AlignLeft | Qt.AlignVCenter,
                    format_time(tick),
                )
            tick += step


def format_time(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    if rest == int(rest):
        return f"{int(minutes)}:{int(rest):02d}"
    return f"{int(minutes)}:{rest:04.1f}"


def default_lanes() -> list[Lane]:
    return [
        RulerLane(),
        ThumbnailLane(),
        AudioLane(),
        # The human labels right under the predictions, so the two compare at a glance and stay
        # on screen in a short window (the lanes below them scroll; see TimelineView).
        PredictionLane(),
        HumanLane(),
        ConfidenceLane("Audio head", "audio_confidence", "audio_label", AUDIO_COLOR),
        ConfidenceLane("Visual head", "visual_confidence", "visual_label", VISUAL_COLOR),
        AttentionLane(),
        FamiliarityLane(),
    ]
