"""The Pictures and Sound lanes: drawn from the video's tile pyramid (pyramid.py, tiles.py).

Each paint picks the pyramid level that matches the zoom, so a screen reads a handful of tiles
whether it shows ten seconds or ten hours; what a paint computed is kept for the next one while
the view does not move (playback repaints the cursor many times a second).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPen

from .colors import AUDIO_COLOR
from .lane_base import Lane, TimeAxis, paint_note
from .pyramid import PICTURE_HEIGHT
from .state import TimelineState


def _loading_note(state: TimelineState) -> str:
    return "loading…" if state.video else ""


class ThumbnailLane(Lane):
    """One picture per second; when zoomed out, every k-th so that pictures never overlap.

    The pictures come from the coarsest pyramid level whose pictures are no more than k
    seconds apart, and k is rounded up to a multiple of that level's step: zoomed out, the
    lane reads one or two tiles of a sparse level, never a tile per minute of video."""

    title = "Pictures"
    height = 58

    def shown(self, state: TimelineState, axis: TimeAxis, height: int) -> tuple[int, list[int]]:
        """(level, seconds) of the pictures drawn in a lane `height` pixels high."""
        preview = state.preview
        if preview is None or not preview.layout.has_pictures:
            return 0, []
        layout = preview.layout
        width = (height - 4) * layout.picture_width / PICTURE_HEIGHT
        wanted = max(1, math.ceil((width + 2) / axis.pixels_per_second))
        level = layout.picture_level_for(wanted)
        base = layout.picture_step(level)
        step = math.ceil(wanted / base) * base
        visible = axis.visible_seconds(min(layout.seconds, preview.built_until))
        first = visible.start // step * step
        return level, list(range(first, visible.stop, step))

    def paint(self, painter, rect, state, axis):
        preview = state.preview
        if preview is None or not preview.layout.has_pictures:
            note = _loading_note(state) if preview is None else "no picture stream"
            paint_note(painter, rect, axis, note)
            return
        height = rect.height() - 4
        width = height * preview.layout.picture_width / PICTURE_HEIGHT
        level, seconds = self.shown(state, axis, rect.height())
        for second in seconds:
            image = preview.picture(level, second)
            if image is not None:
                painter.drawImage(QRectF(axis.x(second), rect.top() + 2, width, height), image)
        paint_building(painter, rect, axis, preview)


def paint_building(painter, rect, axis, preview) -> None:
    """'loading…' after the part of the video the build has reached."""
    x = max(axis.left, axis.x(preview.built_until))
    if not preview.complete and x < axis.left + axis.width - 40:
        painter.setPen(QColor("#8a9099"))
        painter.drawText(
            QRectF(x + 8, rect.top(), axis.left + axis.width - x - 8, rect.height()),
            Qt.AlignVCenter | Qt.AlignLeft,
            "loading…",
        )


class AudioLane(Lane):
    """The sound as a waveform (min/max per pixel) or as the log-mel spectrogram the model hears.

    `view` fixes the kind ("waveform" for the overview strip); None follows the state's."""

    title = "Sound"
    height = 60

    def __init__(self, view: str | None = None):
        self.view = view
        self._memo: tuple | None = None  # (key, what was drawn)

    def columns(self, state: TimelineState, axis: TimeAxis):
        """Per pixel column: x, and the sound's (n, 2) min/max and (n, 64) mean mel there.

        Only as many columns as the built tiles reach (all of them once the build is done)."""
        preview = state.preview
        layout = preview.layout
        level = layout.sound_level_for(1.0 / axis.pixels_per_second)
        size = layout.bin_seconds(level)
        xs = axis.pixel_columns(min(state.duration or layout.duration, preview.built_until))
        if not len(xs):
            return xs, np.zeros((0, 2)), np.zeros((0, 64))
        starts = np.floor(axis.time(xs) / size).astype(int)
        first, last = (
            int(starts[0]),
            max(int(starts[-1]) + 1, math.ceil(axis.time(xs[-1] + 1) / size)),
        )
        envelope, mel = preview.sound(level, first, last)
        shown = starts - first < len(envelope)
        xs, starts = xs[shown], starts[shown] - first
        if not len(xs):
            return xs, np.zeros((0, 2)), np.zeros((0, 64))
        low = np.minimum.reduceat(envelope[:, 0], starts)
        high = np.maximum.reduceat(envelope[:, 1], starts)
        sums = np.add.reduceat(mel.astype(np.float32), starts, axis=0)
        ends = np.append(starts[1:], len(mel))
        sizes = np.maximum(ends - starts, 1)[:, None]
        return xs, np.stack([low, high], axis=1), sums / sizes

    def paint(self, painter, rect, state, axis):
        preview = state.preview
        if preview is None or not preview.layout.has_sound:
            note = _loading_note(state) if preview is None else "no audio stream"
            paint_note(painter, rect, axis, note)
            return
        kind = self.view or state.audio_view
        key = (kind, axis, rect.height(), id(preview), preview.built_until)
        if self._memo is None or self._memo[0] != key:
            drawn = self._drawing(kind, rect, state, axis)
            self._memo = (key, drawn)
        drawn = self._memo[1]
        paint_building(painter, rect, axis, preview)
        if drawn is None:
            return
        if kind == "spectrogram":
            left, image = drawn
            painter.drawImage(QRectF(left, rect.top() + 1, image.width(), rect.height() - 2), image)
        else:
            painter.setPen(QPen(AUDIO_COLOR, 1))
            painter.translate(0, rect.top())
            painter.drawLines(drawn)
            painter.translate(0, -rect.top())

    def _drawing(self, kind, rect, state, axis):
        """What to draw: a spectrogram image (left x, QImage) or waveform lines (at y from 0)."""
        xs, envelope, mel = self.columns(state, axis)
        if not len(xs):
            return None
        if kind == "spectrogram":
            return float(xs[0]), heat_image(mel, state.preview.spectrogram_range())
        peak = state.preview.loudness_peak()
        middle, half = rect.height() / 2, rect.height() / 2 - 3
        tops = middle - np.clip(envelope[:, 1] / peak, -1, 1) * half
        bottoms = middle - np.clip(envelope[:, 0] / peak, -1, 1) * half
        return [
            QLineF(x, top, x, max(bottom, top + 1))
            for x, top, bottom in zip(xs.tolist(), tops.tolist(), bottoms.tolist())
        ]


def heat_image(mel: np.ndarray, value_range: tuple[float, float]) -> QImage:
    """Mel columns (one per pixel, bands) as an image: time left to right, low bands at the
    bottom, in a dark-blue to yellow ramp (loud is bright) over a fixed `value_range`."""
    low, high = value_range
    scaled = np.clip((mel - low) / max(high - low, 1e-6), 0, 1).T[::-1]
    red = np.clip(scaled * 2.0 - 0.6, 0, 1)
    green = np.clip(scaled * 1.4 - 0.2, 0, 1)
    blue = np.clip(0.35 + scaled * 0.8 - np.clip(scaled * 2 - 1, 0, 1) * 1.1, 0, 1)
    rgb = np.ascontiguousarray((np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8))
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888).copy()
