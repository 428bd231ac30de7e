"""File → Import labels… (the dialogs that ask) and the window's side of exporting other formats,
over core's import/export.

Asking which files and which format lives here (the export dialog is gui/export.py, one dialog for
every format); the work is core.label_import and
core.label_export, the same functions the command line calls. An import shows its dry run first
and asks before adding classes the project does not know.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
)

from ..core.errors import AnnotatorError
from ..core.formats import FORMATS
from ..core.label_export import ExportResult, videos_of_store, write_videos
from ..core.label_import import ImportPlan, apply_import, plan_import

log = logging.getLogger(__name__)

GUESS = "guess from the file"


# ---- doing (no dialogs: tests and the window call these) --------------------------------------


def plan_for_window(window, files: list[Path], fmt: str | None) -> ImportPlan:
    project = window.project
    if project.store is None:
        raise AnnotatorError("Open a folder first")
    videos = {name: entry.path for name, entry in project.entries.items()}
    return plan_import(project.store, videos, files, fmt, known_labels=window.timeline.classes)


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
    return (
        f"Imported {plan.seconds} second(s) of {len(plan.labels)} video(s) from "
        f"{', '.join(f.name for f, _ in plan.files)}"
    )


def export_for_window(window, scope: str, fmt: str, out: Path) -> ExportResult:
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
    return write_videos(fmt, videos, out, result)


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
    fmt, ok = _choose(window, "Import labels", "Format", [GUESS, *FORMATS])
    if not ok:
        return False
    try:
        plan = plan_for_window(window, [Path(f) for f in files], None if fmt == GUESS else fmt)
    except AnnotatorError as exc:
        window.show_error(f"Import failed, nothing changed: {exc}")
        return False
    question = "\n".join(plan.summary())
    if plan.new_classes:
        question += f"\n\nAdd {len(plan.new_classes)} new class(es) and import?"
    else:
        question += "\n\nImport these labels?"
    answer = QMessageBox.question(window, "Import labels", question)
    if answer != QMessageBox.Yes:
        window.status("Import cancelled: nothing changed")
        return False
    try:
        window.status(apply_for_window(window, plan, add_classes=True))
    except AnnotatorError as exc:
        window.show_error(f"Import failed, nothing changed: {exc}")
        return False
    return True


def _choose(window, title: str, label: str, items: list[str]) -> tuple[str, bool]:
    return QInputDialog.getItem(window, title, label, items, 0, False)


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
