"""The folder view: the open folder's videos with duration, status and main label."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from .project import ProjectState, VideoEntry
from .timeline.lanes import format_time

COLUMNS = ("Video", "Duration", "Status", "Main label", "Label next")
LABEL_NEXT_TIP = (
    "How much labelling this video would help: the model is unsure, its audio and "
    "visual heads disagree, or it names classes with few labels (L jumps there)"
)
_STATUS_COLORS = {
    "done": "#2e7d32",
    "failed": "#c62828",
    "running": "#1565c0",
    "pending": "#6b7280",
}


def status_text(entry: VideoEntry) -> str:
    if entry.status == "failed":
        kept = f"; showing {entry.model}'s earlier predictions" if entry.model else ""
        return f"failed: {entry.reason}{kept}"
    if entry.status == "done" and entry.edited_seconds:
        return f"done, {entry.edited_seconds} s reviewed"
    return entry.status


class VideoListModel(QAbstractTableModel):
    """The ProjectState's videos as table rows; a row updates when its video does."""

    def __init__(self, project: ProjectState, parent=None):
        super().__init__(parent)
        self.project = project
        self._names: list[str] = []
        self.progress: dict[str, float] = {}
        project.videosChanged.connect(self._reset)
        project.videoUpdated.connect(self.refresh_row)

    def _reset(self) -> None:
        self.beginResetModel()
        self._names = self.project.names()
        self.progress = {}
        self.endResetModel()

    def refresh_row(self, name: str) -> None:
        if name not in self._names:
            return
        if name in self.progress and self.project.entry(name).status != "running":
            del self.progress[name]  # done, failed or back to pending: a rerun starts afresh
        row = self._names.index(name)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_progress(self, name: str, fraction: float | None) -> None:
        """Show a running video's fraction done ("running 40%"); None clears it."""
        if name not in self._names:
            return  # a late event of a run over a folder that is no longer open
        if fraction is None:
            self.progress.pop(name, None)
        else:
            self.progress[name] = fraction
        self.refresh_row(name)

    def name_at(self, row: int) -> str:
        return self._names[row]

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        """Sort the rows by a column (a click on its header); 'Label next' puts the most
        useful videos first when descending."""
        entries = self.project.entries
        keys = {
            0: lambda n: n.lower(),
            1: lambda n: entries[n].duration or 0.0,
            2: lambda n: status_text(entries[n]),
            3: lambda n: entries[n].main_label,
            4: lambda n: entries[n].label_next if entries[n].label_next is not None else -1,
        }
        self.layoutAboutToBeChanged.emit()
        before = list(self._names)
        self._names.sort(key=keys[column], reverse=order == Qt.DescendingOrder)
        # The current and selected rows follow their videos to their new places.
        moved = self.persistentIndexList()
        self.changePersistentIndexList(
            moved, [self.index(self._names.index(before[i.row()]), i.column()) for i in moved]
        )
        self.layoutChanged.emit()

    def row_of(self, name: str) -> int:
        return self._names.index(name)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        entry = self.project.entry(self._names[index.row()])
        column = index.column()
        if role == Qt.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ToolTipRole and column == 4:
            return LABEL_NEXT_TIP
        if role == Qt.ToolTipRole:
            return f"{entry.path}\n{status_text(entry)}" + (
                f"\nmodel {entry.model}" if entry.model else ""
            )
        if role == Qt.ForegroundRole and column == 2:
            return QBrush(QColor(_STATUS_COLORS.get(entry.status, "#000000")))
        if role == Qt.TextAlignmentRole and column in (1, 4):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def _display(self, entry: VideoEntry, column: int) -> str:
        if column == 0:
            return entry.name
        if column == 1:
            return format_time(round(entry.duration)) if entry.duration else "…"
        if column == 2:
            if entry.status == "running" and entry.name in self.progress:
                return f"running {self.progress[entry.name]:.0%}"
            return status_text(entry)
        if column == 4:
            return "" if entry.label_next is None else f"{entry.label_next:.2f}"
        return entry.main_label


class FolderView(QWidget):
    """The video list; `videoSelected(name)` when the current video changes."""

    videoSelected = Signal(str)

    def __init__(self, project: ProjectState, parent=None):
        super().__init__(parent)
        self.project = project
        self.model = VideoListModel(project, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for column in (1, 2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(0, Qt.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def _on_current(self, current: QModelIndex, _previous) -> None:
        if current.isValid():
            self.videoSelected.emit(self.model.name_at(current.row()))

    def selected_names(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.name_at(row) for row in rows]

    def select(self, name: str) -> None:
        """Make `name` the current video (as a click on its row would)."""
        index = self.model.index(self.model.row_of(name), 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows
        )
