"""Train on my labels: the dialog that trains a model on the project's human labels.

It says what the labels hold (seconds per class) and what is missing before anything starts,
lets the user pick a model type and a name, runs the training in a child process with its
progress (epoch, loss, held-out accuracy, time left) and a Cancel, shows the held-out result
per class and as a confusion table, and offers to re-annotate the videos nobody reviewed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ..core.conventions import BACKGROUND
from ..core.project_labels import load_project_labels
from ..ml.bundle import models_dir, out_of_fold_text
from ..ml.model_types import OWN_LABELS_DEFAULT, model_type, model_type_names
from ..ml.out_of_fold import calibration_time_note
from ..ml.training_data import label_problems, labelled_counts
from .project import ProjectState
from .training_run import TrainingRun

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,63}$")
DEFAULT_EPOCHS = 40


def project_models_dir(project: ProjectState) -> Path:
    """Where the project's own bundles go: beside its store, so they travel with it."""
    return project.store.path.parent / "models"


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


class TrainDialog(QDialog):
    """Closing it (Close, Esc, the title bar) while a run goes on asks whether to keep training
    in the background or stop it; neither waits for the child process, so the window never
    freezes. A run kept in the background reports through `progressChanged` and `runEnded`."""

    trained = Signal(str)  # the new bundle's folder
    reannotateRequested = Signal(str)  # the bundle to re-annotate the unreviewed videos with
    progressChanged = Signal(str, int, int)  # the status line, done, total (0, 0: unknown)
    runEnded = Signal(str)  # the run is over: what became of it, in one line
    backgrounded = Signal()  # hidden while its run goes on

    def __init__(self, project: ProjectState, cache_dir=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Train on my labels")
        self.project, self.cache_dir = project, cache_dir
        self.run: TrainingRun | None = None
        self.bundle_path: str | None = None
        self.label_problems: list[str] = []
        self._blocked = True
        self.leave_question: QMessageBox | None = None
        self.summary, self.problems = QLabel(), QLabel()
        self.problems.setStyleSheet("color: #b00020")
        for label in (self.summary, self.problems):
            label.setWordWrap(True)
        self.architecture = QComboBox()
        for name in model_type_names():
            self.architecture.addItem(name)
            self.architecture.setItemData(
                self.architecture.count() - 1, model_type(name).description, 3
            )  # tool tip
        self.architecture.setCurrentText(OWN_LABELS_DEFAULT)
        self.name = QLineEdit(self._free_name())
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(DEFAULT_EPOCHS)
        self.epochs.setToolTip(
            "At most; with 10 or more held-out videos training stops earlier when they stop "
            "improving"
        )
        form = QFormLayout()
        form.addRow("Model type", self.architecture)
        form.addRow("Name", self.name)
        form.addRow("Epochs (at most)", self.epochs)
        # What calibration adds to the time: it trains fold models (ml/out_of_fold.py).
        self.calibration_note = QLabel("")
        self.calibration_note.setWordWrap(True)
        self.train_button, self.cancel_button = QPushButton("Train"), QPushButton("Cancel training")
        self.reannotate_button, self.close_button = QPushButton(), QPushButton("Close")
        self.progress, self.status = QProgressBar(), QLabel("")
        self.status.setWordWrap(True)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.per_class, self.confusion = QTableWidget(), QTableWidget()
        buttons = QHBoxLayout()
        for button in (
            self.train_button,
            self.cancel_button,
            self.reannotate_button,
            self.close_button,
        ):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.problems):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.calibration_note)
        for widget in (self.progress, self.status, self.result, self.per_class, self.confusion):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.train_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self.reannotate_button.clicked.connect(self._reannotate)
        self.name.textChanged.connect(self._check)
        self._set_running(False)
        for widget in (self.per_class, self.confusion, self.reannotate_button, self.progress):
            widget.setVisible(False)
        self.refresh()
        self.resize(620, 560)

    # ---- before training ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the project's labels again and say what they hold and what is missing."""
        labelled = load_project_labels(self.project.store.path)
        counts = labelled_counts(labelled.videos)
        videos = sum(1 for v in labelled.videos if v.labelled_seconds())
        parts = [
            f"{html.escape(name)} {count} s"
            for name, count in sorted(
                counts.items(), key=lambda item: (item[0] == BACKGROUND, item[0])
            )
        ]
        self.summary.setText(
            f"{sum(counts.values())} labelled second(s) in {videos} video(s)"
            + (": " + ", ".join(parts) if parts else "")
            + ". Only seconds a person labelled (or accepted) teach the model; seconds nobody "
            "labelled are left out, never taken as background."
        )
        self.label_problems = label_problems(labelled)
        self.calibration_note.setText(calibration_time_note(videos))
        self._check()

    def _free_name(self) -> str:
        base = re.sub(r"[^A-Za-z0-9_.+-]+", "-", self.project.folder.name).strip("-.") or "my"
        number = 1
        while self._taken(f"{base}-{number}"):
            number += 1
        return f"{base}-{number}"

    def _taken(self, name: str) -> bool:
        return (project_models_dir(self.project) / name).exists() or (models_dir() / name).exists()

    def name_problem(self) -> str:
        name = self.name.text().strip()
        if not _NAME.match(name):
            return (
                "A model needs a name of letters, digits, spaces, '-', '_', '.' or '+' "
                "(at most 64, starting with a letter or digit)."
            )
        if self._taken(name):
            return f"A model named {name!r} exists already: choose another name."
        return ""

    def _check(self) -> None:
        problems = list(self.label_problems)
        if self.name_problem():
            problems.append(self.name_problem())
        self.problems.setText("<br>".join(html.escape(p, quote=False) for p in problems))
        self.problems.setVisible(bool(problems))
        self._blocked = bool(problems)
        self.train_button.setEnabled(not problems and self.run is None)

    # ---- training ----------------------------------------------------------------------------

    def start(self) -> bool:
        self.refresh()
        if not self.train_button.isEnabled():
            self.status.setText(
                "Cannot train yet: "
                + " ".join(
                    self.label_problems + ([self.name_problem()] if self.name_problem() else [])
                )
            )
            return False
        out = project_models_dir(self.project) / self.name.text().strip()
        self.run = TrainingRun(
            self.project.store.path,
            out,
            self.architecture.currentText(),
            self.epochs.value(),
            self.cache_dir,
            parent=self,
        )
        self.run.featuresProgress.connect(self._on_features)
        self.run.epochDone.connect(self._on_epoch)
        self.run.trained.connect(self._on_trained)
        self.run.failed.connect(self._on_failed)
        self.run.finished.connect(self._on_finished)
        self._set_running(True)
        self.result.setText("")
        self._say("Starting…", 0, 0)
        if self.leave_question is None:  # built now, so closing mid-run only has to show it
            self.leave_question = self._make_leave_question()
        self.run.start()
        return True

    def cancel(self) -> None:
        """Ask the run to stop; returns at once (the child stops within a batch, or is killed)."""
        if self.run is not None and not self.run.cancelled:
            self.run.cancel()
            self._say("Stopping training…", 0, 0)

    def _say(self, text: str, done: int, total: int) -> None:
        self.status.setText(text)
        self.progressChanged.emit(text, done, total)

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running and not self._blocked)
        self.cancel_button.setEnabled(running)
        for widget in (self.architecture, self.name, self.epochs):
            widget.setEnabled(not running)
        if running:
            self.progress.setVisible(True)
            self.progress.setValue(0)

    def _on_features(self, done: int, total: int, video: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self._say(f"Reading features: {done} of {total} videos ({Path(video).name})", done, total)

    def _on_epoch(self, report: dict) -> None:
        self.progress.setRange(0, int(report["epochs"]))
        self.progress.setValue(int(report["epoch"]))
        what = {"training": "Training", "final": "Final model, on every video:"}.get(
            report["phase"], f"Calibrating confidences, model {report['phase'].split()[-1]}:"
        )
        held_out = (
            ""
            if report.get("val_accuracy") is None
            else f", held-out accuracy {report['val_accuracy']:.0%}"
        )
        self._say(
            f"{what} epoch {report['epoch']} of {report['epochs']}: loss "
            f"{report['loss']:.3f}{held_out}; at most "
            f"{_minutes(report['seconds_left'])} left",
            int(report["epoch"]),
            int(report["epochs"]),
        )

    def _on_trained(self, path: str, card: dict) -> None:
        self.bundle_path = path
        self.show_result(card)
        self.trained.emit(path)
        unreviewed = self.unreviewed()
        self.reannotate_button.setText(
            f"Re-annotate {len(unreviewed)} unreviewed video(s) with {card['name']}"
        )
        self.reannotate_button.setVisible(bool(unreviewed))

    def _on_failed(self, reason: str) -> None:
        self.status.setText(f"Training failed: {reason}")

    def _on_finished(self, cancelled: bool) -> None:
        if cancelled:
            self.status.setText("Cancelled: no model was saved.")
        self.runEnded.emit(self.status.text())
        self.run.deleteLater()
        self.run = None
        if self._taken(self.name.text().strip()):
            self.name.setText(self._free_name())  # ready to train the next one
        self._set_running(False)
        self.refresh()

    def unreviewed(self) -> list[str]:
        return [
            n
            for n, e in self.project.entries.items()
            if not e.edited_seconds and e.status != "failed"
        ]

    def _reannotate(self) -> None:
        if self.bundle_path:
            self.reannotateRequested.emit(self.bundle_path)
            self.reannotate_button.setVisible(False)

    # ---- the result --------------------------------------------------------------------------

    def show_result(self, card: dict) -> None:
        metrics, training = card.get("metrics", {}), card.get("training", {})
        accuracy = metrics.get("per_second_accuracy")
        refit = (
            " The saved model was then trained again on every labelled video."
            if training.get("final_model_trained_on_all_videos")
            else ""
        )
        self.status.setText(
            f"Saved {card['name']} in {training.get('training_seconds')} s "
            f"({training.get('epochs_run')} epochs)."
        )
        self.result.setText(
            f"Held out: {training.get('validation_videos')} video(s), {metrics.get('seconds')} "
            f"labelled second(s): {accuracy:.1%} per second." + refit
            if accuracy is not None
            else "No video was held out, so the model was not measured."
        )
        out_of_fold = out_of_fold_text(card)
        if out_of_fold:
            self.result.setText(self.result.text() + f" All labelled videos: {out_of_fold}.")
        per_class = metrics.get("per_class", {})
        self.per_class.setColumnCount(2)
        self.per_class.setHorizontalHeaderLabels(["Class", "Held-out accuracy"])
        self.per_class.setRowCount(len(per_class))
        for row, (name, value) in enumerate(per_class.items()):
            self.per_class.setItem(row, 0, QTableWidgetItem(name))
            self.per_class.setItem(row, 1, QTableWidgetItem(f"{value:.0%}"))
        self.per_class.verticalHeader().setVisible(False)
        self.per_class.resizeColumnsToContents()
        self.per_class.setVisible(bool(per_class))
        self._fill_confusion(metrics.get("confusion", {}))

    def _fill_confusion(self, confusion: dict) -> None:
        names = list(
            dict.fromkeys(list(confusion) + [p for row in confusion.values() for p in row])
        )
        self.confusion.setRowCount(len(names))
        self.confusion.setColumnCount(len(names))
        self.confusion.setVerticalHeaderLabels([f"is {n}" for n in names])
        self.confusion.setHorizontalHeaderLabels([f"said {n}" for n in names])
        for r, truth in enumerate(names):
            for c, said in enumerate(names):
                count = confusion.get(truth, {}).get(said, 0)
                self.confusion.setItem(r, c, QTableWidgetItem(str(count) if count else ""))
        self.confusion.resizeColumnsToContents()
        self.confusion.setToolTip(
            "Held-out seconds: each row is what a person labelled, each column what the model said"
        )
        self.confusion.setVisible(bool(names))

    # ---- leaving while it trains -------------------------------------------------------------

    def reject(self) -> None:
        """Close, Esc and the title bar's close all come here (QDialog.closeEvent calls it)."""
        if self.run is None or self.run.cancelled:
            super().reject()
            return
        if self.leave_question is None:
            self.leave_question = self._make_leave_question()
        self.leave_question.open()

    def _make_leave_question(self) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Question,
            "Training is running",
            "The model is still training. Keep training in the background (the status bar "
            "shows its progress; click it to come back here), or stop it (nothing is saved)?",
            QMessageBox.NoButton,
            self,
        )
        self.keep_button = box.addButton("Keep training in the background", QMessageBox.AcceptRole)
        self.stop_button = box.addButton("Stop training", QMessageBox.DestructiveRole)
        box.addButton("Go on watching", QMessageBox.RejectRole)
        box.setDefaultButton(self.keep_button)
        box.buttonClicked.connect(self._on_leave_answer)
        return box

    def _on_leave_answer(self, button) -> None:
        if self.run is None:  # it finished while the question was open
            super().reject()
        elif button is self.keep_button:
            super().reject()
            self.backgrounded.emit()
        elif button is self.stop_button:
            self.stop_and_close()

    def stop_and_close(self) -> None:
        """Stop the run without waiting for it, and hide: the window is never blocked."""
        self.cancel()
        super().reject()
        if self.run is not None:
            self.backgrounded.emit()  # the status bar says "Stopping…" until it has stopped

    def stop_for_exit(self, milliseconds: int = 5_000) -> None:
        """The app is quitting: stop the run and give it a moment to end (then it is killed)."""
        if self.run is not None:
            self.run.cancel()
            self.run.wait(milliseconds)
