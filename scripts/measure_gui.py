"""Measure how fast the app's window appears and how responsive it stays during a batch.

1. Startup: a fresh Python process builds and shows the main window; the time from just before
   the process is started to the window being shown (median of several launches), and whether
   TensorFlow had been imported by then (it must not be).
2. Responsiveness: a 10 ms QTimer runs on the GUI thread while the window annotates a copy of the
   samples from scratch (empty feature cache, model not yet loaded); each tick's lateness is the
   event-loop delay. Reported while the model loads and while videos are annotated.

Usage: .venv/bin/python scripts/measure_gui.py [--samples DIR] [--launches N]
Uses the offscreen Qt platform unless a display is set; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_CHILD = """
import sys, time
from PySide6.QtCore import QSettings, QTimer
from annotator.gui.app import application
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings
app = application()
window = MainWindow(AppSettings(QSettings(sys.argv[1], QSettings.IniFormat)))
window.show()
def shown():
    print(time.time(), 'tensorflow' in sys.modules, flush=True)
    app.exit(0)
QTimer.singleShot(0, shown)   # runs once the show has been processed by the event loop
app.exec()
"""


def measure_startup(launches: int) -> tuple[list[float], bool]:
    times, tensorflow_loaded = [], False
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(launches):
            started = time.time()
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(Path(tmp) / "s.ini")],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=120,
            )
            shown_at, tf = out.stdout.split()[-2:]
            times.append(float(shown_at) - started)
            tensorflow_loaded |= tf == "True"
    return times, tensorflow_loaded


class LoopProbe:
    """A 10 ms timer on the GUI thread; records how late each tick fires."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import QTimer

        self.interval = interval_ms / 1000
        self.samples: list[tuple[float, float]] = []  # (time, delay)
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append((now, max(0.0, now - self._last - self.interval)))
        self._last = now

    def delays(self, start: float, end: float) -> list[float]:
        return [d for t, d in self.samples if start <= t <= end]


def _summary(delays: list[float]) -> str:
    if not delays:
        return "n/a"
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms ({len(ordered)} ticks)"


def _run_events(app, seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        app.processEvents()
        time.sleep(0.001)


def measure_batch(samples: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AV_ANNOTATOR_CACHE"] = str(Path(tmp) / "cache")  # honest: no cached features
        from PySide6.QtCore import QSettings

        from annotator.gui.app import application
        from annotator.gui.main_window import MainWindow
        from annotator.gui.settings import AppSettings

        folder = Path(tmp) / "samples"
        shutil.copytree(samples, folder, ignore=shutil.ignore_patterns(".av-annotator"))
        app = application()
        window = MainWindow(
            AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)),
            cache_dir=Path(tmp) / "cache",
        )
        window.show()
        window.open_folder(folder)
        _run_events(app, 3.0)  # durations probed, the first video's pictures decoded
        probe = LoopProbe()
        marks: dict = {}
        _run_events(app, 2.0)
        marks["start"] = time.perf_counter()
        window.annotation.runFinished.connect(
            lambda summary: (marks.update(end=time.perf_counter(), summary=summary), app.exit(0))
        )
        if not window.annotate_all():
            raise SystemExit("nothing to annotate (no bundle installed?)")
        window.annotation.run.videoStarted.connect(
            lambda _name: marks.setdefault("first_video", time.perf_counter())
        )
        app.exec()
        seconds = sum(e.duration or 0 for e in window.project.entries.values())
        result = {
            "idle": probe.delays(marks["start"] - 2.0, marks["start"]),
            "loading": probe.delays(marks["start"], marks.get("first_video", marks["end"])),
            "annotating": probe.delays(marks.get("first_video", marks["end"]), marks["end"]),
            "wall": marks["end"] - marks["start"],
            "summary": marks["summary"],
            "videos": len(window.project.entries),
            "seconds": seconds,
            "bundle": window.bundle_panel.current().tag,
        }
        window.close()
        return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default=str(ROOT / "resources" / "samples"))
    parser.add_argument("--launches", type=int, default=5)
    args = parser.parse_args(argv)
    startup, tensorflow_loaded = measure_startup(args.launches)
    batch = measure_batch(Path(args.samples))
    platform = os.environ.get("QT_QPA_PLATFORM") or "xcb (display)"
    rows = [
        (
            "Window shown after process start",
            f"median {statistics.median(startup):.2f} s, "
            f"max {max(startup):.2f} s ({len(startup)} launches)",
        ),
        ("TensorFlow imported before the window was shown", "yes" if tensorflow_loaded else "no"),
        (
            "Batch",
            f"{batch['videos']} videos, {batch['seconds']:.0f} s of video, "
            f"{batch['bundle']}, {batch['wall']:.1f} s ({batch['summary']})",
        ),
        ("Event-loop delay, idle", _summary(batch["idle"])),
        (
            "Event-loop delay while the annotation process starts and loads the model",
            _summary(batch["loading"]),
        ),
        ("Event-loop delay while videos are annotated", _summary(batch["annotating"])),
    ]
    print(f"Qt platform: {platform}; {os.cpu_count()} CPU cores\n")
    print("| Measure | Value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
