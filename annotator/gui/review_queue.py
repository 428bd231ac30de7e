"""The review queue panel: the most doubtful unreviewed seconds of every video in the folder, one
key each to accept or correct them, and how far the review has come.

The queue itself is core.review_queue's (the same order as `review`); this panel only shows it
and acts on it. Choosing a row opens its video with the cursor (and the player) on its second.
`A` accepts the model's label, `1`–`9` give class 1–9 of the palette, `0` background, `N` or
Down skips; each label is one undoable edit through the review actions, after which the queue is
rebuilt from the store (progress, the estimated accuracy of the rest) and the next most doubtful
second is shown. Edits made elsewhere (the timeline, another window) and new predictions (an
annotation run, a retrained model) rebuild it too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.conventions import BACKGROUND
from ..core.review_queue import LibraryQueue, QueueItem, ReviewQueue
from ..ml.calibration import level_sd_of_bundles
from .second_thumbnails import HEIGHT, WIDTH, SecondThumbnails

SHOWN_ROWS = 200  # the queue is longer; the list shows its head
THUMBNAILS_AHEAD = 24
COLUMNS = ["Video", "Time", "Label", "Confidence", "Why"]
DIGITS = {getattr(Qt, f"Key_{n}"): n for n in range(10)}
KEYS_HINT = "A accept · 1–9 class · 0 background · N skip · Ctrl+Z undo"


def class_for_number(classes: list[str], number: int) -> str | None:
    """The palette's numbering: 1..9 the event classes in order, 0 background."""
    events = [c for c in classes if c != BACKGROUND]
    if number == 0:
        return BACKGROUND
    return events[number - 1] if number - 1 < len(events) else None


class QueueList(QTreeWidget):
    """The rows; it takes A, N and the digits from the window's shortcuts while it has focus."""

    keyed = Signal(str)  # "accept", "skip" or a digit

    def event(self, event) -> bool:
        if event.type() == QEvent.ShortcutOverride and self._command(event) is not None:
            event.accept()  # delivered here as a key press, not to the window's action
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        command = self._command(event)
        if command is None:
            super().keyPressEvent(event)
        else:
            self.keyed.emit(command)

    @staticmethod
    def _command(event) -> str | None:
        if event.modifiers() & ~Qt.KeypadModifier:
            return None
        if event.key() == Qt.Key_A:
            return "accept"
        if event.key() == Qt.Key_N:
            return "skip"
        number = DIGITS.get(event.key())
        return None if number is None else str(number)


class ReviewQueuePanel(QWidget):
    """Shows the library's queue; `accept`, `correct` and `skip` act on the current row."""

    queueChanged = Signal()

    def __init__(
        self, project, timeline, review, open_video, annotation=None, parent=None, bundles=None
    ):
        super().__init__(parent)
        self.project, self.timeline, self.review = project, timeline, review
        self.open_video = open_video
        # bundles() -> the bundles known to the window: the estimate's interval holds the level
        # uncertainty of those that made the predictions (ml.calibration.level_sd).
        self.bundles = bundles or (lambda: [])
        self.queue: ReviewQueue | None = None
        self._skipped: list[tuple[str, int]] = []
        self._rows: dict[tuple[str, int], QTreeWidgetItem] = {}
        self.dock: QDockWidget | None = None
        self.thumbnails = SecondThumbnails(self)
        self.thumbnails.ready.connect(self._show_thumbnail)
        self._build()
        self.library: LibraryQueue | None = None
        self._stale: set[str] | None = set()  # videos to read again; None: all of them
        self._later = QTimer(self, singleShot=True, interval=150)
        self._later.timeout.connect(self.refresh)
        project.labelsChanged.connect(self._video_changed)
        project.videosChanged.connect(self._all_changed)
        project.storeChanged.connect(self._all_changed)
        if annotation is not None:  # an annotation run or a retrained model: new confidences
            annotation.videoAnnotated.connect(self._video_changed)

    def _video_changed(self, name: str) -> None:
        if self._stale is not None:
            self._stale.add(name)
        self._later.start()

    def _all_changed(self, *_args) -> None:
        self._stale = None
        self._later.start()

    def reload(self) -> None:
        """Read every video again (another folder, another window's writes)."""
        self._stale = None
        self.refresh()

    def _build(self) -> None:
        self.progress = QLabel("Open a folder and annotate it to review it here")
        self.progress.setWordWrap(True)
        self.estimate = QLabel("")
        self.estimate.setWordWrap(True)
        self.list = QueueList()
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels(COLUMNS)
        self.list.setRootIsDecorated(False)
        self.list.setIconSize(QSize(WIDTH, HEIGHT))
        self.list.setUniformRowHeights(True)
        self.list.currentItemChanged.connect(lambda item, _old: self._follow(item))
        self.list.keyed.connect(self._on_key)
        self.accept_button = QPushButton("Accept (A)")
        self.accept_button.clicked.connect(self.accept)
        self.skip_button = QPushButton("Skip (N)")
        self.skip_button.clicked.connect(self.skip)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.progress)
        layout.addWidget(self.estimate)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel(KEYS_HINT))

    # ---- the queue ---------------------------------------------------------------------------

    def ordered(self) -> list[QueueItem]:
        """The queue's items, the ones skipped in this session moved to the end."""
        if self.queue is None:
            return []
        skipped = set(self._skipped)
        items = [i for i in self.queue.items if (i.video, i.second) not in skipped]
        rank = {key: n for n, key in enumerate(self._skipped)}
        later = [i for i in self.queue.items if (i.video, i.second) in skipped]
        return items + sorted(later, key=lambda i: rank[(i.video, i.second)])

    def refresh(self, select_first: bool = False) -> None:
        """Rebuild the queue from the store; keep the current row if it is still queued."""
        self._later.stop()
        if not self.isVisible():  # a closed panel reads nothing; showEvent catches up
            return
        current = self.current()
        self.queue = self._read()
        self._show_summary()
        self.list.blockSignals(True)
        self.list.clear()
        self._rows = {}
        for item in self.ordered()[:SHOWN_ROWS]:
            self._rows[(item.video, item.second)] = self._row(item)
        self.list.blockSignals(False)
        keep = None if select_first or current is None else (current.video, current.second)
        target = self._rows.get(keep) if keep else None
        if target is None and select_first and self.list.topLevelItemCount():
            target = self.list.topLevelItem(0)
        if target is not None:
            self.list.blockSignals(True)
            self.list.setCurrentItem(target)
            self.list.blockSignals(False)
        self._ask_thumbnails()
        self.queueChanged.emit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.library is None or self._stale != set():
            self._later.start()

    def level_of(self, tags) -> float:
        return level_sd_of_bundles(tags, self.bundles())

    def _read(self) -> ReviewQueue | None:
        """The queue, reading again only the videos changed since the last time."""
        store = self.project.store
        if store is None:
            self.library = None
            return None
        if self.library is None or self.library.store is not store or self._stale is None:
            self.library = LibraryQueue(store, self.level_of)
            queue = self.library.reload()
        else:
            queue = self.library.update(sorted(self._stale))
        self._stale = set()
        return queue

    def _row(self, item: QueueItem) -> QTreeWidgetItem:
        row = QTreeWidgetItem(
            [
                item.video,
                f"{item.second} s",
                item.label,
                f"{item.confidence:.2f}",
                item.reason,
            ]
        )
        row.setData(0, Qt.UserRole, item)
        row.setToolTip(4, item.reason)
        image = self.thumbnails.cached(item.video, item.second)
        if image is not None:
            row.setIcon(0, QIcon(QPixmap.fromImage(image)))
        self.list.addTopLevelItem(row)
        return row

    def _show_summary(self) -> None:
        queue = self.queue
        if queue is None or not queue.total_seconds:
            self.progress.setText("Nothing to review yet: annotate the folder first")
            self.estimate.setText("")
            return
        waiting = f"; {len(queue.unannotated)} video(s) not annotated" if queue.unannotated else ""
        self.progress.setText(queue.progress() + waiting)
        self.estimate.setText(queue.estimate.describe().capitalize())

    def _ask_thumbnails(self) -> None:
        wanted = []
        for item in self.ordered()[:THUMBNAILS_AHEAD]:
            if item.video in self.project.entries:
                wanted.append((item.video, item.second, self.project.entry(item.video).path))
        self.thumbnails.request(wanted)

    def _show_thumbnail(self, video: str, second: int, image) -> None:
        row = self._rows.get((video, second))
        if row is not None and image is not None:
            row.setIcon(0, QIcon(QPixmap.fromImage(image)))

    # ---- acting on the current row -----------------------------------------------------------

    def current(self) -> QueueItem | None:
        row = self.list.currentItem()
        return None if row is None else row.data(0, Qt.UserRole)

    def select(self, index: int) -> bool:
        """Make row `index` current: its video opens with the cursor on its second."""
        row = self.list.topLevelItem(index)
        if row is None:
            return False
        self.list.setCurrentItem(row)  # _follow moves the cursor
        return True

    def _follow(self, row) -> None:
        item = None if row is None else row.data(0, Qt.UserRole)
        if item is None:
            return
        if self.timeline.video != item.video:
            self.open_video(item.video)
        self.timeline.set_selection(None)
        self.timeline.seek(float(item.second))

    def _on_key(self, command: str) -> None:
        if command == "accept":
            self.accept()
        elif command == "skip":
            self.skip()
        else:
            self.correct(int(command))

    def accept(self) -> bool:
        """The model's label of the current row is right: label it so, and on to the next."""
        item = self.current()
        return item is not None and self._label(item, item.label, "Accept")

    def correct(self, number: int) -> bool:
        """Give the current row class `number` (the palette's numbering), and on to the next."""
        item = self.current()
        if item is None:
            return False
        label = class_for_number(self.timeline.classes, number)
        if label is None:
            self.review.message.emit(f"No class has the number {number}")
            return False
        return self._label(item, label, "Correct")

    def skip(self) -> bool:
        """Leave the current row for later (to the end of the list) and show the next one."""
        item = self.current()
        if item is None:
            return False
        index = self.list.indexOfTopLevelItem(self.list.currentItem())
        self._skipped.append((item.video, item.second))
        return self.select(index + 1) or self.select(0)

    def _label(self, item: QueueItem, label: str, verb: str) -> bool:
        self._follow(self._rows.get((item.video, item.second)))
        done = self.review.apply(
            {item.second: label}, f"{verb} {item.video} {item.second} s as {label} (review queue)"
        )
        if done:
            self._video_changed(item.video)  # labelsChanged says so too; read it now
            self.refresh(select_first=True)
            self._follow(self.list.currentItem())
        return done

    def focus(self) -> None:
        if self.queue is None:
            self.refresh(select_first=True)
        self.list.setFocus()

    def show_and_focus(self) -> None:
        """The key (Q): bring the queue forward, its most doubtful second shown, keys to it."""
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        self.refresh(select_first=self.current() is None)
        self._follow(self.list.currentItem())
        self.list.setFocus()


def install_review_queue(window) -> ReviewQueuePanel:
    """The review queue as a dock on the right of the main window (View → Review queue)."""
    panel = ReviewQueuePanel(
        window.project,
        window.timeline,
        window.review,
        window.folder_view.select,
        window.annotation,
        window,
        lambda: window.bundle_panel.bundles,
    )
    dock = add_right_dock(window, panel, "Review queue", "reviewQueueDock")
    window.review_queue, window.review_queue_dock = panel, dock
    window.project.folderOpened.connect(lambda *_: panel.reload())
    return panel


def add_right_dock(window, panel, title: str, object_name: str) -> QDockWidget:
    """`panel` in a dock on the right of the main window, closed, with its View menu entry;
    the panel keeps its dock (`panel.dock`) to open it when its key is pressed."""
    dock = QDockWidget(title, window)
    dock.setObjectName(object_name)
    dock.setWidget(panel)
    window.addDockWidget(Qt.RightDockWidgetArea, dock)
    panel.dock = dock
    add_to_view_menu(window, dock, title)
    return dock


def add_to_view_menu(window, dock: QDockWidget, text: str) -> None:
    """A dock's show/hide entry at the end of the window's View menu. The dock starts closed
    (its key or the menu opens it), so a laptop's screen keeps the timeline's width."""
    dock.hide()
    action = dock.toggleViewAction()
    action.setText(text)
    for entry in window.menuBar().actions():
        if entry.menu() is not None and entry.text().replace("&", "") == "View":
            entry.menu().addAction(action)
