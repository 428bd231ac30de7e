"""File → Import labels… (the dialogs that ask) and the window's side of exporting other formats,
over core's import/export.

Asking which files, which format, which coverage rule and (for ELAN) which tiers lives here (the
export dialog is gui/export.py, one dialog for every format); the work is core.label_import and
core.label_export, the same functions the command line calls. An import shows its dry run first,
with every event the per-second conversion would lose, and asks before adding classes the project
does not know; the status line after it repeats what was lost.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
)

from ..core.errors import AnnotatorError
from ..core.formats import FORMATS, LabelFileError, ReadOptions, parse_min_cover
from ..core.formats.elan import ElanDocument
from ..core.label_export import ExportResult, export_options, videos_of_store, write_videos
from ..core.label_import import ImportPlan, apply_import, plan_import

log = logging.getLogger(__name__)

GUESS = "guess from the file"
COVER_CHOICES = ("0.5", "any", "0.25", "0.75", "1")
_REVIEW_LINES = 40  # plan lines shown in the question; all of them under "Show Details"


# ---- doing (no dialogs: tests and the window call these) --------------------------------------


def plan_for_window(
    window, files: list[Path], fmt: str | None, options: ReadOptions | None = None
) -> ImportPlan:
    project = window.project
    if project.store is None:
        raise AnnotatorError("Open a folder first")
    videos = {name: entry.path for name, entry in project.entries.items()}
    return plan_import(
        project.store, videos, files, fmt, known_labels=window.timeline.classes, options=options
    )


def apply_for_window(window, plan: ImportPlan, add_classes: bool) -> str:
    """Write the plan, then refresh the list, the palette and the shown video's lanes."""
    project = window.project
    apply_import(project.store, plan, add_classes=add_classes)
    for name, duration in plan.durations.items():
        if name in project.entries:
            project.entries[name].duration = duration
    for name in plan.labels:
        if name in project.entries:
            project._refresh(name)
            project.labelsChanged.emit(name)
    if plan.new_classes:
        window.project.add_classes(list(plan.new_classes))
    if window.timeline.video in plan.labels:
        window.timeline.set_human(project.human_labels(window.timeline.video))
    lost = plan.lost_summary()
    return (
        f"Imported {plan.seconds} second(s) of {len(plan.labels)} video(s) from "
        f"{', '.join(f.name for f, _ in plan.files)}" + (f"; {lost}" if lost else "")
    )


def export_for_window(
    window, scope: str, fmt: str, out: Path, literal_labels: bool = False
) -> ExportResult:
    project = window.project
    if project.store is None:
        raise AnnotatorError("Open a folder first")
    names = {
        "current": [window.timeline.video] if window.timeline.video else [],
        "selected": window.folder_view.selected_names(),
        "all": project.names(),
    }[scope]
    result = ExportResult()
    videos = videos_of_store(
        project.store, names, {n: project.entry(n).path for n in names}, result
    )
    options = export_options(project.store, literal_labels)
    return write_videos(fmt, videos, out, result, options)


def review_text(plan: ImportPlan) -> tuple[str, str]:
    """(what the question shows, the whole plan for its details): the lost events first."""
    lines = plan.summary()
    shown = lines[:_REVIEW_LINES] + (
        [f"… and {len(lines) - _REVIEW_LINES} more line(s): Show Details"]
        if len(lines) > _REVIEW_LINES
        else []
    )
    lost = plan.lost_summary()
    head = [f"Lost: {lost}", ""] if lost else []
    return "\n".join(head + shown), "\n".join(lines)


class ImportOptionsDialog(QDialog):
    """Format, coverage rule and (for ELAN files) tiers of an import, before its dry run."""

    def __init__(self, files: list[Path], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Import labels")
        form = QFormLayout(self)
        self.format_box = QComboBox()
        self.format_box.addItems([GUESS, *FORMATS])
        form.addRow("Format", self.format_box)
        self.cover_box = QComboBox()
        self.cover_box.setEditable(True)
        self.cover_box.addItems(COVER_CHOICES)
        self.cover_box.setToolTip(
            "The part of a second an event must cover to give it its label; 'any' keeps "
            "events shorter than a second"
        )
        form.addRow("Minimum cover", self.cover_box)
        self.tier_list = QListWidget()
        for name, count in self._tiers(files):
            item = QListWidgetItem(f"{name} ({count} annotations)")
            item.setData(Qt.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.tier_list.addItem(item)
        if self.tier_list.count():
            form.addRow(QLabel("ELAN tiers to import (none: the first time-aligned tier)"))
            form.addRow(self.tier_list)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _tiers(files: list[Path]) -> list[tuple[str, int]]:
        tiers: dict[str, int] = {}
        for file in files:
            if Path(file).suffix.lower() != ".eaf":
                continue
            try:
                for name, count in ElanDocument.tiers(file):
                    tiers[name] = tiers.get(name, 0) + count
            except LabelFileError:
                continue  # the plan reports the file's problem in one line
        return list(tiers.items())

    def choice(self) -> tuple[str | None, ReadOptions]:
        """(format or None to guess, read options); LabelFileError for a bad minimum cover."""
        fmt = self.format_box.currentText()
        tiers = tuple(
            self.tier_list.item(i).data(Qt.UserRole)
            for i in range(self.tier_list.count())
            if self.tier_list.item(i).checkState() == Qt.Checked
        )
        cover = parse_min_cover(self.cover_box.currentText())
        return (None if fmt == GUESS else fmt), ReadOptions(min_cover=cover, tiers=tiers)


# ---- asking ------------------------------------------------------------------------------------


def ask_import(window) -> bool:
    if window.project.store is None:
        window.status("Open a folder first")
        return False
    files, _ = QFileDialog.getOpenFileNames(
        window,
        "Import labels",
        str(window.project.folder),
        "Label files (*.csv *.tsv *.txt *.eaf *.json);;All files (*)",
    )
    if not files:
        return False
    files = [Path(f) for f in files]
    dialog = ImportOptionsDialog(files, window)
    if dialog.exec() != QDialog.Accepted:
        return False
    try:
        fmt, options = dialog.choice()
        plan = plan_for_window(window, files, fmt, options)
    except AnnotatorError as exc:
        window.show_error(f"Import failed, nothing changed: {exc}")
        return False
    question, details = review_text(plan)
    if plan.new_classes:
        question += f"\n\nAdd {len(plan.new_classes)} new class(es) and import?"
    else:
        question += "\n\nImport these labels?"
    box = QMessageBox(QMessageBox.Question, "Import labels", question,
                      QMessageBox.Yes | QMessageBox.No, window)  # fmt: skip
    box.setDetailedText(details)
    if box.exec() != QMessageBox.Yes:
        window.status("Import cancelled: nothing changed")
        return False
    try:
        window.status(apply_for_window(window, plan, add_classes=True))
    except AnnotatorError as exc:
        window.show_error(f"Import failed, nothing changed: {exc}")
        return False
    return True


def install_interchange_actions(window) -> dict[str, QAction]:
    """Add File → Import labels… after the export entry."""
    actions = {
        "import_labels": QAction("Import labels…", window, triggered=lambda: ask_import(window)),
    }
    menu = next(
        (m for m in window.actions["export"].associatedObjects() if isinstance(m, QMenu)), None
    )
    entries = menu.actions() if menu is not None else []
    export_at = (
        entries.index(window.actions["export"]) if window.actions["export"] in entries else -1
    )
    before = entries[export_at + 1] if 0 <= export_at < len(entries) - 1 else None
    for action in actions.values():
        if menu is not None:
            menu.insertAction(before, action)
        window.addAction(action)
    window.actions.update(actions)
    return actions
