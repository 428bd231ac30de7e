"""The label palette: one button per class, numbered like the number keys, coloured as on the
timeline. Clicking a class labels the second at the cursor (also while playing) and makes it the
label painted by a drag on the Human lane."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from ..core.conventions import BACKGROUND
from .timeline.colors import label_color
from .timeline.state import TimelineState


class LabelPalette(QWidget):
    labelClicked = Signal(str)

    def __init__(self, state: TimelineState, parent=None):
        super().__init__(parent)
        self.state = state
        self.buttons: dict[str, QToolButton] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self._layout.addWidget(QLabel("Label:"))
        state.activeLabelChanged.connect(self._highlight)
        self.rebuild()

    def rebuild(self) -> None:
        if self._layout.count() and self._layout.itemAt(self._layout.count() - 1).spacerItem():
            self._layout.takeAt(self._layout.count() - 1)
        for button in self.buttons.values():
            self._layout.removeWidget(button)
            button.hide()            # gone from view now, deleted when the event loop gets to it
            button.deleteLater()
        self.buttons = {}
        events = [c for c in self.state.classes if c != BACKGROUND]
        for number, label in [(i + 1, c) for i, c in enumerate(events)] + [(0, BACKGROUND)]:
            button = QToolButton(self)
            button.setText(f"{number} {label}" if number <= 9 else label)
            button.setToolTip(f"Label the second at the cursor as {label}"
                              + (f" (key {number})" if number <= 9 else ""))
            button.setCheckable(True)
            color = label_color(label, self.state.classes, self.state.class_colors)
            text = "#20242a" if label == BACKGROUND else "white"
            button.setStyleSheet(
                f"QToolButton {{ background: {color.name()}; color: {text}; border-radius: 3px;"
                f" padding: 2px 6px; border: 2px solid transparent; }}"
                f"QToolButton:checked {{ border: 2px solid #20242a; font-weight: bold; }}")
            button.clicked.connect(lambda _checked=False, name=label: self.labelClicked.emit(name))
            self._layout.addWidget(button)
            self.buttons[label] = button
        self._layout.addStretch(1)   # keep the buttons together at the left
        self._highlight(self.state.active_label)

    def _highlight(self, active: str) -> None:
        for label, button in self.buttons.items():
            button.setChecked(label == active)
