"""The folder view: the open library's videos with duration, status and main label.

Built for libraries of thousands of videos: a row is drawn from the video's kept summary
(ProjectState's entry, filled from the store's summary table), never from its predictions;
updates are coalesced into at most one repaint every FLUSH_MS; columns have fixed, user-resizable
widths (sizing columns to their contents reads every row on every update); and a sort orders the
cached summaries. The Video column shows the path below the opened folder, elided in the middle.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .project import ProjectState, VideoEntry
from .timeline.lanes import format_time

COLUMNS = ("Video", "Duration", "Status", "Main label", "Label next")
COLUMN_WIDTHS = (None, 60, 76, 96, 72)  # None: the Video column takes the rest (narrow
# fixed columns, so on a laptop screen the names keep most of the panel)
FLUSH_MS = 100  # changed rows are repainted together, at most ten times a second
LABEL_NEXT_TIP = (
    "How much labelling this video would help: the model is unsure, its audio and "
    "visual heads disagree, or it names classes with few labels (L jumps there)"
)
SUBFOLDERS_TIP = (
    "List the videos of every sub-folder too (remembered for this folder); "
    "the app's own folders (.av-annotator) are skipped"
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


def _sort_keys(entries: dict):
    """Per column, the key a click on its header sorts by (from the cached summaries)."""
    return {
        0: lambda n: n.lower(),
        1: lambda n: entries[n].duration or 0.0,
        2: lambda n: status_text(entries[n]),
        3: lambda n: entries[n].main_label,
        4: lambda n: entries[n].label_next if entries[n].label_next is not None else -1,
    }


class VideoListModel(QAbstractTableModel):
    """The ProjectState's videos as table rows; a changed row is repainted within FLUSH_MS."""

    def __init__(self, project: ProjectState, parent=None):
        super().__init__(parent)
        self.project = project
        self._names: list[str] = []
        self._rows: dict[str, int] = {}
        self._sorted_by: tuple[int, Qt.SortOrder] | None = None
        self.progress: dict[str, float] = {}
        self._changed: set[str] = set()
        self.flush_timer = QTimer(self)
        self.flush_timer.setSingleShot(True)
        self.flush_timer.setInterval(FLUSH_MS)
        self.flush_timer.timeout.connect(self.flush)
        project.videosChanged.connect(self._reset)
        project.videoUpdated.connect(self.refresh_row)

    def _reset(self) -> None:
        self.beginResetModel()
        self._names = self.project.names()
        if self._sorted_by is not None:
            column, order = self._sorted_by
            self._names.sort(key=_sort_keys(self.project.entries)[column], reverse=_down(order))
        self._rows = {name: row for row, name in enumerate(self._names)}
        self.progress, self._changed = {}, set()
        self.endResetModel()

    def refresh_row(self, name: str) -> None:
        """Repaint `name`'s row at the next flush (many updates, one repaint)."""
        if name not in self._rows:
            return
        if name in self.progress and self.project.entry(name).status != "running":
            del self.progress[name]  # done, failed or back to pending: a rerun starts afresh
        self._changed.add(name)
        if not self.flush_timer.isActive():
            self.flush_timer.start()

    def flush(self) -> None:
        """One dataChanged over the changed rows' span: the view repaints what is visible."""
        # A video no longer in the project (its folder was closed, the window is going) is not
        # repainted: its row is about to go.
        entries = self.project.entries
        rows = [
            self._rows[name] for name in self._changed if name in self._rows and name in entries
        ]
        self._changed = set()
        if rows:
            last = len(COLUMNS) - 1
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), last))

    def set_progress(self, name: str, fraction: float | None) -> None:
        """Show a running video's fraction done ("running 40%"); None clears it."""
        if name not in self._rows:
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
        self._sorted_by = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = list(self._names)
        self._names.sort(key=_sort_keys(self.project.entries)[column], reverse=_down(order))
        self._rows = {name: row for row, name in enumerate(self._names)}
        # The current and selected rows follow their videos to their new places.
        moved = self.persistentIndexList()
        self.changePersistentIndexList(
            moved, [self.index(self._rows[before[i.row()]], i.column()) for i in moved]
        )
        self.layoutChanged.emit()

    def row_of(self, name: str) -> int:
        return self._rows[name]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self._names[index.row()] not in self.project.entries:
            return None
        entry = self.project.entry(self._names[index.row()])
        column = index.column()
        if role == Qt.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ToolTipRole and column == 4:
            return LABEL_NEXT_TIP
        if role == Qt.ToolTipRole:
            return f"{entry.name}\n{status_text(entry)}" + (
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


def _down(order) -> bool:
    return order == Qt.DescendingOrder


class FolderView(QWidget):
    """The video list; `videoSelected(name)` when the current video changes, and
    `subfoldersToggled(on)` when the user asks for the sub-folders' videos or not."""

    videoSelected = Signal(str)
    subfoldersToggled = Signal(bool)

    def __init__(self, project: ProjectState, parent=None):
        super().__init__(parent)
        self.project = project
        self.model = VideoListModel(project, self)
        self.subfolders = QCheckBox("Include sub-folders")
        self.subfolders.setToolTip(SUBFOLDERS_TIP)
        self.subfolders.setChecked(True)
        self.subfolders.toggled.connect(self._on_subfolders)
        project.folderOpened.connect(self._show_subfolder_choice)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideMiddle)  # folder and file name both stay in view
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.Fixed)  # no row is measured
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for column, width in enumerate(COLUMN_WIDTHS):
            if width is not None:
                header.setSectionResizeMode(column, QHeaderView.Interactive)
                header.resizeSection(column, width)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(0, Qt.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.subfolders)
        layout.addWidget(self.table)

    def _show_subfolder_choice(self, _folder: str) -> None:
        self.subfolders.blockSignals(True)
        self.subfolders.setChecked(self.project.include_subfolders)
        self.subfolders.blockSignals(False)

    def _on_subfolders(self, on: bool) -> None:
        if self.project.folder is not None:
            self.subfoldersToggled.emit(on)

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
