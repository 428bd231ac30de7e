"""What the reviewer should always be able to see: whether the last edit is saved, whether this
window may edit the folder, whether there is sound, and which model made the predictions shown.

`ReviewStatus` keeps three small marks on the right of the status bar (the status line itself
is for passing messages); `predictions_line` is the sentence above the timeline.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar

_SAVED = "color: #2e7d32;"
_NOT_SAVED = "color: #c62828; font-weight: bold;"
_READ_ONLY = "color: #8a5a00; font-weight: bold;"


class ReviewStatus:
    def __init__(self, bar: QStatusBar, sound_notice: str = ""):
        self.saved = QLabel("")
        self.writer = QLabel("")
        # The one notice of a read-only window, above the timeline (the window places it): it
        # stays while the window is read-only, instead of a box per refused edit.
        self.read_only_notice = QLabel("")
        self.read_only_notice.setWordWrap(True)
        self.read_only_notice.setStyleSheet(
            "QLabel { background: #fff4d6; color: #5c3d00; border: 1px solid #e0b84d;"
            " border-radius: 3px; padding: 4px 8px; }"
        )
        self.read_only_notice.setVisible(False)
        self.sound = QLabel("no sound output" if sound_notice else "")
        self.sound.setToolTip(sound_notice)
        self.sound.setVisible(bool(sound_notice))
        for label in (self.sound, self.writer, self.saved):
            bar.addPermanentWidget(label)
        self.writer.setVisible(False)

    def show_saved(self, what: str) -> None:
        """An edit (or undo, redo) is in the store."""
        self.saved.setText(f"✓ saved {time.strftime('%H:%M:%S')}")
        self.saved.setToolTip(f"In the project store: {what}")
        self.saved.setStyleSheet(_SAVED)

    def show_not_saved(self, why: str) -> None:
        self.saved.setText("✗ last edit not saved")
        self.saved.setToolTip(why)
        self.saved.setStyleSheet(_NOT_SAVED)

    def show_refused(self, reason: str) -> None:
        """An edit was refused because the window is read-only."""
        self.show_not_saved(reason)
        self.show_writer(reason)

    def show_writer(self, reason: str) -> None:
        """'' when this window edits the folder, else why it is read-only. Taking over editing
        clears what the read-only time left behind (the notice, "last edit not saved")."""
        self.writer.setText("read-only" if reason else "")
        self.writer.setToolTip(reason)
        self.writer.setStyleSheet(_READ_ONLY)
        self.writer.setVisible(bool(reason))
        self.read_only_notice.setText(
            f"{reason}. Edits, annotation and training are off here." if reason else ""
        )
        self.read_only_notice.setVisible(bool(reason))
        if not reason and self.saved.text().startswith("✗"):
            self.saved.setText("")
            self.saved.setToolTip("")


def predictions_line(entry, predictions, chosen_tag: str) -> str:
    """Which model made the predictions on the timeline, and whether they are from an earlier
    run than the last one tried (a model that could not annotate the video keeps them)."""
    if entry is None:
        return ""
    models = sorted(set(predictions["model"])) if predictions is not None else []
    if not models:
        if entry.status == "failed":
            return f"No predictions: {entry.reason}"
        return "No predictions yet: annotate this video"
    text = f"Predictions by {', '.join(models)}"
    if entry.status == "failed":
        text += f" (kept from an earlier run; the last run failed: {entry.reason})"
    elif chosen_tag and chosen_tag not in models:
        text += f" (the next run uses {chosen_tag})"
    return text
