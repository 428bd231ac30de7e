"""One training run in a child process (training_process), followed from the GUI thread
through QProcess (child_process): its JSON lines become signals. Cancel asks the process to stop
within a batch; a process that does not stop is killed (nothing is written either way)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal

from .child_process import ChildProcessRun


class TrainingRun(ChildProcessRun):
    MODULE = "annotator.gui.training_process"
    WHAT = "training"

    labelsCounted = Signal(dict, int)  # labelled seconds per class, labelled videos
    featuresProgress = Signal(int, int, str)  # videos read, videos in all, the last one
    epochDone = Signal(dict)  # an EpochReport as a dict
    trained = Signal(str, dict)  # the new bundle's folder, its card
    failed = Signal(str)  # why training could not finish

    def __init__(
        self,
        store_path: Path,
        out_dir: Path,
        architecture: str,
        epochs: int,
        cache_dir=None,
        seed: int = 0,
        parent=None,
    ):
        super().__init__(
            {
                "store": str(store_path),
                "out": str(out_dir),
                "architecture": architecture,
                "epochs": int(epochs),
                "seed": int(seed),
                "cache_dir": str(cache_dir) if cache_dir else None,
            },
            parent,
        )

    def _report_failure(self, reason: str) -> None:
        self.failed.emit(reason)

    def _dispatch(self, event: dict) -> None:
        kind = event.pop("event")
        if kind == "labels":
            self.labelsCounted.emit(dict(event["seconds"]), int(event["videos"]))
        elif kind == "features":
            self.featuresProgress.emit(int(event["done"]), int(event["total"]), event["video"])
        elif kind == "epoch":
            self.epochDone.emit(event)
        elif kind == "done":
            self.trained.emit(event["bundle"], dict(event["card"]))
        elif kind == "error":
            self.failed.emit(event["reason"])
