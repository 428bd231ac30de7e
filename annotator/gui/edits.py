"""Review actions: every change a person makes to the labels, undoable, written to the store at once.

Each action works on the ProjectState and TimelineState alone (no window, no dialog), so tests
drive them directly and the main window only binds keys and buttons to them. An edit reaches the
store (one transaction) before it is pushed on the video's undo stack; undo and redo are edits too.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from ..core.conventions import BACKGROUND
from ..core.errors import AnnotatorError
from .project import ProjectState
from .timeline.state import TimelineState

log = logging.getLogger(__name__)


def _span(start: int, end: int) -> str:
    return f"{start}–{end} s" if end - start > 1 else f"{start} s"


class LabelEdit(QUndoCommand):
    """Human labels of some seconds of one video before and after an edit (None: no label)."""

    def __init__(self, actions: "ReviewActions", video: str, before: dict, after: dict,
                 text: str):
        super().__init__(text)
        self.actions, self.video, self.before, self.after = actions, video, before, after
        self._written = True   # the edit was stored before the push; the push's redo skips it

    def redo(self) -> None:
        if self._written:
            self._written = False
            return
        self.actions.write(self.video, self.after, f"redo: {self.text()}")

    def undo(self) -> None:
        self.actions.write(self.video, self.before, f"undo: {self.text()}")


class ReviewActions(QObject):
    message = Signal(str)          # a line for the status bar
    errorOccurred = Signal(str)    # an edit could not be stored: the user must know

    def __init__(self, project: ProjectState, timeline: TimelineState, parent=None):
        super().__init__(parent)
        self.project, self.timeline = project, timeline
        self.undo_group = QUndoGroup(self)
        self._stacks: dict[str, QUndoStack] = {}
        timeline.videoChanged.connect(self._activate_stack)

    # ---- storage -----------------------------------------------------------------------------

    def _activate_stack(self) -> None:
        video = self.timeline.video
        if video is None:
            self.undo_group.setActiveStack(None)
            return
        if video not in self._stacks:
            self._stacks[video] = QUndoStack(self.undo_group)
        self.undo_group.setActiveStack(self._stacks[video])

    def undo_stack(self) -> QUndoStack | None:
        return self.undo_group.activeStack()

    def write(self, video: str, labels: dict, description: str) -> bool:
        """Store an edit and show it; False (and an error message) if it could not be stored."""
        try:
            self.project.set_labels(video, labels, description)
        except AnnotatorError as exc:
            self.errorOccurred.emit(f"Edit not saved: {exc}")
            return False
        if video == self.timeline.video:
            self.timeline.set_human(self.project.human_labels(video))
        return True

    def apply(self, labels: dict[int, str | None], text: str) -> bool:
        """Set labels of seconds of the shown video as one undoable, stored edit."""
        video = self.timeline.video
        if video is None:
            self.message.emit("Open a video first")
            return False
        before = {s: self.timeline.human.get(s) for s in labels}
        if before == labels:
            return False
        if not self.write(video, labels, text):
            return False
        self.undo_stack().push(LabelEdit(self, video, before, dict(labels), text))
        self.message.emit(text)
        return True

    # ---- the actions -------------------------------------------------------------------------

    def paint(self, start: int, end: int, label: str) -> bool:
        """Label the seconds [start, end) (a drag on the human lane)."""
        start, end = max(0, start), min(self.timeline.seconds, end)
        return self.apply({s: label for s in range(start, end)},
                          f"Paint {label} {_span(start, end)}")

    def assign(self, label: str) -> bool:
        """Label the second under the cursor and make `label` the one painted next."""
        self.timeline.set_active_label(label)
        second = self.timeline.cursor_second()
        return self.apply({second: label}, f"Label {_span(second, second + 1)} {label}")

    def assign_number(self, number: int) -> bool:
        """Number keys: 1..9 the bundle's classes in palette order, 0 background."""
        classes = self.timeline.classes
        events = [c for c in classes if c != BACKGROUND]
        label = BACKGROUND if number == 0 else (events[number - 1]
                                               if number - 1 < len(events) else None)
        if label is None:
            self.message.emit(f"No class has the number {number}")
            return False
        return self.assign(label)

    def _range(self) -> tuple[int, int]:
        """The selection, else the second under the cursor."""
        if self.timeline.selection:
            return self.timeline.selection
        second = self.timeline.cursor_second()
        return second, second + 1

    def accept(self) -> bool:
        """Accept the model's labels for the selection (or the predicted run under the cursor)."""
        labels = self.timeline.predicted_labels()
        if not labels:
            self.message.emit("Nothing to accept: annotate this video first")
            return False
        if self.timeline.selection:
            start, end = self.timeline.selection
        else:
            start, end, _ = self.timeline.run_around(self.timeline.cursor_second(),
                                                     lambda s: labels[s])
        return self.apply({s: labels[s] for s in range(start, end)},
                          f"Accept predictions {_span(start, end)}")

    def clear(self) -> bool:
        """Remove human labels from the selection (or the cursor's second): the model's return."""
        start, end = self._range()
        labelled = {s: None for s in range(start, end) if s in self.timeline.human}
        if not labelled:
            self.message.emit("No human label there to clear")
            return False
        return self.apply(labelled, f"Clear human labels {_span(start, end)}")

    def split(self) -> bool:
        """Cut the segment under the cursor there: its part from the cursor takes the active label."""
        second = self.timeline.cursor_second()
        start, end, label = self.timeline.run_around(second, self.timeline.label_at)
        new = self.timeline.active_label
        if new == label:
            self.message.emit(f"To split this {label} segment, pick another label for its "
                              "second part (number keys or the palette)")
            return False
        return self.apply({s: new for s in range(second, end)},
                          f"Split {label} at {second} s: {_span(second, end)} is {new}")

    def merge(self) -> bool:
        """Join the segment under the cursor with the next one, gap included, under its label."""
        label_at = self.timeline.label_at
        start, end, label = self.timeline.run_around(self.timeline.cursor_second(), label_at)
        if label == BACKGROUND:
            self.message.emit("Put the cursor on a segment to merge it with the next one")
            return False
        following = next((s for s in range(end, self.timeline.seconds)
                          if label_at(s) != BACKGROUND), None)
        if following is None:
            self.message.emit(f"No segment after this {label} segment to merge with")
            return False
        _, last, _ = self.timeline.run_around(following, label_at)
        return self.apply({s: label for s in range(start, last)},
                          f"Merge {_span(start, last)} into {label}")

    # ---- navigation --------------------------------------------------------------------------

    def next_doubtful(self) -> bool:
        """Move to the next second whose confidence is below the threshold (and not reviewed)."""
        return self._jump(self.timeline.doubtful_seconds(),
                          f"below the threshold {self.timeline.threshold:.2f}")

    def next_disagreement(self) -> bool:
        """Move to the next second where the audio and the visual heads disagree."""
        return self._jump(self.timeline.disagreement_seconds(), "where audio and visual disagree")

    def _jump(self, seconds: list[int], what: str) -> bool:
        here = self.timeline.cursor_second()
        later = [s for s in seconds if s > here] or seconds  # wrap to the start
        if not later:
            self.message.emit(f"No second {what}")
            return False
        self.timeline.seek(float(later[0]))
        self.timeline.set_selection(None)
        self.message.emit(f"{later[0]} s: {len(seconds)} second(s) {what}")
        return True
