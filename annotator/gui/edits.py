"""Review actions: every change a person makes to the labels, undoable, written to the store at once.

Each action works on the ProjectState and TimelineState alone (no window, no dialog), so tests
drive them directly and the main window only binds keys and buttons to them. An edit reaches the
store (one transaction) before it is pushed on the video's undo stack; undo and redo are edits too.

Every write is compare-and-swap against what the store holds now: an edit names the labels the
timeline showed, and is refused whole if another window or process changed one of its seconds
meanwhile (the timeline then shows theirs); undo and redo leave alone, and name, the seconds
someone else changed since. So no edit is lost or overwritten unseen.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from ..core.conventions import BACKGROUND
from ..core.errors import AnnotatorError
from ..core.store import LabelChange
from .navigation import Navigator
from .project import ProjectState
from .timeline.edges import resize_changes
from .timeline.state import TimelineState

log = logging.getLogger(__name__)


def _span(start: int, end: int) -> str:
    return f"{start}–{end} s" if end - start > 1 else f"{start} s"


def _seconds_text(seconds) -> str:
    seconds = sorted(seconds)
    shown = ", ".join(str(s) for s in seconds[:6]) + (", …" if len(seconds) > 6 else "")
    return f"second{'s' if len(seconds) > 1 else ''} {shown}"


RESTORED_STEPS = 200  # undo steps read back from the edit log per video (the newest)
_CLASS_CHANGES = ("Rename class ", "Merge class ", "Remove class ")


def undoable_edits(log, limit: int = RESTORED_STEPS) -> list[tuple[dict, dict, str]]:
    """(before, after, text) of the edits an undo stack would hold now, oldest first, replayed
    from an edit log: "undo: X" takes X off the stack, "redo: X" puts it back, anything else is
    pushed. A class rename, merge or remove starts the history afresh (as it does in a session:
    older steps name labels that may be gone)."""
    done: list[tuple[dict, dict, str]] = []
    undone: list[tuple[dict, dict, str]] = []
    for description, changes in zip(log["description"], log["changes"]):
        if description.startswith("undo: "):
            if done and done[-1][2] == description[6:]:
                undone.append(done.pop())
        elif description.startswith("redo: "):
            if undone and undone[-1][2] == description[6:]:
                done.append(undone.pop())
        elif description.startswith(_CLASS_CHANGES):
            done, undone = [], []
        else:
            before = {int(s): change[0] for s, change in changes.items()}
            after = {int(s): change[1] for s, change in changes.items()}
            done.append((before, after, description))
            undone = []
    return done[-limit:]


class LabelEdit(QUndoCommand):
    """Human labels of some seconds of one video before and after an edit (None: no label)."""

    def __init__(self, actions: "ReviewActions", video: str, before: dict, after: dict, text: str):
        super().__init__(text)
        self.actions, self.video, self.before, self.after = actions, video, before, after
        self._written = True  # the edit was stored before the push; the push's redo skips it

    def redo(self) -> None:
        if self._written:
            self._written = False
            return
        self.actions.swap(self.video, self.after, self.before, "redo", self.text())

    def undo(self) -> None:
        self.actions.swap(self.video, self.before, self.after, "undo", self.text())


class ReviewActions(QObject):
    message = Signal(str)  # a line for the status bar
    errorOccurred = Signal(str)  # an edit could not be stored: the user must know
    saved = Signal(str)  # an edit (or undo, redo) is in the store: what it was
    readOnlyRefused = Signal(str)  # an edit in a read-only window: why (said once, not boxed)

    def __init__(
        self, project: ProjectState, timeline: TimelineState, parent=None, open_video=None
    ):
        super().__init__(parent)
        self.project, self.timeline = project, timeline
        self.undo_group = QUndoGroup(self)
        self._stacks: dict[str, QUndoStack] = {}
        self.navigator = Navigator(project, timeline, open_video, self.message.emit)
        timeline.videoChanged.connect(self._activate_stack)
        timeline.seekRequested.connect(self._drop_selection_left_behind)

    # ---- storage -----------------------------------------------------------------------------

    def _activate_stack(self) -> None:
        video = self.timeline.video
        if video is None:
            self.undo_group.setActiveStack(None)
            return
        if video not in self._stacks:
            self._stacks[video] = QUndoStack(self.undo_group)
            self._restore_history(video)
        self.undo_group.setActiveStack(self._stacks[video])

    def _restore_history(self, video: str) -> None:
        """The video's undo steps from the store's edit log, so Ctrl+Z reaches back past a
        restart; undo stays compare-and-swap, so an old step never overwrites a newer edit."""
        if self.project.store is None or video not in self.project.entries:
            return
        stack = self._stacks[video]
        for before, after, text in undoable_edits(self.project.store.edit_log(video)):
            stack.push(LabelEdit(self, video, before, after, text))

    def undo_stack(self) -> QUndoStack | None:
        return self.undo_group.activeStack()

    def write(
        self, video: str, labels: dict, expected: dict, description: str, all_or_nothing: bool
    ) -> LabelChange | None:
        """Compare-and-swap an edit into the store and show the store's labels; None (and an
        error message) if it could not be stored."""
        if self.project.read_only:
            # Not an error box per key press: the window's read-only notice says it already.
            self.message.emit(f"Edit not saved: {self.project.read_only_reason()}")
            self.readOnlyRefused.emit(self.project.read_only_reason())
            return None
        try:
            change = self.project.change_labels(
                video, labels, description, expected, all_or_nothing
            )
        except AnnotatorError as exc:
            self.errorOccurred.emit(f"Edit not saved: {exc}")
            return None
        if video == self.timeline.video:
            self.timeline.set_human(self.project.human_labels(video))
        return change

    def apply(self, labels: dict[int, str | None], text: str) -> bool:
        """Set labels of seconds of the shown video as one undoable, stored edit."""
        video = self.timeline.video
        if video is None:
            self.message.emit("Open a video first")
            return False
        before = {s: self.timeline.human.get(s) for s in labels}
        if before == labels:
            return False
        change = self.write(video, labels, before, text, all_or_nothing=True)
        if change is None:
            return False
        if change.changed_elsewhere:
            self.errorOccurred.emit(
                f"Edit not saved: {_seconds_text(change.changed_elsewhere)} of {video} changed "
                "in another window a moment ago; the timeline shows them now. Make the edit "
                "again if you still want it."
            )
            return False
        self.undo_stack().push(LabelEdit(self, video, change.before, dict(labels), text))
        self.saved.emit(text)
        self.message.emit(f"{text} — saved")
        return True

    def swap(self, video: str, labels: dict, expected: dict, verb: str, text: str) -> None:
        """Undo or redo against what the store holds now: seconds someone else changed since
        the edit stay as they are, and the status line says which."""
        change = self.write(video, labels, expected, f"{verb}: {text}", all_or_nothing=False)
        if change is None:
            return
        done = "Undone" if verb == "undo" else "Redone"
        line = f"{done}: {text}"
        if change.changed_elsewhere:
            line += (
                f"; {_seconds_text(change.changed_elsewhere)} changed elsewhere since, "
                "left as they are"
            )
        self.saved.emit(line)
        self.message.emit(line)

    # ---- where an edit acts ------------------------------------------------------------------

    def _drop_selection_left_behind(self, seconds: float) -> None:
        """The user moved the cursor out of the selection (a click on the ruler, a key): the
        selection is done with, and the next edit acts at the cursor, where the user looks."""
        selection = self.timeline.selection
        if selection and not selection[0] <= seconds < selection[1]:
            self.timeline.set_selection(None)

    # ---- the actions -------------------------------------------------------------------------

    def paint(self, start: int, end: int, label: str) -> bool:
        """Label the seconds [start, end) (a drag on the human lane; the user has moved on from
        any selection, which goes)."""
        self.timeline.set_selection(None)
        start, end = max(0, start), min(self.timeline.seconds, end)
        return self.apply(
            {s: label for s in range(start, end)}, f"Paint {label} {_span(start, end)}"
        )

    def assign(self, label: str) -> bool:
        """Label the second under the cursor and make `label` the one painted next."""
        self.timeline.set_active_label(label)
        second = self.timeline.cursor_second()
        return self.apply({second: label}, f"Label {_span(second, second + 1)} {label}")

    def assign_number(self, number: int) -> bool:
        """Number keys: 1..9 the bundle's classes in palette order, 0 background."""
        classes = self.timeline.classes
        events = [c for c in classes if c != BACKGROUND]
        label = (
            BACKGROUND
            if number == 0
            else (events[number - 1] if number - 1 < len(events) else None)
        )
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
            start, end, _ = self.timeline.run_around(
                self.timeline.cursor_second(), lambda s: labels[s]
            )
        return self.apply(
            {s: labels[s] for s in range(start, end)}, f"Accept predictions {_span(start, end)}"
        )

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
            self.message.emit(
                f"To split this {label} segment, pick another label for its "
                "second part (number keys or the palette)"
            )
            return False
        return self.apply(
            {s: new for s in range(second, end)},
            f"Split {label} at {second} s: {_span(second, end)} is {new}",
        )

    def merge(self) -> bool:
        """Join the segment under the cursor with the next one, gap included, under its label."""
        label_at = self.timeline.label_at
        start, end, label = self.timeline.run_around(self.timeline.cursor_second(), label_at)
        if label == BACKGROUND:
            self.message.emit("Put the cursor on a segment to merge it with the next one")
            return False
        following = next(
            (s for s in range(end, self.timeline.seconds) if label_at(s) != BACKGROUND), None
        )
        if following is None:
            self.message.emit(f"No segment after this {label} segment to merge with")
            return False
        _, last, _ = self.timeline.run_around(following, label_at)
        return self.apply(
            {s: label for s in range(start, last)}, f"Merge {_span(start, last)} into {label}"
        )

    def resize_segment(self, start: int, end: int, edge: str, to: int) -> bool:
        """Move the `edge` ("start" or "end") of the human segment [start, end) to second
        boundary `to`: outwards it grows, inwards it shrinks (see timeline.edges)."""
        self.timeline.set_selection(None)
        changes = resize_changes(self.timeline.human, start, end, edge, to, self.timeline.seconds)
        if not changes:
            return False
        label = self.timeline.human.get(start)
        new_start, new_end = (to, end) if edge == "start" else (start, to)
        return self.apply(changes, f"Resize {label} to {_span(new_start, new_end)}")

    # ---- navigation (the rules live in navigation.Navigator) ---------------------------------

    def next_doubtful(self) -> bool:
        """Move to the next second whose confidence is below the threshold (and not reviewed)."""
        return self.navigator.jump("doubtful", +1)

    def previous_doubtful(self) -> bool:
        return self.navigator.jump("doubtful", -1)

    def next_disagreement(self) -> bool:
        """Move to the next second where the audio and the visual heads disagree."""
        return self.navigator.jump("disagreement", +1)

    def previous_disagreement(self) -> bool:
        return self.navigator.jump("disagreement", -1)

    def next_segment(self) -> bool:
        return self.navigator.segment(+1)

    def previous_segment(self) -> bool:
        return self.navigator.segment(-1)
