"""The keyboard reference: one table the menus and the help dialog both come from."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout

# (action id, keys, what it does, group) — the main window binds each id to its QAction; "A or B"
# binds both keys.
SHORTCUTS = [
    ("open", "Ctrl+O", "Open a folder of videos", "Project"),
    (
        "export",
        "Ctrl+E",
        "Export labels (the CSVs, ELAN, Audacity, DCASE, BORIS, Label Studio)",
        "Project",
    ),
    ("annotate_all", "Ctrl+R", "Annotate every video not done yet", "Project"),
    ("annotate_selected", "Ctrl+Shift+R", "Annotate the selected videos", "Project"),
    ("cancel", "Ctrl+.", "Cancel the annotation run", "Project"),
    (
        "classes",
        "Ctrl+K",
        "Classes of this project: add, rename, recolour, merge, remove",
        "Project",
    ),
    ("train", "Ctrl+T", "Train on my labels (a new model from the human labels)", "Project"),
    ("play", "Space", "Play or pause", "Playback"),
    ("step_back", "Left", "One second back from the cursor (0:05.8 → 0:04.8)", "Playback"),
    ("step_forward", "Right", "One second forward from the cursor", "Playback"),
    ("frame_back", "Shift+Left or ,", "One frame back (pauses)", "Playback"),
    ("frame_forward", "Shift+Right or .", "One frame forward (pauses)", "Playback"),
    ("slower", "<", "Slower (down to 0.25×)", "Playback"),
    ("faster", ">", "Faster (up to 4×)", "Playback"),
    ("mute", "Ctrl+M", "Mute or unmute", "Playback"),
    ("louder", "Ctrl+Up", "Volume up", "Playback"),
    ("quieter", "Ctrl+Down", "Volume down", "Playback"),
    (
        "next_doubtful",
        "N",
        "Next doubtful second (low confidence, heads disagreeing, unlike the training data or at a "
        "label change: the review queue's doubt), on into the next videos",
        "Navigation",
    ),
    (
        "previous_doubtful",
        "Shift+N",
        "Previous doubtful second, back into earlier videos",
        "Navigation",
    ),
    (
        "next_disagreement",
        "D",
        "Next second where audio and visual disagree, on into the next videos",
        "Navigation",
    ),
    (
        "previous_disagreement",
        "Shift+D",
        "Previous second where audio and visual disagree",
        "Navigation",
    ),
    (
        "label_next",
        "L",
        "Label next: the second, in any video, where a label would help most",
        "Navigation",
    ),
    ("previous_video", "Ctrl+PgUp", "Previous video in the list", "Navigation"),
    ("next_video", "Ctrl+PgDown", "Next video in the list", "Navigation"),
    (
        "review_queue",
        "Q",
        "Review queue: the folder's most doubtful seconds (in it: A accept, 1–9 class, N skip)",
        "Navigation",
    ),
    (
        "find_similar",
        "F",
        "Find similar: the seconds anywhere in the folder most like the selection or cursor",
        "Navigation",
    ),
    ("next_segment", "Ctrl+Right", "Start of the next segment", "Navigation"),
    ("previous_segment", "Ctrl+Left", "Start of the previous segment", "Navigation"),
    ("zoom_in", "Ctrl++", "Zoom in (or Ctrl+wheel)", "Navigation"),
    ("zoom_out", "Ctrl+-", "Zoom out", "Navigation"),
    ("zoom_fit", "Ctrl+0", "Show the whole video", "Navigation"),
    ("threshold_up", "]", "Raise the confidence threshold by 0.05", "Navigation"),
    ("threshold_down", "[", "Lower the confidence threshold by 0.05", "Navigation"),
    ("toggle_audio_view", "W", "Sound lane: waveform or spectrogram", "Navigation"),
    (
        "assign",
        "1 … 9",
        "Label the second at the cursor with class 1…9 (also while playing)",
        "Review",
    ),
    ("assign_background", "0", "Label the second at the cursor as background", "Review"),
    (
        "pick_class",
        "C",
        "Label the second at the cursor with any class, found by typing its name "
        "(classes past 9 have no number key)",
        "Review",
    ),
    (
        "accept",
        "A",
        "Accept the predictions of the selection (or of the segment at the cursor)",
        "Review",
    ),
    ("split", "S", "Split the segment at the cursor: its rest takes the active label", "Review"),
    ("merge", "M", "Merge the segment at the cursor with the next one", "Review"),
    (
        "clear",
        "Delete",
        "Remove human labels from the selection (or the cursor's second)",
        "Review",
    ),
    ("select_none", "Esc", "Clear the selection", "Review"),
    ("undo", "Ctrl+Z", "Undo the last edit of this video", "Review"),
    ("redo", "Ctrl+Shift+Z", "Redo", "Review"),
    ("help", "F1", "This list", "Help"),
]

MOUSE = [
    ("Click or drag on the time, pictures, sound or curves", "Seek (the player follows)"),
    ("Click a class in the palette", "Choose the active label (labels nothing)"),
    ("Drag on the Human lane", "Paint the active label over the range"),
    ("Drag a segment's edge on the Human lane", "Make the segment longer or shorter"),
    ("Drag on the Predicted lane, or Shift+drag", "Select a range"),
    ("Wheel / Ctrl+wheel", "Scroll / zoom around the pointer"),
]


def reference_html() -> str:
    parts, group = [], None
    for _id, keys, text, this_group in SHORTCUTS:
        if this_group != group:
            parts.append(f"<tr><td colspan=2><h3>{html.escape(this_group)}</h3></td></tr>")
            group = this_group
        parts.append(
            f"<tr><td><code>{html.escape(keys)}</code>&nbsp;&nbsp;</td>"
            f"<td>{html.escape(text)}</td></tr>"
        )
    parts.append("<tr><td colspan=2><h3>Mouse on the timeline</h3></td></tr>")
    parts += [
        f"<tr><td>{html.escape(g)}&nbsp;&nbsp;</td><td>{html.escape(t)}</td></tr>" for g, t in MOUSE
    ]
    return "<table>" + "".join(parts) + "</table>"


class ShortcutsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard and mouse")
        label = QLabel(reference_html())
        label.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidget(label)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        self.resize(560, 640)
