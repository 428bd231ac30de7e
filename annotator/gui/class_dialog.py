"""The project's classes: add, rename, recolour, reorder, merge and remove them.

Each change goes to the project store at once (ProjectState.change_classes); renaming, merging
and removing also change the human labels that use the class, logged like any edit. Background
is always there (key 0) and cannot be changed. Every refusal is a sentence in the dialog.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from ..core.conventions import BACKGROUND
from ..core.errors import AnnotatorError
from .project import ProjectState


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ClassDialog(QDialog):
    def __init__(self, project: ProjectState, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Classes of this project")
        self.project = project
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Class name")
        self.target = QComboBox()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.buttons = {
            key: QPushButton(text)
            for key, text in (
                ("add", "Add"),
                ("rename", "Rename to"),
                ("colour", "Colour…"),
                ("up", "Move up"),
                ("down", "Move down"),
                ("merge", "Merge into"),
                ("remove", "Remove"),
                ("unused", "Remove classes without labels"),
                ("close", "Close"),
            )
        }
        grid = QGridLayout()
        grid.addWidget(self.name, 0, 0, 1, 2)
        grid.addWidget(self.buttons["add"], 0, 2)
        grid.addWidget(self.buttons["rename"], 0, 3)
        grid.addWidget(self.buttons["colour"], 1, 0)
        grid.addWidget(self.buttons["up"], 1, 1)
        grid.addWidget(self.buttons["down"], 1, 2)
        grid.addWidget(self.buttons["remove"], 1, 3)
        grid.addWidget(self.target, 2, 0, 1, 2)
        grid.addWidget(self.buttons["merge"], 2, 2)
        grid.addWidget(self.buttons["unused"], 2, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "The palette and the number keys follow this list; "
                f"{BACKGROUND} (key 0) is always there."
            )
        )
        layout.addWidget(self.list, 1)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons["close"], 0, Qt.AlignRight)
        self.buttons["add"].clicked.connect(lambda: self.add(self.name.text()))
        self.buttons["rename"].clicked.connect(lambda: self.rename(self.name.text()))
        self.buttons["colour"].clicked.connect(self._ask_colour)
        self.buttons["up"].clicked.connect(lambda: self.move(-1))
        self.buttons["down"].clicked.connect(lambda: self.move(+1))
        self.buttons["merge"].clicked.connect(lambda: self.merge(self.target.currentText()))
        self.buttons["remove"].clicked.connect(self.remove_selected)
        self.buttons["unused"].clicked.connect(self.remove_unused)
        self.buttons["close"].clicked.connect(self.accept)
        self.name.returnPressed.connect(lambda: self.add(self.name.text()))
        self.list.currentItemChanged.connect(self._on_current)
        self.reload()
        self.resize(560, 480)

    # ---- what is shown -----------------------------------------------------------------------

    def reload(self, keep: str | None = None) -> None:
        seconds = self.project.store.classes.labelled_seconds()
        videos = self.project.store.classes.labelled_videos()
        keep = keep or self.selected_name()
        self.list.clear()
        for number, each in enumerate(self.project.classes(), start=1):
            count = seconds.get(each.name, 0)
            key = f"{number}  " if number <= 9 else "   "
            text = (
                f"{key}{each.name}  —  {count} s labelled in {videos.get(each.name, 0)} video(s)"
                if count
                else f"{key}{each.name}  —  no labels yet"
            )
            item = QListWidgetItem(_swatch(each.colour), text)
            item.setData(Qt.UserRole, each.name)
            self.list.addItem(item)
            if each.name == keep:
                self.list.setCurrentItem(item)
        self.target.clear()
        self.target.addItems(self.names() + [BACKGROUND])

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def selected_names(self) -> list[str]:
        return [item.data(Qt.UserRole) for item in self.list.selectedItems()]

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    def _on_current(self, current, _previous) -> None:
        if current is not None:
            self.name.setText(current.data(Qt.UserRole))

    def _say(self, text: str) -> None:
        self.message.setText(html.escape(text, quote=False))

    def _change(self, change: str, *arguments, done: str = "", keep: str | None = None) -> bool:
        try:
            relabelled = self.project.change_classes(change, *arguments)
        except AnnotatorError as exc:
            self._say(str(exc))
            return False
        self.reload(keep)
        self._say(done.format(relabelled=relabelled))
        return True

    # ---- the changes -------------------------------------------------------------------------

    def add(self, name: str) -> bool:
        name = name.strip()
        return self._change("add", name, done=f"Added {name}.", keep=name)

    def rename(self, new: str) -> bool:
        old = self.selected_name()
        if old is None:
            self._say("Choose the class to rename in the list first.")
            return False
        new = new.strip()
        return self._change(
            "rename",
            old,
            new,
            keep=new,
            done=f"Renamed {old} to {new} ({{relabelled}} labelled second(s)).",
        )

    def recolour(self, name: str, colour: str) -> bool:
        return self._change("recolour", name, colour, done=f"{name} is now {colour}.", keep=name)

    def _ask_colour(self) -> None:
        name = self.selected_name()
        if name is None:
            self._say("Choose a class in the list first.")
            return
        colour = QColorDialog.getColor(
            QColor(self.project.store.classes.colours()[name]), self, f"Colour of {name}"
        )
        if colour.isValid():
            self.recolour(name, colour.name())

    def move(self, step: int) -> bool:
        name = self.selected_name()
        if name is None:
            self._say("Choose a class in the list first.")
            return False
        position = self.names().index(name) + step
        return self._change("move", name, position, keep=name, done="")

    def merge(self, target: str) -> bool:
        source = self.selected_name()
        if source is None:
            self._say("Choose the class to merge in the list first.")
            return False
        return self._change(
            "merge",
            source,
            target,
            keep=target,
            done=f"Merged {source} into {target} ({{relabelled}} labelled "
            "second(s) now say " + target + ").",
        )

    def remove_selected(self) -> bool:
        names = self.selected_names()
        if not names:
            self._say("Choose the classes to remove in the list first.")
            return False
        seconds = self.project.store.classes.labelled_seconds()
        labelled = sum(seconds.get(name, 0) for name in names)
        if (
            labelled
            and QMessageBox.question(
                self,
                "Remove classes",
                f"{labelled} labelled second(s) use "
                f"{', '.join(names)}. Remove the class(es) and leave those seconds unlabelled? "
                "(To keep the labels under another name, use Merge into.)",
            )
            != QMessageBox.Yes
        ):
            return False
        return self.remove(names)

    def remove(self, names: list[str]) -> bool:
        """Remove classes; their labelled seconds become unlabelled (the edit log keeps them)."""
        lost = 0
        for name in names:
            try:
                lost += self.project.change_classes("remove", name)
            except AnnotatorError as exc:
                self._say(str(exc))
                self.reload()
                return False
        self.reload()
        self._say(
            f"Removed {', '.join(names)}"
            + (
                f"; {lost} labelled second(s) are unlabelled "
                "again (the edit log keeps what they were)."
                if lost
                else "."
            )
        )
        return True

    def remove_unused(self) -> bool:
        seconds = self.project.store.classes.labelled_seconds()
        unused = [name for name in self.names() if not seconds.get(name)]
        if not unused:
            self._say("Every class has labels.")
            return False
        return self.remove(unused)
