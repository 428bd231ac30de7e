"""A job run in a child Python process and followed from the GUI thread through QProcess.

The protocol both children speak (annotation_process, training_process): the job as one JSON
line on stdin, a later line "cancel" to stop at the next safe point, and events as JSON lines
on stdout, the last one {"event": "finished", "cancelled": ...}. Here: starting the child,
reading its lines, cancelling (then killing it if it does not stop), and turning a crash into
one line for the user. What each event means is the subclass's `_dispatch`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

log = logging.getLogger(__name__)

CANCEL_GRACE_MS = 15_000
EVENTS_PER_TURN = 8


def child_environment() -> QProcessEnvironment:
    """The app's environment, with this checkout importable in the child."""
    environment = QProcessEnvironment.systemEnvironment()
    root = str(Path(__file__).resolve().parents[2])
    existing = environment.value("PYTHONPATH", "")
    environment.insert("PYTHONPATH", root + (os.pathsep + existing if existing else ""))
    environment.insert("TF_CPP_MIN_LOG_LEVEL", environment.value("TF_CPP_MIN_LOG_LEVEL", "2"))
    return environment


class ChildProcessRun(QObject):
    """Subclasses set MODULE (the child, run with -m) and WHAT (named in messages), and
    implement `_dispatch(event)` and `_report_failure(reason)`."""

    MODULE = ""
    WHAT = ""
    finished = Signal(bool)  # True when stopped by cancel

    def __init__(self, job: dict, parent=None):
        super().__init__(parent)
        self.job = job
        self.cancelled = False
        self._reported_finish = False
        self._errors: list[str] = []
        self.process = QProcess(self)
        self.process.setProgram(sys.executable)
        self.process.setArguments(["-m", self.MODULE])
        self.process.setProcessEnvironment(child_environment())
        self.process.readyReadStandardOutput.connect(self._read_events)
        self.process.readyReadStandardError.connect(self._read_errors)
        self.process.finished.connect(self._on_exit)
        self.process.errorOccurred.connect(self._on_process_error)

    def _dispatch(self, event: dict) -> None:
        raise NotImplementedError

    def _report_failure(self, reason: str) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self.process.start()
        self.process.write((json.dumps(self.job) + "\n").encode("utf-8"))

    def cancel(self) -> None:
        """Ask the child to stop at its next safe point; kill it if it does not."""
        self.cancelled = True
        if self.is_running():
            self.process.write(b"cancel\n")
            QTimer.singleShot(CANCEL_GRACE_MS, self, self._kill_if_running)

    def _kill_if_running(self) -> None:
        if self.is_running():
            log.warning("%s process did not stop when asked; killing it", self.WHAT)
            self.process.kill()

    def is_running(self) -> bool:
        return self.process.state() != QProcess.NotRunning

    def wait(self, milliseconds: int = 30_000) -> bool:
        if self.is_running() and not self.process.waitForFinished(milliseconds):
            self.process.kill()
            return self.process.waitForFinished(5_000)
        return True

    def _read_events(self, drain: bool = False) -> None:
        """Handle the lines that arrived, EVENTS_PER_TURN at a time: a burst (a step of the
        batch ends) is spread over turns of the event loop, so a click between is served."""
        handled = 0
        while self.process.canReadLine():
            if handled == EVENTS_PER_TURN and not drain:
                QTimer.singleShot(0, self, self._read_events)
                return
            handled += 1
            line = bytes(self.process.readLine()).decode("utf-8", errors="replace").strip()
            if not line.startswith("{"):
                if line:
                    log.info("%s process: %s", self.WHAT, line)
                continue
            try:
                event = json.loads(line)
                if event.get("event") == "finished":
                    self.cancelled = self.cancelled or bool(event["cancelled"])
                else:
                    self._dispatch(event)
            except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
                log.warning("%s process sent a line that could not be read: %s", self.WHAT, exc)

    def _read_errors(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", errors="replace")
        self._errors = (self._errors + text.splitlines())[-20:]

    def _on_process_error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._report_failure(
                f"the {self.WHAT} process could not start ({self.process.errorString()})"
            )
            self._finish()

    def _on_exit(self, code: int, status) -> None:
        self._read_events(drain=True)
        self._read_errors()
        if (status != QProcess.NormalExit or code != 0) and not self.cancelled:
            detail = next((line for line in reversed(self._errors) if line.strip()), "")
            self._report_failure(
                f"the {self.WHAT} process stopped unexpectedly (exit {code})"
                + (f": {detail}" if detail else "")
            )
        self._finish()

    def _finish(self) -> None:
        if not self._reported_finish:
            self._reported_finish = True
            self.finished.emit(self.cancelled)
