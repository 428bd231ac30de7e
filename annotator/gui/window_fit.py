"""The main window fits the screen it opens on: a laptop's 1280×800 or 1366×768 as well as a
large monitor. The first start takes most of the screen, up to a comfortable size; a size or
place remembered from a larger screen is brought back onto this one, so no control (the volume,
the palette's last classes) is ever beyond the screen's edge.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication

COMFORTABLE = QSize(1360, 860)  # the first start on a screen with room to spare
SCREEN_SHARE = 0.94  # ...else this share of the screen, leaving the taskbar and a margin
FOLDER_PANEL_WIDTH = 540
FOLDER_PANEL_SHARE = 0.45  # the folder panel's share of a narrow window


def available_area(window) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def first_size(area: QRect) -> QSize:
    return QSize(
        min(COMFORTABLE.width(), int(area.width() * SCREEN_SHARE)),
        min(COMFORTABLE.height(), int(area.height() * SCREEN_SHARE)),
    )


def _frame_margins(window) -> QSize:
    """What the window manager adds around the window (title bar, borders), once known."""
    frame, inner = window.frameGeometry(), window.geometry()
    return QSize(max(0, frame.width() - inner.width()), max(0, frame.height() - inner.height()))


def fit_to_screen(window) -> None:
    """Shrink the window (frame included) to the screen's free area and move it onto it."""
    area = available_area(window)
    margins = _frame_margins(window)
    width = min(window.width(), area.width() - margins.width())
    height = min(window.height(), area.height() - margins.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, 1), max(height, 1))
    x = min(max(window.x(), area.left()), area.right() - width - margins.width() + 1)
    y = min(max(window.y(), area.top()), area.bottom() - height - margins.height() + 1)
    if (x, y) != (window.x(), window.y()):
        window.move(max(x, area.left()), max(y, area.top()))


def folder_panel_width(window_width: int) -> int:
    return min(FOLDER_PANEL_WIDTH, int(window_width * FOLDER_PANEL_SHARE))
