"""The main window: the folder (videos, model, annotation run) beside the player and timeline.

It composes the state objects and views and routes between them; the work itself lives in the
review actions, the annotation controller, the workers and export_csv.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import AnnotatorError
from . import refcount_guard
from .annotation_panel import AnnotationController, AnnotationPanel
from .bundle_panel import BundlePanel
from .edits import ReviewActions
from ..core.project_preferences import read_preference, write_preference
from .export import (
    CSV_FORMAT,
    EXPORT_KEY,
    ExportDialog,
    export_csv,
    export_videos,
    interchange_formats,
)
from .folder_view import FolderView
from .interchange import export_for_window, install_interchange_actions
from .label_palette import LabelPalette
from .learning import LearningActions
from .player import PlayerView
from .project import ProjectState
from .settings import AppSettings
from .shortcuts import ShortcutsDialog
from .timeline.state import TimelineState
from .review_queue import install_review_queue
from .review_status import ReviewStatus, predictions_line
from .second_readout import TimelineNotes
from .similar_panel import install_find_similar
from .timeline.view import TimelineView
from .window_actions import build_actions, set_editing_enabled
from .window_fit import first_size, available_area, fit_to_screen, folder_panel_width
from .timeline.preview_task import PreviewLoader
from .workers import BackgroundTasks, ProbeTask, TaskSignals

log = logging.getLogger(__name__)


def _boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(widget)
    return box


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, cache_dir=None):
        refcount_guard.install()  # before the first of many signals (see its docstring)
        super().__init__()
        self.setWindowTitle("AV Annotator")
        self.settings = settings or AppSettings()
        self.project = ProjectState(self)
        self.timeline = TimelineState(self)
        self.review = ReviewActions(
            self.project, self.timeline, self, open_video=lambda name: self.folder_view.select(name)
        )
        self.annotation = AnnotationController(self.project, cache_dir, self)
        self._probe_signals = TaskSignals(self)
        # The shown video's pictures and sound, from its tile pyramid (built once, then cached).
        self.preview_loader = PreviewLoader(self.timeline, cache_dir, self)
        self.tasks = BackgroundTasks()
        self._message_box: QMessageBox | None = None
        self._build_widgets()
        self.learning = LearningActions(self, cache_dir)
        self.actions: dict[str, QAction] = build_actions(self)
        install_interchange_actions(self)  # File → Import labels…
        install_review_queue(self)  # the library's review queue and find similar: docks
        install_find_similar(self)
        self._connect()
        self._restore_settings()
        self.bundle_panel.reload(self.settings.value("bundle"))

    # ---- layout ------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.folder_view = FolderView(self.project)
        self.bundle_panel = BundlePanel()
        self.annotation_panel = AnnotationPanel(self.annotation)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(_boxed("Videos", self.folder_view), 1)
        side_layout.addWidget(_boxed("Model for the next run", self.bundle_panel))
        side_layout.addWidget(_boxed("Annotate", self.annotation_panel))
        self.folder_dock = QDockWidget("Folder", self)
        self.folder_dock.setObjectName("folderDock")
        self.folder_dock.setWidget(side)
        self.folder_dock.setFeatures(
            QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
        )
        self.addDockWidget(Qt.LeftDockWidgetArea, self.folder_dock)
        self.resizeDocks([self.folder_dock], [460], Qt.Horizontal)

        self.player = PlayerView(self.timeline)
        self.timeline_view = TimelineView(self.timeline)
        self.palette = LabelPalette(self.timeline)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(self.timeline.threshold)
        self.threshold.setToolTip(
            "Predictions below this confidence are faint and count as "
            "doubtful (N jumps to the next one)"
        )
        self.predicted_by = QLabel("")
        # A long line is cut at the window's edge rather than widening the window; the tooltip
        # carries it whole.
        self.predicted_by.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        review_bar = QHBoxLayout()
        review_bar.addWidget(QLabel("Confidence threshold"))
        review_bar.addWidget(self.threshold)
        review_bar.addSpacing(12)
        review_bar.addWidget(self.predicted_by, 1)
        self.timeline_notes = TimelineNotes(self.timeline, self.timeline_view.canvas, self)
        timeline_panel = QWidget()
        timeline_layout = QVBoxLayout(timeline_panel)
        timeline_layout.setContentsMargins(4, 2, 4, 2)
        self.review_status = ReviewStatus(self.statusBar(), self.player.sound_notice)
        timeline_layout.addWidget(self.review_status.read_only_notice)
        timeline_layout.addLayout(review_bar)
        timeline_layout.addWidget(self.timeline_notes.warning)
        timeline_layout.addWidget(self.palette)
        timeline_layout.addWidget(self.timeline_notes.readout)
        timeline_layout.addWidget(self.timeline_view, 1)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.setObjectName("playerTimelineSplitter")
        self.splitter.addWidget(self.player)
        self.splitter.addWidget(timeline_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)  # the timeline keeps its height; the picture grows
        self.setCentralWidget(self.splitter)
        self.statusBar().showMessage("Open a folder of videos (Ctrl+O)")

    def _connect(self) -> None:
        self.folder_view.videoSelected.connect(self.show_video)
        self.bundle_panel.bundleChanged.connect(self._on_bundle)
        self.annotation_panel.annotateAllClicked.connect(self.annotate_all)
        self.annotation_panel.annotateSelectedClicked.connect(self.annotate_selected)
        self.annotation.videoAnnotated.connect(self._on_video_annotated)
        self.annotation.videoProgress.connect(self.folder_view.model.set_progress)
        self.annotation.runFinished.connect(self.status)
        self.annotation.message.connect(self.status)
        self.review.message.connect(self.status)
        self.review.errorOccurred.connect(self.show_error)
        self.learning.message.connect(self.status)
        self.player.message.connect(self.status)
        self.review.saved.connect(self.review_status.show_saved)
        self.review.errorOccurred.connect(self.review_status.show_not_saved)
        self.review.readOnlyRefused.connect(self.review_status.show_refused)
        self.project.writerChanged.connect(self._on_writer)
        self.project.storeChanged.connect(self._on_store_changed)
        self.timeline_view.canvas.rangePainted.connect(self.review.paint)
        self.timeline_view.canvas.edgeMoved.connect(self.review.resize_segment)
        self.threshold.valueChanged.connect(self.timeline.set_threshold)
        self.timeline.thresholdChanged.connect(self._show_threshold)
        self.preview_loader.failed.connect(
            lambda name, reason: self.status(f"{name}: cannot show pictures or sound ({reason})")
        )
        self._probe_signals.done.connect(self.project.record_duration)
        self.project.videoUpdated.connect(self._on_video_updated)
        self._probe_signals.failed.connect(self.project.record_failure)
        if self.player.sound_notice:  # said once here; the status bar keeps a short mark
            self.status(self.player.sound_notice)

    # ---- messages ----------------------------------------------------------------------------

    def status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    def show_error(self, text: str) -> None:
        """Say what went wrong in the status bar and in a window that does not block."""
        log.warning(text)
        self.status(text)
        self._message_box = QMessageBox(
            QMessageBox.Warning, "AV Annotator", text, QMessageBox.Ok, self
        )
        self._message_box.open()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "AV Annotator",
            "Labels every second of local videos from "
            "sound and picture together.<br>Edits are saved as you make them in "
            f"<code>{self.project.store.path if self.project.store else '…'}</code>",
        )

    # ---- folder and videos -------------------------------------------------------------------

    def ask_open_folder(self) -> None:
        start = str(self.project.folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of videos", start)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder, annotate: bool = False) -> bool:
        """Open a folder (its store is created or reopened); optionally annotate what is pending."""
        self._cancel_tasks()
        if self.annotation.is_running():
            self.annotation.cancel()
            self.annotation.wait()
        try:
            self.project.open_folder(folder)
        except AnnotatorError as exc:
            self.settings.forget_folder(str(folder))
            self._refresh_recent()
            self.show_error(f"Cannot open {folder}: {exc}")
            return False
        self.settings.remember_folder(self.project.folder)
        self._refresh_recent()
        self.learning.folder_opened()
        self.timeline.show_video(None, 0.0, None, None, {})
        self.player.set_source(None)
        videos = self.project.names()
        self.status(
            f"{len(videos)} video(s) in {self.project.folder}; edits are saved in "
            f"{self.project.store.path}"
            if videos
            else f"No videos in {self.project.folder}"
        )
        self._on_writer(self.project.read_only_reason(), quiet=not self.project.read_only)
        unprobed = [(e.name, e.path) for e in self.project.unprobed()]
        if unprobed:
            self.tasks.start(ProbeTask(unprobed, self._probe_signals))
        if videos:
            self.folder_view.select(videos[0])
        if annotate and self.project.to_annotate(videos, again=False):
            self.annotate_all()
        return True

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for folder in self.settings.recent_folders():
            self.recent_menu.addAction(folder, lambda f=folder: self.open_folder(f))
        self.recent_menu.setEnabled(not self.recent_menu.isEmpty())

    def show_video(self, name: str) -> None:
        """Put a video on the timeline and in the player; its pictures and sound load behind.
        A video a model could not annotate stays viewable and playable; only a file that could
        not be read at all (failed, duration unknown) is not loaded."""
        entry = self.project.entry(name)
        data = self.project.video_data(name)
        self.timeline.show_video(**data)
        unreadable = entry.status == "failed" and entry.duration is None
        self.player.set_source(None if unreadable else entry.path)
        self.preview_loader.cancel()
        if entry.status == "failed":  # (the unfamiliar-data warning is above the timeline)
            self.status(f"{name}: {entry.reason}")
        if not unreadable:
            self.preview_loader.load(name, entry.path)
        self._show_predicted_by()

    def _show_predicted_by(self) -> None:
        name = self.timeline.video
        entry = self.project.entry(name) if name in self.project.entries else None
        chosen = self.bundle_panel.current()
        line = predictions_line(entry, self.timeline.predictions, chosen.tag if chosen else "")
        self.predicted_by.setText(line)
        self.predicted_by.setToolTip(line or "The model whose predictions the timeline shows")

    def _on_writer(self, reason: str, quiet: bool = False) -> None:
        """This window became the folder's editor, or read-only: say so where it shows."""
        self.review_status.show_writer(reason)
        set_editing_enabled(self, not reason)
        title = f"AV Annotator — {self.project.folder}" if self.project.folder else "AV Annotator"
        self.setWindowTitle(title + (" (read-only)" if reason else ""))
        if not quiet and self.project.folder:
            self.status(reason or f"This window edits {self.project.folder} now")

    def _on_store_changed(self) -> None:
        """Another window or process wrote: show the shown video as the store has it now."""
        name = self.timeline.video
        if name is None or name not in self.project.entries:
            return
        human = self.project.human_labels(name)
        if human != self.timeline.human:
            self.timeline.set_human(human)
        predictions = self.project.predictions(name)
        shown = self.timeline.predictions
        if (shown is None) != predictions.empty or (
            shown is not None
            and not shown.reset_index(drop=True).equals(predictions.reset_index(drop=True))
        ):
            self._on_video_annotated(name)
        self._show_predicted_by()

    def _on_video_annotated(self, name: str) -> None:
        if name == self.timeline.video:
            # A model's class the project does not list keeps the model's own name and a colour
            # of its own on the Predicted lane; the palette stays the project's.
            predictions = self.project.predictions(name)
            if len(predictions):
                self.timeline.set_duration(float(predictions["end"].iloc[-1]))
            self.timeline.set_predictions(
                predictions,
                self.project.attention(name),
                familiarity=self.project.familiarity(name),
            )
            self._show_predicted_by()

    def _on_video_updated(self, name: str) -> None:
        """A probe or a run found the shown video's duration or status: the timeline takes it."""
        entry = self.project.entry(name)
        if name == self.timeline.video:
            if entry.duration:
                self.timeline.set_duration(entry.duration)
            self._show_predicted_by()

    def _on_bundle(self, bundle) -> None:
        if bundle is None:
            return
        self.settings.set_value("bundle", bundle.name)
        if self.project.store is None:  # with a folder open, the palette is the project's
            self.timeline.set_classes(bundle.classes)
            self.palette.rebuild()
        if self.timeline.video is not None:
            self._show_predicted_by()

    def _show_threshold(self, value: float) -> None:
        self.threshold.blockSignals(True)
        self.threshold.setValue(value)
        self.threshold.blockSignals(False)

    # ---- annotate and export -----------------------------------------------------------------

    def annotate_all(self, again: bool = False) -> bool:
        return self.annotation.start(self.project.names(), self.bundle_panel.current(), again)

    def annotate_selected(self, again: bool = False) -> bool:
        names = self.folder_view.selected_names()
        if not names:
            self.status("Select videos in the list first")
            return False
        return self.annotation.start(names, self.bundle_panel.current(), again)

    def ask_export(self) -> None:
        if self.project.store is None:
            self.status("Open a folder first")
            return
        dialog = ExportDialog(
            self.project.folder,
            self.timeline.video is not None,
            len(self.folder_view.selected_names()),
            self,
            formats=interchange_formats(),
            videos=export_videos(self),
            remembered=read_preference(self.project.store, EXPORT_KEY),
        )
        self.export_dialog = dialog  # (tests answer it)
        if dialog.exec():
            choice = dialog.choice()
            write_preference(self.project.store, EXPORT_KEY, choice.remembered())
            if choice.format == CSV_FORMAT:
                self.export(choice.scope, choice.path, choice.segments)
            else:
                self.export_in_format(
                    choice.scope, choice.format, choice.path, choice.literal_labels
                )

    def export_names(self, scope: str) -> list[str]:
        return {
            "current": [self.timeline.video] if self.timeline.video else [],
            "selected": self.folder_view.selected_names(),
            "all": self.project.names(),
        }[scope]

    def export_in_format(self, scope: str, fmt: str, out: Path, literal_labels=False) -> bool:
        """Another label format (core.formats), written by the interchange module's exporter."""
        try:
            result = export_for_window(self, scope, fmt, out, literal_labels)
        except AnnotatorError as exc:
            self.show_error(f"Export failed: {exc}")
            return False
        self.status(result.summary())
        return True

    def export(self, scope: str, per_second: Path, segments: Path | None = None) -> bool:
        names = self.export_names(scope)
        try:
            result = export_csv(self.project, names, per_second, segments)
        except AnnotatorError as exc:
            self.show_error(f"Export failed: {exc}")
            return False
        self.status(result.summary())
        return True

    # ---- settings and closing ----------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        fit_to_screen(self)  # now that the window manager's frame is known
        if not getattr(self, "_splitter_restored", True):
            self._splitter_restored = True
            QTimer.singleShot(0, self._give_the_timeline_its_height)  # after the first layout

    def _give_the_timeline_its_height(self) -> None:
        """First start: every lane on screen where the window has the room, the picture gets the
        rest (the splitter alone would share the height by the two sides' hints)."""
        player, timeline = self.splitter.sizes()
        area = self.timeline_view.lanes_area
        hidden = self.timeline_view.canvas.height() - area.viewport().height()
        if hidden > 0:  # the lanes' shortfall, once the palette has wrapped at this width
            # ...but the picture keeps a third of the height; the lowest lanes scroll instead
            keep = max(self.player.minimumSizeHint().height(), (player + timeline) // 3)
            moved = min(hidden + 2, player - keep)
            self.splitter.setSizes([player - max(0, moved), timeline + max(0, moved)])

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(first_size(available_area(self)))
            self.resizeDocks([self.folder_dock], [folder_panel_width(self.width())], Qt.Horizontal)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        fit_to_screen(self)  # a size remembered from a larger screen is brought onto this one
        splitter = self.settings.value("splitter")
        self._splitter_restored = isinstance(splitter, QByteArray) and not splitter.isEmpty()
        if self._splitter_restored:
            self.splitter.restoreState(splitter)
        self.timeline.set_threshold(self.settings.value("threshold", 0.5, float))
        self.timeline.set_audio_view(
            self.settings.value("audio_view", "waveform", str)
            if self.settings.value("audio_view") in ("waveform", "spectrogram")
            else "waveform"
        )
        self._refresh_recent()

    def save_settings(self) -> None:
        self.settings.set_value("geometry", self.saveGeometry())
        self.settings.set_value("window_state", self.saveState())
        self.settings.set_value("splitter", self.splitter.saveState())
        self.settings.set_value("threshold", self.timeline.threshold)
        self.settings.set_value("audio_view", self.timeline.audio_view)

    def _cancel_tasks(self) -> None:
        self.tasks.cancel_all()
        self.preview_loader.cancel()

    def closeEvent(self, event) -> None:
        self.save_settings()
        self.learning.stop_training()  # a run still going stops: nothing half-written
        self.player.stop()
        self.annotation.cancel()
        self.annotation.wait()
        self._cancel_tasks()
        self.tasks.wait()
        self.project.close()
        super().closeEvent(event)
