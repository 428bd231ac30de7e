"""Learning the user's own events in the app: the project's classes on the palette, Train on my
labels, the offer to re-annotate with the new model, and "label next".

The window only binds menus and keys to these; the dialogs do the asking, ProjectState and the
store do the work.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core.suggestions import best_seconds
from .class_dialog import ClassDialog
from .class_picker import ClassPicker, keyless_classes
from .model_choice import folder_default, remember_model, remembered_model
from .train_dialog import TrainDialog, project_models_dir
from .training_status import TrainingStatus

log = logging.getLogger(__name__)

CANDIDATE_VIDEOS = 20  # "label next" looks at the videos worth most, not at every one


class LearningActions(QObject):
    message = Signal(str)

    def __init__(self, window, cache_dir=None):
        super().__init__(window)
        self.window, self.cache_dir = window, cache_dir
        self.train_dialog: TrainDialog | None = None
        self._visited: set[tuple[str, int]] = set()
        self._keyless: list[str] = []
        self.class_picker: ClassPicker | None = None
        window.project.classesChanged.connect(self.apply_classes)
        self.training_status = TrainingStatus()
        window.statusBar().addPermanentWidget(self.training_status)
        self.training_status.openRequested.connect(self.ask_train)
        window.bundle_panel.userChose.connect(self._remember_model)

    @property
    def project(self):
        return self.window.project

    # ---- classes -----------------------------------------------------------------------------

    def folder_opened(self) -> None:
        """The project's classes go on the palette; its own models join the model list."""
        bundle = self.window.bundle_panel.current()
        self.project.initialise_classes(bundle.classes if bundle else [])
        panel = self.window.bundle_panel
        panel.set_extra_dirs([project_models_dir(self.project)])
        self._choose_folder_model()
        self._visited.clear()
        self.apply_classes()

    def _choose_folder_model(self) -> None:
        """The model this folder's reviewer chose here, else the folder's own default (see
        model_choice): never the one chosen in another folder."""
        panel = self.window.bundle_panel
        chosen = remembered_model(self.project.store)
        if chosen and panel.choose(chosen):
            return
        default = folder_default(
            panel.bundles,
            project_models_dir(self.project),
            [c.name for c in self.project.classes()],
        )
        if default is not None:
            panel.choose(str(default.path))

    def _remember_model(self, bundle) -> None:
        if bundle is not None and self.project.store is not None:
            remember_model(self.project.store, bundle)

    def apply_classes(self) -> None:
        timeline = self.window.timeline
        classes = self.project.classes()
        timeline.set_classes([c.name for c in classes], {c.name: c.colour for c in classes})
        self.window.palette.rebuild()
        if timeline.video is not None:
            timeline.set_human(self.project.human_labels(timeline.video))
        self._say_which_classes_have_no_key()

    def _say_which_classes_have_no_key(self) -> None:
        """Number keys reach nine classes: when more arrive (an import, the class list), say
        which have none and how to reach them."""
        keyless = keyless_classes(self.window.timeline.classes)
        if keyless and keyless != self._keyless:
            shown = ", ".join(keyless[:4]) + (", …" if len(keyless) > 4 else "")
            self.message.emit(
                f"{len(keyless)} class(es) have no number key ({shown}): press C to label "
                "with any class by typing its name"
            )
        self._keyless = keyless

    def pick_class(self) -> ClassPicker | None:
        """C: label the second at the cursor with a class found by name (any class, 10th on)."""
        timeline = self.window.timeline
        if timeline.video is None:
            self.message.emit("Open a video first")
            return None
        self.class_picker = ClassPicker(timeline.classes, timeline.class_colors, self.window)
        self.class_picker.picked.connect(self.window.review.assign)
        self.class_picker.open()
        return self.class_picker

    def show_classes(self) -> ClassDialog | None:
        if self.project.store is None:
            self.message.emit("Open a folder first")
            return None
        dialog = ClassDialog(self.project, self.window)
        dialog.finished.connect(lambda _result: self._forget_history())
        dialog.open()
        return dialog

    def _forget_history(self) -> None:
        """Undo steps name labels that a rename or merge may have changed: start afresh."""
        for stack in self.window.review.undo_group.stacks():
            stack.clear()

    # ---- training ----------------------------------------------------------------------------

    def ask_train(self) -> TrainDialog | None:
        if self.project.store is None:
            self.message.emit("Open a folder first")
            return None
        dialog = self.train_dialog
        # A run going on, or one that ended in the background and was not looked at yet: the
        # same dialog comes back, with its progress or its result.
        if dialog is None or (dialog.run is None and not self.training_status.isVisible()):
            if dialog is not None:
                dialog.deleteLater()
            dialog = self.train_dialog = TrainDialog(self.project, self.cache_dir, self.window)
            dialog.trained.connect(self._on_trained)
            dialog.reannotateRequested.connect(self.reannotate)
            self.training_status.follow(dialog)
        self.training_status.dialog_shown()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def stop_training(self) -> None:
        """The window is closing: a run still going is stopped (it would write nothing)."""
        if self.train_dialog is not None:
            self.train_dialog.stop_for_exit()
            self.train_dialog.hide()

    def _on_trained(self, path: str) -> None:
        panel = self.window.bundle_panel
        current = panel.current()
        panel.reload(current.name if current else None)
        self.project.refresh_label_next()
        self.message.emit(f"Trained {Path(path).name}: it is in the model list")

    def reannotate(self, bundle_path: str) -> bool:
        """Annotate every video nobody reviewed with the new bundle."""
        panel = self.window.bundle_panel
        panel.reload()
        if not panel.choose(bundle_path):
            self.message.emit(f"{bundle_path}: not found in the model list")
            return False
        self._remember_model(panel.current())  # the reviewer asked for this model here
        names = [
            name
            for name, entry in self.project.entries.items()
            if not entry.edited_seconds and entry.status != "failed"
        ]
        if not names:
            self.message.emit("Every video has human labels: nothing to re-annotate")
            return False
        return self.window.annotation.start(names, panel.current(), again=True)

    # ---- what to label next ------------------------------------------------------------------

    def label_next(self) -> bool:
        """Go to the second, in any video, where a label would help most (not yet visited)."""
        if self.project.store is None:
            self.message.emit("Open a folder first")
            return False
        counts = self.project.store.classes.labelled_seconds()
        ranked = sorted(
            (e for e in self.project.entries.values() if e.status == "done"),
            key=lambda e: -(e.label_next or 0.0),
        )[:CANDIDATE_VIDEOS]
        candidates = []
        for entry in ranked:
            predictions = self.project.predictions(entry.name)
            human = self.project.human_labels(entry.name)
            for worth, second in best_seconds(predictions, human, counts, count=5):
                if (entry.name, second) not in self._visited:
                    candidates.append((worth, entry.name, second))
        if not candidates:
            self.message.emit(
                "No suggestion left: annotate videos first, or every doubtful second has a label"
            )
            return False
        # Best worth first; on a tie, the earlier video and second.
        worth, name, second = min(candidates, key=lambda c: (-c[0], c[1], c[2]))
        self._visited.add((name, second))
        if self.window.timeline.video != name:
            self.window.folder_view.select(name)
        self.window.timeline.seek(float(second))
        self.window.timeline.set_selection(None)
        self.message.emit(
            f"Label next: {name} at {second} s (worth {worth:.2f}: the model is "
            "unsure, its heads disagree, or its class has few labels)"
        )
        return True
