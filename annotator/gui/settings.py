"""What the app remembers between sessions (QSettings): recent folders, layout, preferences."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "av-annotator"
APPLICATION = "AV Annotator"
MAX_RECENT = 8


class AppSettings:
    def __init__(self, settings: QSettings | None = None):
        self.qt = settings or QSettings(ORGANIZATION, APPLICATION)

    def recent_folders(self) -> list[str]:
        value = self.qt.value("recent_folders", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [folder for folder in value or [] if folder]

    def remember_folder(self, folder) -> list[str]:
        folder = str(Path(folder).resolve())
        recent = [folder] + [f for f in self.recent_folders() if f != folder]
        self.qt.setValue("recent_folders", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]

    def forget_folder(self, folder: str) -> None:
        self.qt.setValue("recent_folders", [f for f in self.recent_folders() if f != folder])

    def value(self, key: str, default=None, kind=None):
        value = self.qt.value(key, default)
        if kind is not None and value is not None:
            try:
                return kind(value)
            except (TypeError, ValueError):
                return default
        return value

    def set_value(self, key: str, value) -> None:
        self.qt.setValue(key, value)
