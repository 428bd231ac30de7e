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


class _Video:
    """What the progress line remembers of one video in flight."""

    def __init__(self, stage: str, now: float, done: float):
        self.stage, self.stage_started, self.done_then = stage, now, done
        self.last_done = done
        self.shown = None  # when its last line was shown

    def count(self, done: float) -> None:
        """Leave out of the rate what came at once (a minute of features found in the cache)."""
        if done - self.last_done > _JUMP_SECONDS:
            self.done_then += done - self.last_done
        self.last_done = done


# A video at least this long gets its first line at once.
_LONG_SECONDS = 600
# A step in seconds done larger than this is features read from the cache, not work done (one
# call reports at most a second of one stream, half a second of the video's progress).
_JUMP_SECONDS = 20


class VideoProgress:
    """`(path, seconds done, seconds in the video, stage)` from the batch, shown as one line per
    video at most every `every` seconds, e.g.
    `annotate: talk.mp4 1260/7200 s of video (decoding, 41 s/s, 2:25 left)`.

    A video is shown once a stage ("decoding", then "labelling") has run `every` seconds (a video
    of ten minutes or more at once), so a folder of short clips keeps its one bar; a video shown
    once is then shown every `every` seconds. The rate counts only seconds done by this stage in
    this run, so seconds resumed from the cache do not make the time left look shorter than it
    is."""

    def __init__(self, label: str = "annotate", stream=None, every: float = 3.0, clock=None):
        self.label, self.every = label, every
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._videos: dict[str, _Video] = {}

    def __call__(self, path, done: float, total: float, stage: str = "decoding") -> None:
        now = self.clock()
        with self._lock:
            video = self._videos.get(str(path))
            if video is None or video.stage != stage:
                shown = video.shown if video is not None else None
                video = self._videos[str(path)] = _Video(stage, now, done)
                video.shown = shown
            if stage == "decoding":
                video.count(done)
            if stage == "labelling" and done >= total:
                del self._videos[str(path)]
            # A long video is shown at once: its first line says how long the wait will be.
            started = video.stage_started - (self.every if total >= _LONG_SECONDS else 0.0)
            since = now - (started if video.shown is None else video.shown)
            if since < self.every:
                return
            video.shown = now
            elapsed, decoded = now - video.stage_started, done - video.done_then
        self._show(str(path), done, total, stage, decoded / elapsed if elapsed > 0 else 0.0)

    def _show(self, path: str, done: float, total: float, stage: str, rate: float) -> None:
        if rate > 0 and done < total:
            state = f"{stage}, {rate:.0f} s/s, {clock_text((total - done) / rate)} left"
        else:
            state = stage
        line = f"{self.label}: {Path(path).name[:50]} {done:.0f}/{total:.0f} s of video ({state})"
        with self._lock:
            self.stream.write(("\r" + line.ljust(100) + "\n") if self.tty else line + "\n")
            self.stream.flush()
