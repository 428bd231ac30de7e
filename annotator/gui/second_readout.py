"""What the timeline says about the shown video and the second under the pointer, without a
change to its lanes: the per-video "unlike the training data" notice (it belongs to the shown
video and goes when another is selected), and a readout of the hovered second — its label,
confidence, the audio and visual heads, and how familiar it is to the model.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip

from ..core.conventions import UNFAMILIAR_WARNING_SHARE
from .timeline.lanes import format_time
from .timeline.state import TimelineState
from .timeline.view import TITLE_WIDTH, LaneCanvas

_WARNING_STYLE = "color: #8a3b00; font-weight: bold;"


def video_warning(state: TimelineState) -> str:
    """The shown video's warning, or '' when most of it is like the model's training data."""
    share = state.unfamiliar_share()
    if state.video is None or share < UNFAMILIAR_WARNING_SHARE:
        return ""
    return (
        f"⚠ {share * 100:.0f} % of {state.video} is unlike the model's training data: its "
        "confidences there are lowered; check those seconds"
    )


def _value(state: TimelineState, column: str, second: int) -> float | None:
    if state.predictions is None or column not in state.predictions:
        return None
    value = state.column(column)[second]
    return None if math.isnan(value) else float(value)


def _head(state: TimelineState, kind: str, second: int) -> str:
    label = str(state.predictions[f"{kind}_label"].iloc[second] or "")
    confidence = _value(state, f"{kind}_confidence", second)
    if not label:
        return f"{kind} head: none"
    return f"{kind} {label}" + (f" {confidence:.0%}" if confidence is not None else "")


def second_readout(state: TimelineState, second: int) -> str:
    """One line about a second: when, what the model and the person say, and how familiar."""
    if state.video is None or not 0 <= second < state.seconds:
        return ""
    end = min(second + 1.0, state.duration) if state.duration else second + 1.0
    parts = [f"{format_time(second)}–{format_time(end)}"]
    if state.predictions is None:
        parts.append("no predictions yet")
    else:
        confidence = _value(state, "confidence", second)
        label = state.predictions["label"].iloc[second]
        parts.append(
            f"predicted {label}" + (f" {confidence:.0%}" if confidence is not None else "")
        )
        parts += [_head(state, "audio", second), _head(state, "visual", second)]
        if state.familiarity is not None and len(state.familiarity) == state.seconds:
            value = float(state.familiarity[second])
            parts.append(
                "like the training data"
                if value >= 1.0
                else f"unlike the training data (familiarity {value:.2f})"
            )
    if second in state.human:
        parts.append(f"labelled {state.human[second]} by a person")
    return " · ".join(parts)


class TimelineNotes(QObject):
    """The notice and the readout labels (the window places them above the lanes); the readout
    follows the pointer over the lanes, and the same line is the lanes' tooltip."""

    def __init__(self, state: TimelineState, canvas: LaneCanvas, parent=None):
        super().__init__(parent)
        self.state, self.canvas = state, canvas
        self.warning = QLabel("")
        self.warning.setStyleSheet(_WARNING_STYLE)
        self.warning.setWordWrap(True)
        self.warning.setVisible(False)
        self.readout = QLabel("")
        self.readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.readout.setToolTip("The second under the pointer")
        for signal in (state.videoChanged, state.predictionsChanged):
            signal.connect(self._show_warning)
        state.videoChanged.connect(lambda: self.readout.setText(""))
        canvas.installEventFilter(self)

    def _show_warning(self) -> None:
        text = video_warning(self.state)
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def second_at(self, x: float) -> int | None:
        if x < TITLE_WIDTH or self.state.video is None:
            return None
        second = int(self.canvas.axis().time(x))
        return second if 0 <= second < self.state.seconds else None

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in (QEvent.MouseMove, QEvent.ToolTip):
            second = self.second_at(
                event.position().x() if kind == QEvent.MouseMove else event.pos().x()
            )
            text = "" if second is None else second_readout(self.state, second)
            self.readout.setText(text)
            if kind == QEvent.ToolTip:
                if text:
                    QToolTip.showText(event.globalPos(), text, self.canvas)
                else:
                    QToolTip.hideText()
                return True
        elif kind == QEvent.Leave:
            self.readout.setText("")
        return False
