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
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPolygonF

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


def spans(values: np.ndarray, axis: TimeAxis, duration: float):
    """(x0, x1, value) to draw a per-second series: one per visible second when seconds are
    wide enough, else one per pixel column holding the highest value of its seconds (an hour
    fitted into a window stays as fast to draw as ten seconds)."""
    visible = axis.visible_seconds(len(values))
    if axis.pixels_per_second >= 2 or not len(visible):
        for s in visible:
            yield axis.x(s), axis.x(min(s + 1, duration)), float(values[s])
        return
    x_start = int(max(axis.left, axis.x(visible.start)))
    x_end = int(min(axis.left + axis.width, axis.x(min(visible.stop, duration))))
    for x in range(x_start, x_end):
        first = max(0, int(axis.time(x)))
        chunk = values[first : max(first + 1, int(axis.time(x + 1)))]
        finite = chunk[~np.isnan(chunk)]
        yield float(x), float(x + 1), float(finite.max()) if len(finite) else float("nan")


def _draw_polyline(painter, pen, points: list) -> None:
    if len(points) > 1:
        painter.setPen(pen)
        painter.drawPolyline(QPolygonF(points))


class Lane:
    title = ""
    height = 40

    def paint(self, painter: QPainter, rect: QRect, state: TimelineState, axis: TimeAxis) -> None:
        raise NotImplementedError

    def paint_title(self, painter: QPainter, rect: QRect) -> None:
        """The lane's name in the title column (`rect` is that column's cell)."""
        painter.setPen(TEXT_COLOR)
        painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignVCenter | Qt.AlignLeft, self.title)


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
        visible = axis.visible_seconds(len(state.predicted_labels()))
        _paint_blocks(painter, rect, state, axis, self.blocks(state, visible))


class HumanLane(Lane):
    """The labels a person set; while dragging, the label being painted shows on top.

    A second nobody labelled is hatched ("not labelled"): it is not background, which is a
    label a person gives (key 0) and is drawn as a grey block named background."""

    title = "Human"
    height = 34

    def blocks(self, state: TimelineState) -> list[Block]:
        labels = state.human
        if state.edge_preview:  # an edge being dragged: show the segment as it will be
            labels = resized(state.human, *state.edge_preview, state.seconds)
        human = [labels.get(s) for s in range(state.seconds)]
        return [Block(s, e, v) for s, e, v in runs(human) if v is not None]

    def unlabelled(self, state: TimelineState) -> list[tuple[int, int]]:
        """[start, end) of each run of seconds nobody labelled."""
        human = [state.human.get(s) for s in range(state.seconds)]
        return [(s, e) for s, e, v in runs(human) if v is None]

    def paint(self, painter, rect, state, axis):
        hatch = QBrush(UNLABELLED_COLOR, Qt.BDiagPattern)
        for start, end in self.unlabelled(state):
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
        _paint_blocks(painter, rect, state, axis, self.blocks(state), name_background=True)
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
        if state.predictions is None:
            return []
        return [str(v) for v in state.predictions[self.label_column].fillna("")]

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
            _paint_note(painter, rect, axis, "no value from this model or stream")
            return
        fill, points = faint(self.color, 45), []
        pen = QPen(self.color, 1.6)
        for x0, x1, value in spans(values, axis, state.duration):
            if np.isnan(value):
                _draw_polyline(painter, pen, points)
                points = []
                continue
            painter.fillRect(QRectF(x0, y(value), x1 - x0, inner.bottom() - y(value)), fill)
            points += [QPointF(x0, y(value)), QPointF(x1, y(value))]
        _draw_polyline(painter, pen, points)
        self._paint_head_labels(painter, rect, state, axis)

    def _paint_head_labels(self, painter, rect, state, axis) -> None:
        metrics = painter.fontMetrics()
        labels = self.labels(state)
        visible = axis.visible_seconds(len(labels))
        for start, end, label in runs(labels[visible.start : visible.stop]):
            start, end = start + visible.start, end + visible.start
            if label in ("", BACKGROUND):
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
            _paint_note(painter, rect, axis, "this model has no attention weights")
            return
        inner = QRectF(rect).adjusted(0, 3, 0, -3)
        share = weights[:, 0] / np.maximum(weights.sum(axis=1), 1e-9)  # audio's share
        for x0, x1, audio in spans(share, axis, state.duration):
            if np.isnan(audio):
                continue
            split = inner.bottom() - audio * inner.height()
            painter.fillRect(QRectF(x0, split, x1 - x0, inner.bottom() - split), AUDIO_COLOR)
            painter.fillRect(
                QRectF(x0, inner.top(), x1 - x0, split - inner.top()), faint(VISUAL_COLOR, 200)
            )


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
            _paint_note(
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
        for x0, x1, strangeness in spans(1.0 - values, axis, state.duration):
            if np.isnan(strangeness):
                continue
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


class ThumbnailLane(Lane):
    """One picture per second; when zoomed out, every k-th so that pictures never overlap."""

    title = "Pictures"
    height = 58

    def __init__(self):
        self._images: dict[int, QImage] = {}
        self._source = None

    def image(self, state: TimelineState, second: int) -> QImage:
        if self._source is not state.thumbnails:
            self._images, self._source = {}, state.thumbnails
        if second not in self._images:
            frame = np.ascontiguousarray(state.thumbnails[second])
            height, width = frame.shape[:2]
            self._images[second] = QImage(
                frame.data, width, height, 3 * width, QImage.Format_RGB888
            ).copy()
        return self._images[second]

    def paint(self, painter, rect, state, axis):
        if not state.thumbnails:
            _paint_note(painter, rect, axis, "pictures loading…" if state.video else "")
            return
        thumb_height = rect.height() - 4
        first = state.thumbnails[0]
        thumb_width = thumb_height * first.shape[1] / max(first.shape[0], 1)
        step = max(1, math.ceil((thumb_width + 2) / axis.pixels_per_second))
        for s in axis.visible_seconds(len(state.thumbnails)):
            if s % step:
                continue
            target = QRectF(axis.x(s), rect.top() + 2, thumb_width, thumb_height)
            painter.drawImage(target, self.image(state, s))


class AudioLane(Lane):
    """The sound as a waveform (min/max per pixel) or as the log-mel spectrogram the model hears."""

    title = "Sound"
    height = 60

    def __init__(self):
        self._spectrogram_image: QImage | None = None
        self._source = None

    def paint(self, painter, rect, state, axis):
        if state.audio_view == "spectrogram" and state.spectrogram is not None:
            self._paint_spectrogram(painter, rect, state, axis)
        elif state.waveform is not None:
            self._paint_waveform(painter, rect, state, axis)
        else:
            _paint_note(painter, rect, axis, "sound loading…" if state.video else "")

    def _paint_waveform(self, painter, rect, state, axis):
        envelope = state.waveform
        if len(envelope) == 0:
            _paint_note(painter, rect, axis, "no audio stream")
            return
        bins_per_second = len(envelope) / max(state.duration, 1e-9)
        middle, half = rect.center().y(), rect.height() / 2 - 3
        peak = max(float(np.abs(envelope).max()), 1e-6)
        painter.setPen(QPen(AUDIO_COLOR, 1))
        x_start, x_end = (
            int(max(axis.left, axis.x(0))),
            int(min(axis.left + axis.width, axis.x(state.duration))),
        )
        for x in range(x_start, x_end):
            first = int(axis.time(x) * bins_per_second)
            last = max(first + 1, int(axis.time(x + 1) * bins_per_second))
            chunk = envelope[first:last]
            if len(chunk) == 0:
                continue
            low, high = chunk[:, 0].min() / peak, chunk[:, 1].max() / peak
            painter.drawLine(QPointF(x, middle - high * half), QPointF(x, middle - low * half))

    def _paint_spectrogram(self, painter, rect, state, axis):
        if self._source is not state.spectrogram:
            self._spectrogram_image, self._source = (
                _heat_image(state.spectrogram),
                state.spectrogram,
            )
        # One patch per whole second (the last one zero-padded), as the audio model hears it.
        frames_per_second = self._spectrogram_image.width() / max(state.seconds, 1)
        first, last = axis.time(axis.left), axis.time(axis.left + axis.width)
        source = QRectF(
            first * frames_per_second,
            0,
            (last - first) * frames_per_second,
            self._spectrogram_image.height(),
        )
        painter.drawImage(
            QRectF(axis.left, rect.top() + 1, axis.width, rect.height() - 2),
            self._spectrogram_image,
            source,
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


def _paint_note(painter, rect, axis, text: str) -> None:
    painter.setPen(QColor("#8a9099"))
    painter.drawText(
        QRectF(axis.left + 8, rect.top(), axis.width - 16, rect.height()),
        Qt.AlignVCenter | Qt.AlignLeft,
        text,
    )


MAX_SPECTROGRAM_COLUMNS = 20_000


def _heat_image(values: np.ndarray) -> QImage:
    """A spectrogram (frames, bands) as an image: time left to right, low bands at the bottom.

    Long videos are averaged down to MAX_SPECTROGRAM_COLUMNS columns first: wider than any
    screen at the fitted zoom, and quick to build.
    """
    pool = max(1, math.ceil(len(values) / MAX_SPECTROGRAM_COLUMNS))
    if pool > 1:
        usable = len(values) - len(values) % pool
        values = values[:usable].reshape(-1, pool, values.shape[1]).mean(axis=1)
    low, high = np.percentile(values, [2, 99.5])
    scaled = np.clip((values - low) / max(high - low, 1e-6), 0, 1).T[::-1]
    # A dark-blue to yellow ramp: loud is bright.
    red = np.clip(scaled * 2.0 - 0.6, 0, 1)
    green = np.clip(scaled * 1.4 - 0.2, 0, 1)
    blue = np.clip(0.35 + scaled * 0.8 - np.clip(scaled * 2 - 1, 0, 1) * 1.1, 0, 1)
    rgb = np.ascontiguousarray((np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8))
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888).copy()


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
