"""Starting the desktop app: `run_app(folder)` shows the window, then opens the folder.

The window is shown before anything slow happens: the folder is opened from the event loop,
durations are probed and pictures decoded in the background, and TensorFlow is imported by the
annotation worker only when a video is first annotated.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from . import refcount_guard
from .settings import APPLICATION, ORGANIZATION

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The process's QApplication, created on first use."""
    refcount_guard.install()
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APPLICATION)
    return app


def run_app(folder: str | None = None, annotate: bool = True) -> int:
    """Show the main window on `folder` (annotating what is not done yet) and run until closed."""
    from .main_window import MainWindow

    app = application()
    window = MainWindow()
    window.show()
    if folder:
        # From the event loop, so the window is on screen before the folder is read.
        QTimer.singleShot(0, lambda: window.open_folder(folder, annotate=annotate))
    return app.exec()
