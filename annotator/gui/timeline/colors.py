"""Class colours: the project's own colour for each of its classes, background a quiet grey.

A class the project does not list (a model's own class) takes a colour from its place in the
classes shown, or from its name, so it keeps its colour in every lane and between sessions.
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

from ...core.class_list import CLASS_COLOURS
from ...core.conventions import BACKGROUND

# Distinct hues that stay readable with white text on them and as faint tints.
_HUES = list(CLASS_COLOURS)
BACKGROUND_COLOR = QColor("#d0d4da")
UNLABELLED_COLOR = QColor("#b4bac3")  # the hatch of seconds nobody labelled
AUDIO_COLOR = QColor("#2b7bb9")
VISUAL_COLOR = QColor("#e07b00")
CURSOR_COLOR = QColor("#e8112d")
SELECTION_COLOR = QColor(255, 214, 0, 70)
LANE_BACKGROUND = QColor("#fbfbfc")
LANE_ALTERNATE = QColor("#f1f3f6")
TITLE_BACKGROUND = QColor("#e4e7ec")
GRID_COLOR = QColor("#dde1e6")
TEXT_COLOR = QColor("#20242a")


def label_color(label: str, classes: list[str], colors: dict | None = None) -> QColor:
    if label == BACKGROUND or not label:
        return QColor(BACKGROUND_COLOR)
    if colors and label in colors:
        return QColor(colors[label])
    events = [c for c in classes if c != BACKGROUND]
    # crc32, unlike hash(), is stable between sessions
    index = events.index(label) if label in events else zlib.crc32(label.encode("utf-8"))
    return QColor(_HUES[index % len(_HUES)])


def faint(color: QColor, alpha: int = 70) -> QColor:
    """The same colour, mostly transparent: predictions below the confidence threshold."""
    faded = QColor(color)
    faded.setAlpha(alpha)
    return faded
