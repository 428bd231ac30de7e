"""Export: the reviewed per-second CSV and segments CSV (the contract) for chosen videos.

`export_csv` does the work without a window; `ExportDialog` only asks which videos, in which
format and where, and asks before replacing a file that exists. Every written file names its
videos relative to its own folder (core.paths.video_path_relative_to), so each one stays a
training SPEC wherever the two files are put. The segments file follows the per-second file
(`<name>-segments.csv` beside it) unless the user chose its place.

The other label formats (core.formats: ELAN, Audacity, DCASE, BORIS, Label Studio) are chosen
in the same dialog (`interchange_formats()`) and written by the caller; the place to write
follows the format (a folder for the formats of one file per video), and a name the user typed
takes the new format's ending. Before replacing, the dialog names every file the export would
overwrite (each video's file, for the formats of one file per video). The last choice (format,
place, videos) is kept per folder by the caller (`EXPORT_KEY` in the project's preferences).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..core.csv_io import write_per_second_csv, write_segments_csv
from ..core.errors import AnnotatorError
from ..core.formats import FORMATS, LabelFormat
from ..core.formats.base import per_video_paths
from ..core.paths import video_path_relative_to
from ..core.table import PER_SECOND_COLUMNS, segments_from_table
from .project import ProjectState

CSV_FORMAT = "csv"
EXPORT_KEY = "export"  # the project preference holding the last export's choice


@dataclass
class ExportResult:
    per_second: Path
    segments: Path | None
    rows: int = 0
    videos: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # nothing to export yet

    def summary(self) -> str:
        text = f"Exported {self.rows} rows of {len(self.videos)} video(s) to {self.per_second}"
        if self.segments:
            text += f" and segments to {self.segments.name}"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} not yet annotated"
        return text


@dataclass(frozen=True)
class ExportChoice:
    scope: str  # current, selected or all
    format: str  # CSV_FORMAT or a name from interchange_formats()
    path: Path  # the per-second CSV, or the file of the other format
    segments: Path | None  # CSV only: the segments file, if wanted
    literal_labels: bool = False  # .tsv formats: labels as they are, not spreadsheet-safe

    def files(self) -> list[Path]:
        return [self.path] + ([self.segments] if self.segments else [])

    def remembered(self) -> dict:
        """What the folder keeps of this choice for the next export (JSON)."""
        return {
            "scope": self.scope,
            "format": self.format,
            "path": str(self.path),
            "segments": self.segments is not None,
        }


def segments_path_for(per_second: Path) -> Path:
    """Where the segments file goes unless the user says otherwise: beside the per-second one."""
    per_second = Path(per_second)
    return per_second.with_name(f"{per_second.stem}-segments.csv")


def interchange_formats() -> dict[str, LabelFormat]:
    """The label formats beyond the two CSVs (core.formats), by name."""
    return {name: form for name, form in FORMATS.items() if name not in (CSV_FORMAT, "segments")}


def default_export_path(folder: Path, form: LabelFormat | None) -> Path:
    """Where an export goes unless the user says otherwise: annotations.csv for the CSVs, else
    labels-NAME.SUFFIX, or a folder labels-NAME for formats of one file per video."""
    if form is None:
        return Path(folder) / "annotations.csv"
    if form.one_file_per_video:
        return Path(folder) / f"labels-{form.name}"
    return Path(folder) / f"labels-{form.name}{form.suffix}"


def follow_format(path: Path, form: LabelFormat | None) -> Path:
    """A place the user chose, renamed for another format: labels.csv becomes labels.eaf, or a
    folder `labels` for the formats of one file per video."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix else path
    if form is None:
        return stem.with_name(stem.name + ".csv")
    if form.one_file_per_video:
        return stem
    return stem.with_name(stem.name + form.suffix)


def files_to_write(choice: ExportChoice, form: LabelFormat | None, videos: list[Path]) -> list:
    """Every file an export would write: each video's file in the folder for the formats of one
    file per video (named as the format's writer names them), else the file(s) chosen."""
    if form is not None and form.one_file_per_video:
        named = [SimpleNamespace(path=Path(video)) for video in videos]
        return per_video_paths(named, choice.path, form.suffix)
    return choice.files()


def _with_video_column(
    tables: dict[str, pd.DataFrame], project: ProjectState, written_file: Path
) -> pd.DataFrame:
    """The tables as one, each video named relative to the folder of `written_file`."""
    named = []
    for name, table in tables.items():
        table = table.copy()
        table["video"] = video_path_relative_to(project.entry(name).path, written_file)
        named.append(table)
    return pd.concat(named, ignore_index=True)


def export_csv(
    project: ProjectState, names: list[str], per_second_path, segments_path=None
) -> ExportResult:
    """Write the reviewed rows of `names` (human labels over predictions, source=human)."""
    if project.store is None:
        raise AnnotatorError("No folder is open")
    per_second_path = Path(per_second_path)
    result = ExportResult(per_second_path, Path(segments_path) if segments_path else None)
    tables = {}
    for name in names:
        table = project.store.reviewed_table(name, video_column=name)
        if table.empty:
            result.skipped.append(name)
            continue
        tables[name] = table
        result.videos.append(name)
    if not tables:
        raise AnnotatorError(
            "Nothing to export: none of the chosen videos is annotated or labelled yet"
        )
    table = _with_video_column(tables, project, per_second_path)[PER_SECOND_COLUMNS]
    try:
        write_per_second_csv(table, per_second_path)
        if result.segments:
            segments = _with_video_column(tables, project, result.segments)
            write_segments_csv(segments_from_table(segments), result.segments)
    except OSError as exc:
        raise AnnotatorError(
            f"{exc.filename or per_second_path}: cannot write ({exc.strerror or exc})"
        ) from exc
    result.rows = len(table)
    return result


class ExportDialog(QDialog):
    """Asks which videos (current, selected, all), the format and where; asks before replacing
    files that exist. The caller then writes (export_csv, or the chosen format's writer)."""

    SCOPES = ("current", "selected", "all")

    def __init__(
        self,
        default_dir: Path,
        has_current: bool,
        selected: int,
        parent=None,
        formats: dict[str, LabelFormat] | None = None,
        videos: dict[str, list[Path]] | None = None,
        remembered: dict | None = None,
    ):
        """`videos`: the media files of each scope (to name the files a per-video format
        would replace); `remembered`: the folder's last choice (ExportChoice.remembered)."""
        super().__init__(parent)
        self.videos = dict(videos or {})
        self.setWindowTitle("Export labels")
        self.default_dir = Path(default_dir)
        self.formats = dict(formats or {})
        self._path_chosen = False  # the user typed or browsed a place: a format change keeps it
        self.confirm_box: QMessageBox | None = None
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
        self.format_box = QComboBox()
        self.format_box.addItem("CSV: per-second (+ segments)", CSV_FORMAT)
        for name, label_format in self.formats.items():
            self.format_box.addItem(f"{label_format.title} ({name})", name)
        self.format_box.currentIndexChanged.connect(self._on_format)
        self.per_second = QLineEdit(str(default_export_path(self.default_dir, None)))
        self.per_second.textEdited.connect(lambda _text: setattr(self, "_path_chosen", True))
        self.segments = QLineEdit(str(segments_path_for(Path(self.per_second.text()))))
        self._segments_chosen = False  # the user put the segments file somewhere else
        self.per_second.textChanged.connect(self._follow_per_second)
        self.segments.textEdited.connect(lambda _text: setattr(self, "_segments_chosen", True))
        self.with_segments = QCheckBox("Also write segments")
        self.with_segments.setChecked(True)
        self.with_segments.toggled.connect(self.segments.setEnabled)
        self.literal = QCheckBox("Write labels literally (no apostrophe before = + - @)")
        self.literal.setEnabled(False)  # only the .tsv formats quote labels for spreadsheets
        form = QFormLayout()
        form.addRow("Videos", scopes)
        form.addRow("Format", self.format_box)
        form.addRow("Write to", self._with_browse(self.per_second, segments=False))
        form.addRow(self.with_segments, self._with_browse(self.segments, segments=True))
        form.addRow(self.literal)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        if remembered:
            self._restore(remembered)
        self.resize(620, self.sizeHint().height())

    def _restore(self, remembered: dict) -> None:
        """The folder's last export: its format, place and videos (where they still apply)."""
        index = self.format_box.findData(remembered.get("format"))
        if index >= 0:
            self.format_box.setCurrentIndex(index)
        if remembered.get("path"):
            self.per_second.setText(str(remembered["path"]))
            self._path_chosen = True
        scope = remembered.get("scope")
        if scope in self.SCOPES:
            button = self.scope_buttons.button(self.SCOPES.index(scope))
            if button.isEnabled():
                button.setChecked(True)
        self.with_segments.setChecked(bool(remembered.get("segments", True)))

    def _with_browse(self, line: QLineEdit, segments: bool) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(line, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(line, segments))
        row.addWidget(browse)
        return box

    def _chosen_format(self) -> LabelFormat | None:
        return self.formats.get(self.format_box.currentData())

    def _browse(self, line: QLineEdit, segments: bool) -> None:
        form = None if segments else self._chosen_format()
        if form is not None and form.one_file_per_video:
            path = QFileDialog.getExistingDirectory(self, "Export into folder", line.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", line.text())
        if path:
            line.setText(path)
            setattr(self, "_segments_chosen" if segments else "_path_chosen", True)

    def _follow_per_second(self, text: str) -> None:
        if not self._segments_chosen and Path(text.strip()).name:  # "/" while typing: wait
            self.segments.setText(str(segments_path_for(Path(text))))

    def _on_format(self) -> None:
        csv = self.format_box.currentData() == CSV_FORMAT
        form = self._chosen_format()
        if not self._path_chosen:
            self.per_second.setText(str(default_export_path(self.default_dir, form)))
        elif self.per_second.text().strip():  # the user's place, with this format's ending
            self.per_second.setText(str(follow_format(Path(self.per_second.text()), form)))
        self.with_segments.setEnabled(csv)
        self.segments.setEnabled(csv and self.with_segments.isChecked())
        chosen = self._chosen_format()
        self.literal.setEnabled(chosen is not None and chosen.suffix == ".tsv")

    def choice(self) -> ExportChoice:
        scope = self.SCOPES[self.scope_buttons.checkedId()]
        form = self.format_box.currentData()
        segments = (
            Path(self.segments.text())
            if form == CSV_FORMAT and self.with_segments.isChecked()
            else None
        )
        literal = self.literal.isEnabled() and self.literal.isChecked()
        return ExportChoice(scope, form, Path(self.per_second.text()), segments, literal)

    def accept(self) -> None:
        """OK: ask before replacing files that exist; No keeps the dialog open to change them."""
        choice = self.choice()
        if choice.segments is not None and choice.segments.resolve() == choice.path.resolve():
            QMessageBox.warning(
                self,
                "Export labels",
                "The segments file and the per-second file must be different files.",
            )
            return
        videos = self.videos.get(choice.scope, [])
        existing = [p for p in files_to_write(choice, self._chosen_format(), videos) if p.exists()]
        if existing and not self._confirm_replace(existing):
            return
        super().accept()

    def _confirm_replace(self, existing: list[Path]) -> bool:
        shown = existing[:20]
        names = "\n".join(str(path) for path in shown) + (
            f"\n… and {len(existing) - len(shown)} more" if len(existing) > len(shown) else ""
        )
        self.confirm_box = QMessageBox(
            QMessageBox.Question,
            "Replace files?",
            f"{'This file exists' if len(existing) == 1 else 'These files exist'}:\n{names}\n\n"
            "Replace with this export?",
            QMessageBox.Yes | QMessageBox.No,
            self,
        )
        self.confirm_box.setDefaultButton(QMessageBox.No)
        answer = self.confirm_box.exec()
        self.confirm_box = None
        return answer == QMessageBox.Yes


def export_videos(window) -> dict[str, list[Path]]:
    """The media files of each scope the export dialog offers (current, selected, all)."""
    return {
        scope: [window.project.entry(name).path for name in window.export_names(scope)]
        for scope in ExportDialog.SCOPES
    }
