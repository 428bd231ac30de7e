"""Find similar: from the selected span (or the second at the cursor), the most similar seconds
anywhere in the folder (ml.similarity, on the cached per-second embeddings; nothing is computed
or downloaded in the app's process), listed with thumbnails; the chosen ones get one label in
one step, one undoable edit (one transaction in the store, undone together by Ctrl+Z).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap, QUndoCommand
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import AnnotatorError, Cancelled
from ..core.feature_cache import FeatureCache
from ..ml.similarity import LibraryEmbeddings, Match, find_similar, library_embeddings
from .review_queue import add_right_dock
from .second_thumbnails import HEIGHT, WIDTH, SecondThumbnails
from .workers import BackgroundTasks, TaskSignals, _Task

SEARCH_CHOICES = [("Sound and picture", "both"), ("Sound", "audio"), ("Picture", "visual")]
COLUMNS = ["Video", "Time", "Similarity", "Label now"]
FIND_KEY = "F"


def _seconds_text(count: int) -> str:
    return f"{count} second{'s' if count != 1 else ''}"


class BulkLabelEdit(QUndoCommand):
    """Labels of seconds in several videos before and after one bulk edit (None: no label)."""

    def __init__(self, panel: "SimilarPanel", before: dict, after: dict, text: str):
        super().__init__(text)
        self.panel, self.before, self.after = panel, before, after
        self._written = True  # stored before the push; the push's redo skips it

    def redo(self) -> None:
        if self._written:
            self._written = False
            return
        self.panel.swap(self.after, self.before, f"redo: {self.text()}")

    def undo(self) -> None:
        self.panel.swap(self.before, self.after, f"undo: {self.text()}")


class _ReadLibrary(_Task):
    """The folder's per-second embeddings from the feature cache: `done("", LibraryEmbeddings)`."""

    def __init__(self, videos: dict, cache: FeatureCache, signals: TaskSignals):
        super().__init__(signals)
        self.videos, self.cache = videos, cache

    def work(self) -> None:
        try:
            library = library_embeddings(self.videos, self.cache, cancel=self.cancelled.is_set)
        except Cancelled:
            return
        if not self.cancelled.is_set():
            self.signals.done.emit("", library)


class SimilarPanel(QWidget):
    searched = Signal()

    def __init__(self, project, timeline, review, open_video, cache_dir=None, parent=None):
        super().__init__(parent)
        self.project, self.timeline, self.review = project, timeline, review
        self.open_video, self.cache_dir = open_video, cache_dir
        self.library: LibraryEmbeddings | None = None
        self.matches: list[Match] = []
        self._rows: dict = {}
        self.dock: QDockWidget | None = None
        self.tasks = BackgroundTasks()
        self._read_signals = TaskSignals(self)
        self._read_signals.done.connect(self._library_read)
        self._reading: _ReadLibrary | None = None
        self._query: tuple[str, list[int]] | None = None
        self.thumbnails = SecondThumbnails(self)
        self.thumbnails.ready.connect(self._show_thumbnail)
        self._build()
        project.folderOpened.connect(lambda *_: self.forget())

    def _build(self) -> None:
        self.find_button = QPushButton(f"Find similar ({FIND_KEY})")
        self.find_button.setToolTip("Seconds anywhere in the folder like the selection or cursor")
        self.find_button.clicked.connect(self.find)
        self.search = QComboBox()
        for text, value in SEARCH_CHOICES:
            self.search.addItem(text, value)
        self.top = QSpinBox()
        self.top.setRange(1, 500)
        self.top.setValue(20)
        self.top.setPrefix("top ")
        bar = QHBoxLayout()
        bar.addWidget(self.find_button)
        bar.addWidget(self.search)
        bar.addWidget(self.top)
        self.note = QLabel("Select a span or put the cursor on a second, then Find similar")
        self.note.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(COLUMNS)
        self.list.setRootIsDecorated(False)
        self.list.setIconSize(QSize(WIDTH, HEIGHT))
        self.list.itemDoubleClicked.connect(lambda row, _col: self._go(row))
        self.label = QComboBox()
        self.assign_button = QPushButton("Label the chosen")
        self.assign_button.clicked.connect(lambda: self.assign(self.label.currentText()))
        below = QHBoxLayout()
        below.addWidget(QLabel("Label"))
        below.addWidget(self.label, 1)
        below.addWidget(self.assign_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addLayout(below)

    def forget(self) -> None:
        """Another folder (or new features): the embeddings are read again on the next search."""
        self.library, self.matches, self._rows = None, [], {}
        self.list.clear()
        self._drop_reading()

    def features_changed(self) -> None:
        """An annotation run cached new features: read them on the next search."""
        self.library = None
        self._drop_reading()

    def _drop_reading(self) -> None:
        """A read under way is for the old folder or features: its answer is not waited for."""
        if self._reading is not None:
            self._reading.cancel()
            self._read_signals.done.disconnect()
            self._read_signals = TaskSignals(self)
            self._read_signals.done.connect(self._library_read)
            self._reading = None

    # ---- searching ---------------------------------------------------------------------------

    def query(self) -> tuple[str, list[int]] | None:
        """The shown video's selected seconds, else the second at the cursor."""
        if self.timeline.video is None:
            return None
        if self.timeline.selection:
            start, end = self.timeline.selection
            return self.timeline.video, list(range(start, end))
        return self.timeline.video, [self.timeline.cursor_second()]

    def show_and_find(self) -> bool:
        """The key (F): bring the panel forward and search from the selection or cursor."""
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        return self.find()

    def find(self) -> bool:
        """Search from the selection or cursor. The folder's features are read from the cache
        once, on the thread pool (a hundred videos take seconds); the search follows."""
        query = self.query()
        if query is None:
            return self._say("Open a video first")
        self._query = query
        if self.library is not None:
            return self._search(*query)
        if self._reading is None:
            videos = {name: self.project.entry(name).path for name in self.project.names()}
            self._reading = self.tasks.start(
                _ReadLibrary(videos, FeatureCache(self.cache_dir), self._read_signals)
            )
            self.note.setText(f"Reading the cached features of {len(videos)} video(s)…")
        return True

    def _library_read(self, _name: str, library) -> None:
        self._reading = None
        self.library = library
        if self._query is not None:
            self._search(*self._query)

    def _search(self, video: str, seconds: list[int]) -> bool:
        library = self.library
        self._query = None
        if video in library.missing:
            self.library = None  # its features may be cached by the next run
            return self._say(f"{video}: no features cached yet; annotate it first")
        if video in dict(library.failed):
            return self._say(f"{video}: {dict(library.failed)[video]}")
        try:
            self.matches, used = find_similar(
                library, video, seconds, self.search.currentData(), self.top.value()
            )
        except AnnotatorError as exc:
            return self._say(str(exc))
        self._show(video, seconds, used, library.missing)
        self.searched.emit()
        return True

    def _say(self, text: str) -> bool:
        self.note.setText(text)
        self.review.message.emit(text)
        return False

    def _show(self, video: str, seconds: list[int], used: list[str], missing: list[str]) -> None:
        words = " and ".join({"audio": "sound", "visual": "picture"}[s] for s in used)
        span = f"{seconds[0]} s" if len(seconds) == 1 else f"{seconds[0]}–{seconds[-1]} s"
        line = f"Like {video} {span}, by {words}: {len(self.matches)} seconds"
        if missing:
            shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
            line += f". Not searched, no features cached yet (annotate them): {shown}"
        self.note.setText(line)
        self.list.clear()
        self._rows = {}
        for match in self.matches:
            row = QTreeWidgetItem(
                [match.video, f"{match.second} s", f"{match.similarity:.3f}", self._label_of(match)]
            )
            row.setData(0, Qt.UserRole, match)
            row.setFlags(row.flags() | Qt.ItemIsUserCheckable)
            row.setCheckState(0, Qt.Checked)
            self.list.addTopLevelItem(row)
            self._rows[(match.video, match.second)] = row
        self._fill_labels()
        self.thumbnails.request(
            [(m.video, m.second, self.project.entry(m.video).path) for m in self.matches]
        )

    def _label_of(self, match: Match) -> str:
        human = self.project.human_labels(match.video)
        if match.second in human:
            return f"{human[match.second]} (person)"
        predictions = self.project.predictions(match.video)
        if match.second < len(predictions):
            return str(predictions["label"].iloc[match.second])
        return ""

    def _fill_labels(self) -> None:
        chosen = self.label.currentText() or self.timeline.active_label
        self.label.clear()
        self.label.addItems(self.timeline.classes)
        if chosen in self.timeline.classes:
            self.label.setCurrentText(chosen)

    def _show_thumbnail(self, video: str, second: int, image) -> None:
        row = self._rows.get((video, second))
        if row is not None and image is not None:
            row.setIcon(0, QIcon(QPixmap.fromImage(image)))

    def _go(self, row) -> None:
        match = row.data(0, Qt.UserRole)
        if self.timeline.video != match.video:
            self.open_video(match.video)
        self.timeline.seek(float(match.second))

    # ---- one label for the chosen ------------------------------------------------------------

    def chosen(self) -> list[Match]:
        rows = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [r.data(0, Qt.UserRole) for r in rows if r.checkState(0) == Qt.Checked]

    def assign(self, label: str) -> bool:
        """Label every chosen second `label`: one edit over their videos, undone as one."""
        chosen = self.chosen()
        if not chosen or not label:
            return self._say("Choose seconds in the list and a label first")
        if self.project.read_only:
            return self._say(f"Not saved: {self.project.read_only_reason()}")
        after: dict[str, dict] = {}
        for match in chosen:
            after.setdefault(match.video, {})[match.second] = label
        before = {
            video: {s: self.project.human_labels(video).get(s) for s in seconds}
            for video, seconds in after.items()
        }
        text = f"Label {_seconds_text(len(chosen))} like this one {label} (find similar)"
        changes = self._write(after, before, text, all_or_nothing=True)
        if changes is None:
            return False
        elsewhere = [v for v, c in changes.items() if c.changed_elsewhere]
        if elsewhere:
            return self._say(f"Not saved: {', '.join(elsewhere)} changed in another window")
        stack = self.review.undo_stack()
        if stack is not None:
            stack.push(BulkLabelEdit(self, before, after, text))
        self.review.saved.emit(text)
        self._refresh_labels()
        self.note.setText(f"{text} — saved (Ctrl+Z undoes it)")
        return True

    def swap(self, labels: dict, expected: dict, text: str) -> None:
        """Undo or redo of a bulk edit, against what the store holds now."""
        changes = self._write(labels, expected, text, all_or_nothing=False)
        if changes is not None:
            self.review.saved.emit(text)
            self._refresh_labels()

    def _write(self, labels: dict, expected: dict, text: str, all_or_nothing: bool):
        try:
            changes = self.project.change_labels_of_videos(labels, text, expected, all_or_nothing)
        except AnnotatorError as exc:
            self.review.errorOccurred.emit(f"Edit not saved: {exc}")
            return None
        shown = self.timeline.video
        if shown in labels:
            self.timeline.set_human(self.project.human_labels(shown))
        return changes

    def _refresh_labels(self) -> None:
        for (video, second), row in self._rows.items():
            row.setText(3, self._label_of(Match(video, second, 0.0)))


def install_find_similar(window) -> SimilarPanel:
    """Find similar as a dock beside the review queue (its key, F, is in the window's table)."""
    panel = SimilarPanel(
        window.project,
        window.timeline,
        window.review,
        window.folder_view.select,
        window.annotation.cache_dir,
        window,
    )
    dock = add_right_dock(window, panel, "Find similar", "findSimilarDock")
    queue_dock = getattr(window, "review_queue_dock", None)
    if queue_dock is not None:
        window.tabifyDockWidget(queue_dock, dock)
    window.annotation.videoAnnotated.connect(lambda *_: panel.features_changed())
    window.find_similar, window.find_similar_dock = panel, dock
    return panel
