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
        "step_back": lambda: player.step_seconds(-1),
        "step_forward": lambda: player.step_seconds(+1),
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
        action.setShortcut(QKeySequence(keys))
        action.setToolTip(f"{text} ({keys})")
        window.addAction(action)
        actions[ident] = action
    actions["quit"] = QAction("Quit", window, shortcut=QKeySequence.Quit, triggered=window.close)
    actions["about"] = QAction("About", window, triggered=window.show_about)
    _add_menus(window, actions)
    return actions


def _label_actions(window, menu) -> None:
    for number in range(1, 10):
        action = QAction(f"Class {number}", window)
        action.setShortcut(QKeySequence(str(number)))
        action.triggered.connect(lambda _checked=False, n=number: window.review.assign_number(n))
        window.addAction(action)
        menu.addAction(action)


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
                _label_actions(window, labels)
                labels.addAction(actions["assign_background"])
            else:
                menu.addAction(actions[entry])
