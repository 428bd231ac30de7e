"""TimelineState: everything the timeline shows about one video, as a plain object with signals.

Views only read it and react to its signals; edits and navigation change it through its methods.
Seconds are 0-based indices into the per-second table; times are floats in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, Signal

from ...core.conventions import BACKGROUND
from ...core.doubt import doubtful_seconds
from .. import refcount_guard
from .tiles import PreviewTiles

DEFAULT_THRESHOLD = 0.5
DEFAULT_PIXELS_PER_SECOND = 60.0
# The least zoom fits a 100-hour recording in 360 pixels: any video can be seen whole.
MIN_PIXELS_PER_SECOND, MAX_PIXELS_PER_SECOND = 0.001, 400.0


class TimelineState(QObject):
    videoChanged = Signal()  # another video (or none): everything below changed too
    durationChanged = Signal(float)  # the shown video's duration became known (probe, run)
    predictionsChanged = Signal()
    humanLabelsChanged = Signal()
    previewChanged = Signal()  # pictures or sound arrived (more tiles built, or all of them)
    cursorChanged = Signal(float)
    seekRequested = Signal(float)  # the user moved the cursor; the player follows
    viewChanged = Signal()  # zoom, scroll or audio picture kind
    selectionChanged = Signal()
    thresholdChanged = Signal(float)
    activeLabelChanged = Signal(str)
    paintPreviewChanged = Signal()

    def __init__(self, parent=None):
        refcount_guard.install()  # the timeline paints thousands of items a second
        super().__init__(parent)
        self.video: str | None = None
        self.duration = 0.0
        self.predictions: pd.DataFrame | None = None
        self.attention: np.ndarray | None = None
        # Per second in (0, 1]: 1 where like the model's training data; None when not scored.
        self.familiarity: np.ndarray | None = None
        self.human: dict[int, str] = {}
        self.classes: list[str] = [BACKGROUND]
        self.class_colors: dict[str, str] = {}  # the project's colours ("#rrggbb") by class
        self.threshold = DEFAULT_THRESHOLD
        self.cursor = 0.0
        self.view_start = 0.0
        self.pixels_per_second = DEFAULT_PIXELS_PER_SECOND
        # Zooming out stops where the whole video fits (the view keeps this up to date).
        self.least_pixels_per_second = MIN_PIXELS_PER_SECOND
        self.selection: tuple[int, int] | None = None  # [start, end) in seconds
        self.active_label = BACKGROUND
        self.paint_preview: tuple[int, int, str] | None = None
        self.edge_preview: tuple[int, int, str, int] | None = None  # start, end, edge, to
        # The pictures and sound, read tile by tile as the screen needs them (tiles.py).
        self.preview: PreviewTiles | None = None
        self.audio_view = "waveform"
        # Per-second arrays derived from the predictions and human labels, computed once for
        # each table or labels (they are replaced, never changed in place): a paint of an
        # hours-long video must not convert every second's column again.
        self._derived: dict = {}

    # ---- what is shown -----------------------------------------------------------------------

    @property
    def seconds(self) -> int:
        if self.predictions is not None and len(self.predictions):
            return len(self.predictions)
        return max(1, math.ceil(round(self.duration, 3))) if self.duration else 0

    def show_video(
        self,
        video: str | None,
        duration: float,
        predictions: pd.DataFrame | None,
        attention: np.ndarray | None,
        human: dict[int, str],
        familiarity: np.ndarray | None = None,
    ) -> None:
        self.video = video
        self.duration = float(duration or 0.0)
        self.predictions = predictions if predictions is not None and len(predictions) else None
        self.attention = attention
        self.familiarity = familiarity
        self.human = dict(human)
        self._derived = {}
        self.cursor = 0.0
        self.view_start = 0.0
        self.selection = None
        self.paint_preview = self.edge_preview = None
        self.preview = None
        self.videoChanged.emit()

    def set_duration(self, duration: float) -> None:
        duration = float(duration or 0.0)
        if duration != self.duration:
            self.duration = duration
            self.durationChanged.emit(duration)

    def set_predictions(
        self, predictions: pd.DataFrame | None, attention, familiarity: np.ndarray | None = None
    ) -> None:
        self.predictions = predictions if predictions is not None and len(predictions) else None
        self.attention = attention
        self.familiarity = familiarity
        self._derived = {}
        self.predictionsChanged.emit()

    def set_human(self, human: dict[int, str]) -> None:
        self.human = dict(human)
        self._derived = {}
        self.humanLabelsChanged.emit()

    def set_classes(self, classes: list[str], colors: dict[str, str] | None = None) -> None:
        ordered = [c for c in classes if c != BACKGROUND] + [BACKGROUND]
        self.classes = ordered
        if colors is not None:
            self.class_colors = dict(colors)
        if self.active_label not in ordered:
            self.set_active_label(ordered[0])

    def set_preview(self, preview: PreviewTiles | None) -> None:
        self.preview = preview
        self.previewChanged.emit()

    def preview_complete(self) -> bool:
        """Every picture and sound tile of the shown video is built."""
        return self.preview is not None and self.preview.complete

    def set_audio_view(self, kind: str) -> None:
        if kind not in ("waveform", "spectrogram"):
            raise ValueError(f"audio view must be 'waveform' or 'spectrogram', not {kind!r}")
        self.audio_view = kind
        self.viewChanged.emit()

    # ---- per-second values -------------------------------------------------------------------

    def derived(self, key, compute):
        """`compute()` once per predictions table and human labels (see _derived)."""
        key = (key, self.seconds)
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def predicted_labels(self) -> list[str]:
        """The model's label of every second (do not change the list: it is shared)."""
        if self.predictions is None:
            return []
        return self.derived("labels", lambda: list(self.predictions["label"]))

    def text_column(self, name: str) -> list[str]:
        """A text column of the predictions ('' where empty), shared like predicted_labels."""
        if self.predictions is None:
            return []
        return self.derived(
            ("text", name), lambda: [str(v) for v in self.predictions[name].fillna("")]
        )

    def column(self, name: str) -> np.ndarray:
        """A numeric column of the predictions as floats (NaN where the model has no value)."""
        if self.predictions is None:
            return np.full(self.seconds, np.nan)
        return self.derived(
            ("column", name),
            lambda: pd.to_numeric(self.predictions[name], errors="coerce").to_numpy(dtype=float),
        )

    def human_per_second(self) -> list:
        """The person's label of every second, None where nobody labelled it."""
        return self.derived("human", lambda: [self.human.get(s) for s in range(self.seconds)])

    def label_at(self, second: int) -> str:
        """The reviewed label of a second: the person's if any, else the model's, else background."""
        if second in self.human:
            return self.human[second]
        labels = self.predicted_labels()
        return labels[second] if 0 <= second < len(labels) else BACKGROUND

    def cursor_second(self) -> int:
        return int(min(max(self.cursor, 0.0), max(self.duration - 1e-6, 0.0)))

    def unfamiliar(self) -> np.ndarray:
        """Per second: True where it is unlike the model's training data."""
        if self.familiarity is None or len(self.familiarity) != self.seconds:
            return np.zeros(self.seconds, bool)
        return self.familiarity < 1.0

    def unfamiliar_share(self) -> float:
        return float(self.unfamiliar().mean()) if self.seconds else 0.0

    def doubtful_seconds(self) -> list[int]:
        """Seconds no person has labelled that the doubt score puts past the threshold, or
        that are unlike the training data (core.doubt.doubtful_seconds)."""
        return doubtful_seconds(self.predictions, self.familiarity, self.human, self.threshold)

    def disagreement_seconds(self) -> list[int]:
        """Seconds where the audio and the visual heads name different labels."""
        if self.predictions is None:
            return []
        audio, visual = self.predictions["audio_label"], self.predictions["visual_label"]
        return [
            int(s)
            for s, a, v in zip(self.predictions["second"], audio, visual)
            if a and v and a != v
        ]

    def run_around(self, second: int, labels) -> tuple[int, int, str]:
        """[start, end) and label of the run of equal labels containing `second`."""
        label = labels(second)
        start = second
        while start > 0 and labels(start - 1) == label:
            start -= 1
        end = second + 1
        while end < self.seconds and labels(end) == label:
            end += 1
        return start, end, label

    # ---- cursor, selection, threshold, label -------------------------------------------------

    def set_cursor(self, seconds: float) -> None:
        """Move the cursor (playback does this); views follow, the player is not told."""
        seconds = min(max(float(seconds), 0.0), self.duration)
        if seconds != self.cursor:
            self.cursor = seconds
            self.cursorChanged.emit(seconds)

    def seek(self, seconds: float) -> None:
        """The user moved the cursor: like set_cursor, and the player jumps there."""
        self.set_cursor(seconds)
        self.seekRequested.emit(self.cursor)

    def set_selection(self, start: int | None, end: int | None = None) -> None:
        if start is None or end is None or end <= start:
            self.selection = None
        else:
            self.selection = (max(0, int(start)), min(self.seconds, int(end)))
        self.selectionChanged.emit()

    def set_threshold(self, value: float) -> None:
        value = min(max(float(value), 0.0), 1.0)
        if value != self.threshold:
            self.threshold = value
            self.thresholdChanged.emit(value)

    def set_active_label(self, label: str) -> None:
        self.active_label = label
        self.activeLabelChanged.emit(label)

    def set_paint_preview(self, preview: tuple[int, int, str] | None) -> None:
        self.paint_preview = preview
        self.paintPreviewChanged.emit()

    def set_edge_preview(self, preview: tuple[int, int, str, int] | None) -> None:
        """A segment edge being dragged: (start, end, "start" or "end", boundary it is at)."""
        self.edge_preview = preview
        self.paintPreviewChanged.emit()

    # ---- zoom and scroll ---------------------------------------------------------------------

    def set_zoom(
        self, pixels_per_second: float, anchor: float | None = None, anchor_x: float = 0.0
    ) -> None:
        """Zoom keeping time `anchor` at `anchor_x` pixels from the left edge of the lanes."""
        pixels_per_second = min(
            max(pixels_per_second, self.least_pixels_per_second), MAX_PIXELS_PER_SECOND
        )
        if anchor is not None:
            self.view_start = max(0.0, anchor - anchor_x / pixels_per_second)
        self.pixels_per_second = pixels_per_second
        self.viewChanged.emit()

    def set_least_zoom(self, pixels_per_second: float) -> None:
        """The zoom that shows the whole video: zooming out goes no further."""
        self.least_pixels_per_second = min(
            max(pixels_per_second, MIN_PIXELS_PER_SECOND), MAX_PIXELS_PER_SECOND
        )

    def scroll_to(self, view_start: float) -> None:
        view_start = min(max(0.0, view_start), max(self.duration, 0.0))
        if view_start != self.view_start:
            self.view_start = view_start
            self.viewChanged.emit()

    def visible_seconds(self, width: float) -> float:
        return width / self.pixels_per_second

    def keep_visible(self, seconds: float, width: float) -> None:
        """Scroll by a page when the cursor leaves the visible span (playback follows)."""
        span = self.visible_seconds(width)
        if seconds < self.view_start or seconds > self.view_start + span:
            self.scroll_to(seconds - 0.1 * span)
