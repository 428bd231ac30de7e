"""The status bar's mark of a training run kept in the background: its progress, and a click that
brings the training dialog back.

It shows only while the dialog is hidden and there is something to see: a run going on, or a
run that ended since (its result waits for one look, then the mark goes).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from .train_dialog import TrainDialog


class TrainingStatus(QWidget):
    openRequested = Signal()  # the user clicked the mark: show the training dialog

    def __init__(self, parent=None):
        super().__init__(parent)
        self.button = QToolButton(self)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.button.clicked.connect(self.openRequested)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(90)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.button)
        self._dialog: TrainDialog | None = None
        self.setVisible(False)

    def follow(self, dialog: TrainDialog) -> None:
        """Watch this dialog's runs (a new dialog replaces the one followed before)."""
        if self._dialog is not None:
            self._dialog.progressChanged.disconnect(self._on_progress)
            self._dialog.runEnded.disconnect(self._on_ended)
            self._dialog.backgrounded.disconnect(self._on_backgrounded)
        self._dialog = dialog
        dialog.progressChanged.connect(self._on_progress)
        dialog.runEnded.connect(self._on_ended)
        dialog.backgrounded.connect(self._on_backgrounded)

    def text(self) -> str:
        return self.button.text()

    def _on_backgrounded(self) -> None:
        self._on_progress(self._dialog.status.text(), self.bar.value(), self.bar.maximum())
        self.setVisible(True)

    def _on_progress(self, text: str, done: int, total: int) -> None:
        self.bar.setVisible(True)
        self.bar.setRange(0, total)  # 0, 0: busy, length unknown
        self.bar.setValue(done)
        self.button.setText(f"Training: {text}" if not text.startswith("Stop") else text)
        self.button.setToolTip(f"{text}\nClick to show the training window")

    def _on_ended(self, text: str) -> None:
        self.bar.setVisible(False)
        self.button.setText(text)
        self.button.setToolTip(f"{text}\nClick to show the training window")

    def dialog_shown(self) -> None:
        """The dialog is on screen again: it says everything, the mark goes."""
        self.setVisible(False)
