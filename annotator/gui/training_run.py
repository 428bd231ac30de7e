"""One training run in a child process (training_process), followed from the GUI thread
through QProcess: its JSON lines become signals. Cancel asks the process to stop within a
batch; a process that does not stop is killed (nothing is written either way)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from .workers import CANCEL_GRACE_MS, _child_environment

log = logging.getLogger(__name__)


class TrainingRun(QObject):
    labelsCounted = Signal(dict, int)  # labelled seconds per class, labelled videos
    featuresProgress = Signal(int, int, str)  # videos read, videos in all, the last one
    epochDone = Signal(dict)  # an EpochReport as a dict
    trained = Signal(str, dict)  # the new bundle's folder, its card
    failed = Signal(str)  # why training could not finish
    finished = Signal(bool)  # True when stopped by cancel

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
        super().__init__(parent)
        self.job = {
            "store": str(store_path),
            "out": str(out_dir),
            "architecture": architecture,
            "epochs": int(epochs),
            "seed": int(seed),
            "cache_dir": str(cache_dir) if cache_dir else None,
        }
        self.cancelled = False
        self._reported_finish = False
        self._errors: list[str] = []
        self.process = QProcess(self)
        self.process.setProgram(sys.executable)
        self.process.setArguments(["-m", "annotator.gui.training_process"])
        self.process.setProcessEnvironment(_child_environment())
        self.process.readyReadStandardOutput.connect(self._read_events)
        self.process.readyReadStandardError.connect(self._read_errors)
        self.process.finished.connect(self._on_exit)
        self.process.errorOccurred.connect(self._on_process_error)

    def start(self) -> None:
        self.process.start()
        self.process.write((json.dumps(self.job) + "\n").encode("utf-8"))

    def cancel(self) -> None:
        self.cancelled = True
        if self.is_running():
            self.process.write(b"cancel\n")
            QTimer.singleShot(CANCEL_GRACE_MS, self, self._kill_if_running)

    def _kill_if_running(self) -> None:
        if self.is_running():
            log.warning("training process did not stop when asked; killing it")
            self.process.kill()

    def is_running(self) -> bool:
        return self.process.state() != QProcess.NotRunning

    def wait(self, milliseconds: int = 30_000) -> bool:
        if self.is_running() and not self.process.waitForFinished(milliseconds):
            self.process.kill()
            return self.process.waitForFinished(5_000)
        return True

    def _read_events(self) -> None:
        while self.process.canReadLine():
            line = bytes(self.process.readLine()).decode("utf-8", errors="replace").strip()
            if not line.startswith("{"):
                if line:
                    log.info("training process: %s", line)
                continue
            try:
                self._dispatch(json.loads(line))
            except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
                log.warning("training process sent a line that could not be read: %s", exc)

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
        elif kind == "finished":
            self.cancelled = self.cancelled or bool(event["cancelled"])

    def _read_errors(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", errors="replace")
        self._errors = (self._errors + text.splitlines())[-20:]

    def _on_process_error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self.failed.emit(f"the training process could not start ({self.process.errorString()})")
            self._finish()

    def _on_exit(self, code: int, status) -> None:
        self._read_events()
        self._read_errors()
        if (status != QProcess.NormalExit or code != 0) and not self.cancelled:
            detail = next((line for line in reversed(self._errors) if line.strip()), "")
            self.failed.emit(
                f"the training process stopped unexpectedly (exit {code})"
                + (f": {detail}" if detail else "")
            )
        self._finish()

    def _finish(self) -> None:
        if not self._reported_finish:
            self._reported_finish = True
            self.finished.emit(self.cancelled)
