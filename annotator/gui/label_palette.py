"""The label palette: one button per class, numbered like the number keys, coloured as on the
timeline. Clicking a class only chooses it as the active label (the one a drag on the Human lane
paints and a split gives); it never labels anything. The number keys label the second at the
cursor.

The buttons wrap onto more rows when the window is narrow, up to MAX_ROWS, then scroll; the
active label is also named in a chip at the left that never scrolls away, so what a drag will
paint is always on screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from ..core.conventions import BACKGROUND
from .flow_layout import FlowLayout
from .timeline.colors import label_color
from .timeline.state import TimelineState

MAX_ROWS = 3


def _text_color(label: str) -> str:
    return "#20242a" if label == BACKGROUND else "white"


class LabelPalette(QWidget):
    labelClicked = Signal(str)  # a class was chosen in the palette (it is now the active label)

    def __init__(self, state: TimelineState, parent=None):
        super().__init__(parent)
        self.state = state
        self.buttons: dict[str, QToolButton] = {}
        self.active_chip = QLabel(self)
        self.active_chip.setToolTip("The active label: a drag on the Human lane paints it")
        self._host = QWidget()
        self._flow = FlowLayout(self._host)
        self.area = QScrollArea(self)
        self.area.setWidget(self._host)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.area.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.active_chip, 0, Qt.AlignTop)
        layout.addWidget(self.area, 1)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        state.activeLabelChanged.connect(self._highlight)
        self.rebuild()

    def rebuild(self) -> None:
        for button in self.buttons.values():
            self._flow.removeWidget(button)
            button.hide()  # gone from view now, deleted when the event loop gets to it
            button.deleteLater()
        self.buttons = {}
        events = [c for c in self.state.classes if c != BACKGROUND]
        for number, label in [(i + 1, c) for i, c in enumerate(events)] + [(0, BACKGROUND)]:
            button = QToolButton(self._host)
            button.setText(f"{number} {label}" if number <= 9 else label)
            button.setToolTip(
                f"Choose {label} as the label a drag paints"
                + (
                    f" (key {number} labels the second at the cursor)"
                    if number <= 9
                    else " (no number key: press C and type its name to label with it)"
                )
            )
            button.setCheckable(True)
            color = label_color(label, self.state.classes, self.state.class_colors)
            button.setStyleSheet(
                f"QToolButton {{ background: {color.name()}; color: {_text_color(label)};"
                f" border-radius: 3px; padding: 2px 6px; border: 2px solid transparent; }}"
                f"QToolButton:checked {{ border: 2px solid #20242a; font-weight: bold; }}"
            )
            button.clicked.connect(lambda _checked=False, name=label: self.choose(name))
            self._flow.addWidget(button)
            # Shown now, not when Qt's queued show gets to it: the height below counts only
            # visible buttons, and nothing resizes the palette afterwards to count them again.
            button.show()
            self.buttons[label] = button
        self._fit_height()
        self._highlight(self.state.active_label)

    def choose(self, label: str) -> None:
        """What a click does: make `label` the active label. Nothing is labelled."""
        self.state.set_active_label(label)
        self.labelClicked.emit(label)

    def _highlight(self, active: str) -> None:
        for label, button in self.buttons.items():
            button.setChecked(label == active)
        color = label_color(active, self.state.classes)
        self.active_chip.setText(f"Paints: <b>{active}</b>")
        self.active_chip.setStyleSheet(
            f"QLabel {{ background: {color.name()}; color: {_text_color(active)};"
            " border-radius: 3px; padding: 3px 6px; }"
        )
        if active in self.buttons:
            self.area.ensureWidgetVisible(self.buttons[active], 0, 0)

    def _row_height(self) -> int:
        heights = [b.sizeHint().height() for b in self.buttons.values()]
        return max(heights or [24])

    def _fit_height(self) -> None:
        """As tall as the rows the buttons need at this width, up to MAX_ROWS (then scroll)."""
        width = max(1, self.area.viewport().width())
        needed = self._flow.heightForWidth(width)
        cap = MAX_ROWS * self._row_height() + (MAX_ROWS - 1) * self._flow.spacing()
        self.area.setFixedHeight(min(needed, cap) + 2)
        self.area.setVerticalScrollBarPolicy(
            Qt.ScrollBarAsNeeded if needed > cap else Qt.ScrollBarAlwaysOff
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit_height()
