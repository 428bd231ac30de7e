"""Annotating a folder: the run controller (no widgets) and its panel (buttons and progress).

The controller starts a background run over the chosen videos, records the results in the
project store as they arrive (so a crash mid-run keeps every finished video), and skips videos
already done unless asked to annotate them again. Results that arrive together are stored in
one transaction, by a thread of their own (result_writer: a commit can wait on the disk for
most of a second), and the rows of the stored videos are refreshed every RESULTS_FLUSH_MS.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..ml.bundle import ModelBundle
from .project import ProjectState
from .result_writer import ResultWriter
from .workers import DEFAULT_JOBS, AnnotationJob, AnnotationRun

RESULTS_FLUSH_MS = 100
RESULTS_PER_FLUSH = 16


class AnnotationController(QObject):
    runStarted = Signal(int)  # videos in the run
    videoProgress = Signal(str, float)  # the video being annotated, its fraction done
    overallProgress = Signal(int, int)  # videos finished, videos in the run
    videoAnnotated = Signal(str)  # a video's predictions are in the store
    runFinished = Signal(str)  # a one-line summary
    message = Signal(str)

    def __init__(self, project: ProjectState, cache_dir=None, parent=None):
        super().__init__(parent)
        self.project = project
        self.cache_dir = cache_dir
        self.run: AnnotationRun | None = None
        self._finished = self._failed = 0
        self._started_at = 0.0
        self._tag = ""
        self.jobs = DEFAULT_JOBS  # videos prepared in parallel, as `annotate --jobs`
        self._familiarity: dict = {}  # name -> per-second familiarity, until its videoDone
        self._results: list[tuple] = []  # (name, table, attention, familiarity, warnings)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(RESULTS_FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush_results)
        self.writer: ResultWriter | None = None
        self._stored_timer = QTimer(self)  # picks up what the writer stored, while a run goes
        self._stored_timer.setInterval(RESULTS_FLUSH_MS)
        self._stored_timer.timeout.connect(self._show_stored)

    def is_running(self) -> bool:
        return self.run is not None

    def start(self, names: list[str], bundle: ModelBundle | None, again: bool = False) -> bool:
        """Annotate `names` in the background; False (with a message) when there is nothing to do."""
        if self.run is not None:
            self.message.emit("A run is already going: cancel it first")
            return False
        if bundle is None:
            self.message.emit("No model bundle chosen (none installed?)")
            return False
        if self.project.read_only:
            self.message.emit(f"Cannot annotate: {self.project.read_only_reason()}")
            return False
        todo = self.project.to_annotate(names, again)
        if not todo:
            self.message.emit(
                "Every chosen video is already annotated; tick "
                "'Annotate done videos again' to redo them"
            )
            return False
        jobs = [AnnotationJob(name, self.project.entry(name).path) for name in todo]
        self.run = AnnotationRun(bundle.path, jobs, self.cache_dir, self, parallel=self.jobs)
        self._tag = bundle.tag
        self.run.modelLoaded.connect(lambda tag: self.message.emit(f"Annotating with {tag}"))
        self.run.videoStarted.connect(self.project.mark_running)
        self.run.videoProgress.connect(self.videoProgress)
        self.run.videoFamiliarity.connect(self._on_familiarity)
        self.run.videoDone.connect(self._on_done)
        self.run.videoFailed.connect(self._on_failed)
        self.run.runFailed.connect(lambda reason: self.message.emit(f"Cannot annotate: {reason}"))
        self.run.finished.connect(self._on_finished)
        self._finished = self._failed = 0
        self._started_at = time.monotonic()
        self.writer = ResultWriter(self.project.store)
        self._stored_timer.start()
        self.runStarted.emit(len(jobs))
        self.overallProgress.emit(0, len(jobs))
        self.message.emit(f"Loading {bundle.tag} to annotate {len(jobs)} video(s)…")
        self.run.start()
        return True

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()
            self.message.emit("Cancelling after the current second…")

    def wait(self, milliseconds: int = 60_000) -> bool:
        """Block until the run's thread ends (closing the window, tests)."""
        return self.run is None or self.run.wait(milliseconds)

    def _step(self) -> None:
        self._finished += 1
        self.overallProgress.emit(self._finished, self.run.total if self.run else self._finished)

    def _on_familiarity(self, name: str, familiarity) -> None:
        self._familiarity[name] = familiarity

    def _on_done(self, name: str, table, attention, warnings: list) -> None:
        familiarity = self._familiarity.pop(name, None)
        self._results.append((name, table, attention, familiarity, warnings))
        if not self._flush_timer.isActive():
            self._flush_timer.start(RESULTS_FLUSH_MS)

    def flush_results(self, everything: bool = False) -> None:
        """Store the results that arrived since the last flush, RESULTS_PER_FLUSH at a time
        in one transaction each (the rest on the next turn of the event loop)."""
        while self._results:
            self._store_results()
            if not everything:
                break
        if self._results:
            self._flush_timer.start(0)

    def _store_results(self) -> None:
        results = self._results[:RESULTS_PER_FLUSH]
        self._results = self._results[RESULTS_PER_FLUSH:]
        self.writer.submit([r[:4] for r in results])
        for *_result, warnings in results:
            for warning in warnings:
                self.message.emit(warning)

    def _show_stored(self) -> None:
        """The videos the writer has stored since the last look: their rows, the count."""
        for names, revision, error in self.writer.stored() if self.writer else []:
            if error:  # a full disk, a store taken away: say so, keep going
                shown = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
                self.message.emit(f"{shown}: predictions not saved ({error})")
            else:
                self.project.stored_elsewhere(names, revision)
            for name in names:
                self._finished += 1
                self.videoAnnotated.emit(name)
            self.overallProgress.emit(self._finished, self.run.total if self.run else 0)

    def _on_failed(self, name: str, reason: str) -> None:
        # The video keeps the predictions of an earlier run, if any; the reason names the model
        # that failed, so the list and the timeline can tell the two apart.
        self.project.record_failure(name, f"{self._tag} could not annotate it: {reason}")
        self._failed += 1
        self._step()

    def _on_finished(self, cancelled: bool) -> None:
        self._flush_timer.stop()
        self.flush_results(everything=True)
        self.writer.close()  # everything submitted is stored
        self._show_stored()
        self._stored_timer.stop()
        self.writer = None
        total = self.run.total
        for name, entry in self.project.entries.items():
            if entry.status == "running":
                self.project.mark_pending(name)
        self.run.deleteLater()
        self.run = None
        seconds = time.monotonic() - self._started_at
        done = self._finished - self._failed
        summary = (
            f"{'Cancelled: ' if cancelled else ''}annotated {done} of {total} video(s)"
            f" in {seconds:.0f} s"
            + (f", {self._failed} failed (reasons in the list)" if self._failed else "")
        )
        self.runFinished.emit(summary)


class AnnotationPanel(QWidget):
    """Annotate all / selected, cancel, the 'again' choice, and per-video and overall progress."""

    annotateAllClicked = Signal(bool)  # again?
    annotateSelectedClicked = Signal(bool)

    def __init__(self, controller: AnnotationController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.all_button = QPushButton("Annotate all")
        self.selected_button = QPushButton("Annotate selected")
        self.cancel_button = QPushButton("Cancel")
        self.again = QCheckBox("Annotate done videos again")
        self.video_label = QLabel("")
        self.video_progress = QProgressBar()
        self.overall_progress = QProgressBar()
        self.overall_progress.setFormat("%v of %m videos")
        self.overall_progress.setVisible(False)
        buttons = QHBoxLayout()
        for button in (self.all_button, self.selected_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.again)
        layout.addWidget(self.video_label)
        layout.addWidget(self.video_progress)
        layout.addWidget(self.overall_progress)
        self.all_button.clicked.connect(
            lambda: self.annotateAllClicked.emit(self.again.isChecked())
        )
        self.selected_button.clicked.connect(
            lambda: self.annotateSelectedClicked.emit(self.again.isChecked())
        )
        self.cancel_button.clicked.connect(controller.cancel)
        controller.runStarted.connect(self._on_started)
        controller.videoProgress.connect(self._on_video_progress)
        controller.overallProgress.connect(self._on_overall)
        controller.runFinished.connect(self._on_finished)
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.all_button.setEnabled(not running)
        self.selected_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.video_progress.setVisible(running)
        if running:
            self.overall_progress.setVisible(True)

    def _on_started(self, total: int) -> None:
        self._set_running(True)
        self.overall_progress.setRange(0, total)
        self.overall_progress.setValue(0)
        self.video_label.setText("Loading the model…")

    def _on_video_progress(self, name: str, fraction: float) -> None:
        self.video_label.setText(name)
        self.video_progress.setValue(int(fraction * 100))

    def _on_overall(self, done: int, total: int) -> None:
        self.overall_progress.setRange(0, total)
        self.overall_progress.setValue(done)

    def _on_finished(self, summary: str) -> None:
        self._set_running(False)
        self.video_label.setText(summary)
