"""Progress on the terminal: a bar over a batch's items, and a line now and then inside a long
video (seconds done of the total, the rate, the time left). Both write to stderr, so the
command's own output stays clean for scripts."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path


class ProgressBar:
    """A one-line progress bar on stderr (a line per step when stderr is not a terminal)."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.time()
        self.tty = self.stream.isatty()

    def __call__(self, done: int, total: int, item="") -> None:
        width = 24
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.time() - self.started
        name = Path(str(item)).name[:40]
        line = f"{self.label} [{bar}] {done}/{total} {elapsed:5.1f}s {name}"
        if self.tty:
            self.stream.write("\r" + line.ljust(100) + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def clock_text(seconds: float) -> str:
    """'42 s', '3:07', '1:02:09'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class VideoProgress:
    """`(path, seconds done, seconds in the video)` from the pipeline's worker threads, shown as
    one line per video at most every `every` seconds, e.g.
    `annotate: talk.mp4 1260/7200 s of video (41 s/s, 2:25 left)`.

    A video that finishes within `every` seconds prints nothing (a folder of short clips keeps
    its one bar). The rate counts only seconds decoded by this run, so seconds resumed from the
    cache do not make the time left look shorter than it is."""

    def __init__(self, label: str = "annotate", stream=None, every: float = 3.0, clock=None):
        self.label, self.every = label, every
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._videos: dict[str, list[float]] = {}  # path -> [started, done then, last shown]

    def __call__(self, path, done: float, total: float) -> None:
        now = self.clock()
        key = str(path)
        with self._lock:
            seen = self._videos.get(key)
            if seen is None:
                self._videos[key] = [now, done, now]
                return
            finished = done >= total
            if finished:
                del self._videos[key]
            shown_before = seen[2] > seen[0]
            if now - seen[2] < self.every and not (finished and shown_before):
                return
            seen[2] = now
        self._show(key, done, total, now - seen[0], done - seen[1])

    def _show(self, path: str, done: float, total: float, elapsed: float, decoded: float) -> None:
        rate = decoded / elapsed if elapsed > 0 else 0.0
        if done >= total:
            state = "features done, labelling"
        elif rate > 0:
            state = f"{rate:.0f} s/s, {clock_text((total - done) / rate)} left"
        else:
            state = "starting"
        line = f"{self.label}: {Path(path).name[:50]} {done:.0f}/{total:.0f} s of video ({state})"
        with self._lock:
            self.stream.write(("\r" + line.ljust(100) + "\n") if self.tty else line + "\n")
            self.stream.flush()
