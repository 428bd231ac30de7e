"""Choosing a model bundle and reading its card, without loading TensorFlow.

Only the cards (JSON) are read here; the Keras model is loaded by the annotation worker, in its
own thread, the first time a video is annotated. That is what keeps the window's start fast.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from ..core.conventions import BACKGROUND
from ..ml.bundle import ModelBundle, installed_bundles, models_dir, out_of_fold_text


def model_knowledge(bundle: ModelBundle) -> str:
    """What the model knows, from its card: its classes and the data it learned them from."""
    classes = [c for c in bundle.classes if c != BACKGROUND]
    training = bundle.card.get("training", {})
    videos, data = training.get("videos"), training.get("data")
    if videos and training.get("final_model_trained_on_all_videos"):
        videos += training.get("validation_videos") or 0  # trained again with the held-out ones
    source = (
        f"{videos} videos of {data}"
        if videos and data
        else str(data)
        if data
        else "data the card does not name"
    )
    return f"{len(classes)} classes + background, learned from {source}"


def card_html(bundle: ModelBundle) -> str:
    card = bundle.card
    classes = [c for c in bundle.classes if c != BACKGROUND]
    accuracy = bundle.held_out_accuracy
    heads = card.get("metrics", {}).get("heads", {})
    head_text = ", ".join(f"{k} {v:.0%}" for k, v in heads.items() if v is not None)
    accuracy_text = out_of_fold_text(card)
    if accuracy_text:
        head_text = ""  # the heads were measured on the validation split only
    else:
        accuracy_text = f"{accuracy:.1%} per second" if accuracy is not None else "not measured"
    rows = [
        ("Model", f"{bundle.tag} ({bundle.architecture})"),
        ("Knows", model_knowledge(bundle)),
        (
            "Held-out accuracy",
            accuracy_text + (f" — heads: {head_text}" if head_text else ""),
        ),
        (
            "Cost",
            f"{card.get('parameter_count', 0):,} parameters, "
            f"{card.get('multiply_adds_per_second', 0) / 1e9:.2f} G multiply-adds per "
            "second of video",
        ),
        ("Classes", ", ".join(classes)),
    ]
    body = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f"<table cellspacing='2'>{body}</table>"


class BundlePanel(QWidget):
    """A combo box of installed bundles and the chosen one's card."""

    bundleChanged = Signal(object)  # the chosen ModelBundle, or None when none is installed
    userChose = Signal(object)  # the reviewer picked this ModelBundle in the list

    def __init__(self, parent=None):
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.card = QLabel(self)
        self.card.setWordWrap(True)
        self.card.setTextFormat(Qt.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.card)
        self.bundles: list[ModelBundle] = []
        self.extra_dirs: list[Path] = []
        self.combo.currentIndexChanged.connect(self._on_choice)
        self.combo.activated.connect(lambda _index: self.userChose.emit(self.current()))

    def set_extra_dirs(self, folders: list[Path]) -> None:
        """Also list the bundles in these folders (the open project's own models)."""
        current = self.current()
        self.extra_dirs = [Path(f) for f in folders]
        self.reload(current.name if current else None)

    def reload(self, preferred: str | None = None) -> None:
        """Read the installed cards again; keep `preferred` (a bundle name) chosen if present."""
        self.bundles, problems = installed_bundles(self.extra_dirs, for_videos=True)
        self.combo.blockSignals(True)
        self.combo.clear()
        for bundle in self.bundles:
            accuracy = bundle.held_out_accuracy
            self.combo.addItem(
                f"{bundle.tag} — {bundle.architecture}"
                + (f" ({accuracy:.0%})" if accuracy is not None else "")
            )
        self.combo.blockSignals(False)
        if not self.bundles:
            self.card.setText(
                f"No model bundles in {models_dir()}.<br>Train one with "
                "<code>python main.py train</code>."
                + "".join(f"<br>{html.escape(p)}" for p in problems)
            )
            self.bundleChanged.emit(None)
            return
        names = [b.name for b in self.bundles]
        self.combo.setCurrentIndex(names.index(preferred) if preferred in names else 0)
        self._on_choice(self.combo.currentIndex())

    def current(self) -> ModelBundle | None:
        index = self.combo.currentIndex()
        return self.bundles[index] if 0 <= index < len(self.bundles) else None

    def choose(self, name_or_path: str) -> bool:
        for index, bundle in enumerate(self.bundles):
            if name_or_path in (bundle.name, str(bundle.path), str(Path(bundle.path).resolve())):
                self.combo.setCurrentIndex(index)
                return True
        return False

    def _on_choice(self, index: int) -> None:
        bundle = self.current()
        if bundle is not None:
            self.card.setText(card_html(bundle))
        self.bundleChanged.emit(bundle)
