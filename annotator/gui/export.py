"""Export: the reviewed per-second CSV and segments CSV (the contract) for chosen videos.

`export_csv` does the work without a window; `ExportDialog` only asks which videos and where.
Video paths in the CSV are relative to the CSV's folder, so the file stays a training SPEC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QRadioButton,
                               QVBoxLayout, QWidget)

from ..core.csv_io import write_per_second_csv, write_segments_csv
from ..core.errors import AnnotatorError
from ..core.paths import video_path_relative_to
from ..core.table import PER_SECOND_COLUMNS, segments_from_table
from .project import ProjectState


@dataclass
class ExportResult:
    per_second: Path
    segments: Path | None
    rows: int = 0
    videos: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)     # nothing to export yet

    def summary(self) -> str:
        text = f"Exported {self.rows} rows of {len(self.videos)} video(s) to {self.per_second}"
        if self.segments:
            text += f" and segments to {self.segments.name}"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} not yet annotated"
        return text


def export_csv(project: ProjectState, names: list[str], per_second_path,
               segments_path=None) -> ExportResult:
    """Write the reviewed rows of `names` (human labels over predictions, source=human)."""
    if project.store is None:
        raise AnnotatorError("No folder is open")
    per_second_path = Path(per_second_path)
    result = ExportResult(per_second_path, Path(segments_path) if segments_path else None)
    tables = []
    for name in names:
        column = video_path_relative_to(project.entry(name).path, per_second_path)
        table = project.store.reviewed_table(name, video_column=column)
        if table.empty:
            result.skipped.append(name)
            continue
        tables.append(table)
        result.videos.append(name)
    if not tables:
        raise AnnotatorError("Nothing to export: none of the chosen videos is annotated or "
                             "labelled yet")
    table = pd.concat(tables, ignore_index=True)[PER_SECOND_COLUMNS]
    try:
        write_per_second_csv(table, per_second_path)
        if result.segments:
            write_segments_csv(segments_from_table(table), result.segments)
    except OSError as exc:
        raise AnnotatorError(f"{exc.filename or per_second_path}: cannot write "
                             f"({exc.strerror or exc})") from exc
    result.rows = len(table)
    return result


class ExportDialog(QDialog):
    """Asks which videos (current, selected, all) and where; the caller then calls export_csv."""

    SCOPES = ("current", "selected", "all")

    def __init__(self, default_dir: Path, has_current: bool, selected: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export CSV")
        self.scope_buttons = QButtonGroup(self)
        scopes = QHBoxLayout()
        texts = ("Current video", f"Selected ({selected})", "All videos")
        for index, text in enumerate(texts):
            button = QRadioButton(text)
            self.scope_buttons.addButton(button, index)
            scopes.addWidget(button)
        self.scope_buttons.button(0).setEnabled(has_current)
        self.scope_buttons.button(1).setEnabled(selected > 0)
        self.scope_buttons.button(2 if not has_current else 0).setChecked(True)
        self.per_second = QLineEdit(str(default_dir / "annotations.csv"))
        self.segments = QLineEdit(str(default_dir / "annotations-segments.csv"))
        self.with_segments = QCheckBox("Also write segments")
        self.with_segments.setChecked(True)
        self.with_segments.toggled.connect(self.segments.setEnabled)
        form = QFormLayout()
        form.addRow("Videos", scopes)
        form.addRow("Per-second CSV", self._with_browse(self.per_second))
        form.addRow(self.with_segments, self._with_browse(self.segments))
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _with_browse(self, line: QLineEdit) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(line, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(line))
        row.addWidget(browse)
        return box

    def _browse(self, line: QLineEdit) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", line.text(), "CSV (*.csv)")
        if path:
            line.setText(path)

    def choice(self) -> tuple[str, Path, Path | None]:
        """(scope, per-second path, segments path or None)."""
        scope = self.SCOPES[self.scope_buttons.checkedId()]
        segments = Path(self.segments.text()) if self.with_segments.isChecked() else None
        return scope, Path(self.per_second.text()), segments
