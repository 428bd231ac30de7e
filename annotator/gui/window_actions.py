"""The main window's menus and key bindings, built from the one SHORTCUTS table.

Each action calls a method that also works without a window (review actions, the annotation
controller, the timeline state); this module only binds keys and menu entries to them.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from .shortcuts import SHORTCUTS

MENUS = {
    "File": [
        "open",
        "recent",
        "-",
        "export",
        "-",
        "annotate_all",
        "annotate_selected",
        "cancel",
        "-",
        "train",
        "-",
        "quit",
    ],
    "Edit": [
        "undo",
        "redo",
        "-",
        "accept",
        "split",
        "merge",
        "clear",
        "select_none",
        "-",
        "labels",
        "pick_class",
        "classes",
    ],
    "Playback": [
        "play",
        "-",
        "step_back",
        "step_forward",
        "frame_back",
        "frame_forward",
        "-",
        "slower",
        "faster",
        "-",
        "mute",
        "louder",
        "quieter",
    ],
    "Navigate": [
        "next_doubtful",
        "previous_doubtful",
        "next_disagreement",
        "previous_disagreement",
        "label_next",
        "review_queue",
        "find_similar",
        "-",
        "previous_video",
        "next_video",
        "-",
        "next_segment",
        "previous_segment",
    ],
    "View": [
        "zoom_in",
        "zoom_out",
        "zoom_fit",
        "-",
        "toggle_audio_view",
        "threshold_up",
        "threshold_down",
    ],
    "Help": ["help", "about"],
}


def _handlers(window) -> dict:
    review, timeline, view, player = (
        window.review,
        window.timeline,
        window.timeline_view,
        window.player,
    )
    return {
        "open": window.ask_open_folder,
        "export": window.ask_export,
        "annotate_all": lambda: window.annotate_all(),
        "annotate_selected": lambda: window.annotate_selected(),
        "cancel": window.annotation.cancel,
        "play": player.toggle_play,
        "step_back": lambda: step_from_cursor(timeline, -1.0),
        "step_forward": lambda: step_from_cursor(timeline, +1.0),
        "previous_video": lambda: step_video(window, -1),
        "next_video": lambda: step_video(window, +1),
        "pick_class": window.learning.pick_class,
        "frame_back": lambda: player.step_frames(-1),
        "frame_forward": lambda: player.step_frames(+1),
        "slower": player.slower,
        "faster": player.faster,
        "mute": player.toggle_mute,
        "louder": player.louder,
        "quieter": player.quieter,
        "next_doubtful": review.next_doubtful,
        "previous_doubtful": review.previous_doubtful,
        "next_disagreement": review.next_disagreement,
        "previous_disagreement": review.previous_disagreement,
        "next_segment": review.next_segment,
        "previous_segment": review.previous_segment,
        "label_next": window.learning.label_next,
        "review_queue": lambda: window.review_queue.show_and_focus(),
        "find_similar": lambda: window.find_similar.show_and_find(),
        "classes": window.learning.show_classes,
        "train": window.learning.ask_train,
        "zoom_in": view.zoom_in,
        "zoom_out": view.zoom_out,
        "zoom_fit": view.fit,
        "threshold_up": lambda: timeline.set_threshold(round(timeline.threshold + 0.05, 2)),
        "threshold_down": lambda: timeline.set_threshold(round(timeline.threshold - 0.05, 2)),
        "toggle_audio_view": lambda: timeline.set_audio_view(
            "spectrogram" if timeline.audio_view == "waveform" else "waveform"
        ),
        "assign_background": lambda: review.assign_number(0),
        "accept": review.accept,
        "split": review.split,
        "merge": review.merge,
        "clear": review.clear,
        "select_none": lambda: timeline.set_selection(None),
        "help": window.show_shortcuts,
    }


def step_from_cursor(timeline, seconds: float) -> None:
    """Move the cursor by `seconds` from where it is (0:05.8 back one is 0:04.8), within the
    video."""
    end = max(timeline.duration - 0.001, 0.0)
    timeline.seek(min(max(timeline.cursor + seconds, 0.0), end))


def step_video(window, step: int) -> bool:
    """Show the previous (-1) or next (+1) video in the list's order."""
    model = window.folder_view.model
    count = model.rowCount()
    if not count:
        window.status("Open a folder of videos first")
        return False
    shown = window.timeline.video
    row = model.row_of(shown) if shown in window.project.entries else -1
    target = row + step if row >= 0 else (0 if step > 0 else count - 1)
    if not 0 <= target < count:
        window.status("This is the last video" if step > 0 else "This is the first video")
        return False
    window.folder_view.select(model.name_at(target))
    return True


def build_actions(window) -> dict[str, QAction]:
    """Create every action with its key, add the menus, and return the actions by id."""
    handlers = _handlers(window)
    actions: dict[str, QAction] = {}
    for ident, keys, text, _group in SHORTCUTS:
        if ident == "assign":
            continue
        if ident in ("undo", "redo"):
            group = window.review.undo_group
            action = (
                group.createUndoAction(window, "Undo")
                if ident == "undo"
                else group.createRedoAction(window, "Redo")
            )
        else:
            action = QAction(text, window)
            action.triggered.connect(lambda _checked=False, handler=handlers[ident]: handler())
        action.setShortcuts([QKeySequence(k) for k in keys.split(" or ")])
        action.setToolTip(f"{text} ({keys})")
        window.addAction(action)
        actions[ident] = action
    actions["quit"] = QAction("Quit", window, shortcut=QKeySequence.Quit, triggered=window.close)
    actions["about"] = QAction("About", window, triggered=window.show_about)
    _add_menus(window, actions)
    return actions


# Actions that change the folder: off in a read-only window (another window edits it).
EDITING_ACTIONS = (
    "annotate_all",
    "annotate_selected",
    "train",
    "classes",
    "accept",
    "split",
    "merge",
    "clear",
    "assign_background",
    "pick_class",
    *(f"class_{number}" for number in range(1, 10)),
)


def set_editing_enabled(window, enabled: bool) -> None:
    """Buttons and keys that cannot act in a read-only window are disabled, not refused."""
    for ident in EDITING_ACTIONS:
        if ident in window.actions:
            window.actions[ident].setEnabled(enabled)
    window.annotation_panel.setEnabled(enabled)


def _label_actions(window, menu, actions: dict[str, QAction]) -> None:
    for number in range(1, 10):
        action = QAction(f"Class {number}", window)
        action.setShortcut(QKeySequence(str(number)))
        action.triggered.connect(lambda _checked=False, n=number: window.review.assign_number(n))
        window.addAction(action)
        menu.addAction(action)
        actions[f"class_{number}"] = action


def _add_menus(window, actions: dict[str, QAction]) -> None:
    bar = window.menuBar()
    for title, entries in MENUS.items():
        menu = bar.addMenu(f"&{title}")
        for entry in entries:
            if entry == "-":
                menu.addSeparator()
            elif entry == "recent":
                window.recent_menu = menu.addMenu("Open recent")
            elif entry == "labels":
                labels = menu.addMenu("Label at cursor")
                _label_actions(window, labels, actions)
                labels.addAction(actions["assign_background"])
            else:
                menu.addAction(actions[entry])
