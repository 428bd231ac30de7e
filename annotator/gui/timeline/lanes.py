"""The timeline's lanes, each one horizontal strip on the shared time axis.

A lane separates what it shows (a data method computed from the TimelineState, which tests read)
from how it is drawn (`paint`). Painting only visits the visible seconds, or one block per pixel
column when zoomed out, so an hour-long video draws as fast as a ten-second clip. Here: the
label lanes (Predicted, Human) and the ruler; the score lanes are in score_lanes.py, the
pictures and sound in media_lanes.py.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen

from ...core.conventions import BACKGROUND
from .colors import AUDIO_COLOR, TEXT_COLOR, UNLABELLED_COLOR, VISUAL_COLOR, faint, label_color
from .edges import resized
from .lane_base import (
    COLUMNS_BELOW_PIXELS_PER_SECOND,
    Block,
    Lane,
    TimeAxis,
    column_blocks,
    runs,
)
from .media_lanes import AudioLane, ThumbnailLane
from .score_lanes import AttentionLane, ConfidenceLane, FamiliarityLane
from .state import TimelineState

# Names other modules and the tests read from here (the lanes' one place).
__all__ = [
    "AttentionLane",
    "AudioLane",
    "Block",
    "ConfidenceLane",
    "FamiliarityLane",
    "HumanLane",
    "Lane",
    "PredictionLane",
    "RulerLane",
    "ThumbnailLane",
    "TimeAxis",
    "default_lanes",
    "format_time",
    "runs",
]


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
