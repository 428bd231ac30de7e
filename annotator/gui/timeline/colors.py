"""Class colours: one fixed colour per class of the bundle, background a quiet grey.

Colours follow the class's place in the bundle's class list, so a class keeps its colour in every
lane, in the palette and between sessions.
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

from ...core.conventions import BACKGROUND

# Distinct hues that stay readable with white text on them and as faint tints.
_HUES = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
         "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939"]
BACKGROUND_COLOR = QColor("#d0d4da")
AUDIO_COLOR = QColor("#2b7bb9")
VISUAL_COLOR = QColor("#e07b00")
CURSOR_COLOR = QColor("#e8112d")
SELECTION_COLOR = QColor(255, 214, 0, 70)
LANE_BACKGROUND = QColor("#fbfbfc")
LANE_ALTERNATE = QColor("#f1f3f6")
TITLE_BACKGROUND = QColor("#e4e7ec")
GRID_COLOR = QColor("#dde1e6")
TEXT_COLOR = QColor("#20242a")


def label_color(label: str, classes: list[str]) -> QColor:
    if label == BACKGROUND or not label:
        return QColor(BACKGROUND_COLOR)
    events = [c for c in classes if c != BACKGROUND]
    # crc32, unlike hash(), is stable between sessions
    index = events.index(label) if label in events else zlib.crc32(label.encode("utf-8"))
    return QColor(_HUES[index % len(_HUES)])


def faint(color: QColor, alpha: int = 70) -> QColor:
    """The same colour, mostly transparent: predictions below the confidence threshold."""
    faded = QColor(color)
    faded.setAlpha(alpha)
    return faded
