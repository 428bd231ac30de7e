"""The class picker: every class of the project, found by typing part of its name, so classes
past 9 (which have no number key) are one key press (C), a few letters and Enter away.

Picking a class labels the second at the cursor with it, as a number key does, and makes it the
active label.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap, QIcon
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from ..core.conventions import BACKGROUND
from .timeline.colors import label_color


def number_keys(classes: list[str]) -> dict[str, int]:
    """The number key of each class that has one: 1..9 the first nine events, 0 background."""
    events = [c for c in classes if c != BACKGROUND]
    keys = {name: number for number, name in enumerate(events[:9], start=1)}
    keys[BACKGROUND] = 0
    return keys


def keyless_classes(classes: list[str]) -> list[str]:
    return [c for c in classes if c != BACKGROUND][9:]


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    return QIcon(pixmap)


class ClassPicker(QDialog):
    picked = Signal(str)

    def __init__(self, classes: list[str], colors: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Label with a class")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Type part of a class name, then Enter")
        self.list = QListWidget()
        keys = number_keys(classes)
        for name in [c for c in classes if c != BACKGROUND] + [BACKGROUND]:
            key = keys.get(name)
            item = QListWidgetItem(
                _swatch(label_color(name, classes, colors)),
                f"{name}   (key {key})" if key is not None else name,
            )
            item.setData(Qt.UserRole, name)
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Label the second at the cursor with:"))
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._pick_current)
        self.list.itemActivated.connect(lambda item: self._pick(item.data(Qt.UserRole)))
        self._filter("")
        self.resize(320, 420)

    def visible_names(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.UserRole)
            for i in range(self.list.count())
            if not self.list.item(i).isHidden()
        ]

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            hidden = bool(needle) and needle not in item.data(Qt.UserRole).lower()
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        self.list.setCurrentItem(first)

    def keyPressEvent(self, event) -> None:
        # Up and Down move in the list while the typing stays in the search field.
        if event.key() in (Qt.Key_Up, Qt.Key_Down):
            self.list.keyPressEvent(event)
            return
        super().keyPressEvent(event)

    def _pick_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._pick(item.data(Qt.UserRole))

    def _pick(self, name: str) -> None:
        self.picked.emit(name)
        self.accept()
