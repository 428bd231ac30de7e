"""Measure how long closing the training dialog mid-run blocks the window (issue 20).

Opens the real window (offscreen) on three novel demo clips whose truth is put in the store as
human labels, starts "Train on my labels", waits for the run to report, then closes the dialog
and answers "Stop training" (on a checkout without that question, the close itself stops the
run). A 10 ms timer measures the event loop's longest gap until the run has ended.

  QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/measure_training_close.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wait(app, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    return condition()


def measure() -> None:
    from PySide6.QtCore import QSettings, QTimer

    from annotator.core.csv_io import read_per_second_csv
    from annotator.core.demo.demo_data import generate_demo_data
    from annotator.gui.app import application
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mine"
        generate_demo_data(folder, clips=3, seed=71, class_set="novel")
        truth = read_per_second_csv(folder / "labels.csv")
        for extra in ("labels.csv", "clips.csv"):
            (folder / extra).unlink()
        app = application()
        window = MainWindow(AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)))
        window.show()
        window.open_folder(folder)
        _wait(app, lambda: all(e.duration for e in window.project.entries.values()), 60)
        for video, rows in truth.groupby("video"):
            labels = dict(zip(rows["second"].astype(int), rows["label"]))
            window.project.set_labels(video, labels, "truth")
        dialog = window.learning.ask_train()
        dialog.epochs.setValue(200)
        dialog.start()
        run = dialog.run
        _wait(app, lambda: dialog.progress.value() > 0, 300)
        gaps, last = [], [time.perf_counter()]

        def tick():
            now = time.perf_counter()
            gaps.append((now - last[0], last[0]))
            last[0] = now

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        started = time.perf_counter()
        dialog.close()
        if hasattr(dialog, "leave_question") and dialog.leave_question is not None:
            dialog.stop_button.click()
        _wait(app, lambda: not run.is_running(), 60)
        ended = time.perf_counter()
        tick()
        timer.stop()
        top = sorted(gaps, reverse=True)[:3]
        print(
            f"close + stop: longest event-loop gap {top[0][0] * 1000:.0f} ms "
            f"(10 ms timer), run ended {ended - started:.1f} s after the click; "
            f"load {os.getloadavg()[0]:.1f}; longest gaps began at "
            + ", ".join(f"{(t - started):+.2f} s ({g * 1000:.0f} ms)" for g, t in top)
        )
        window.close()


if __name__ == "__main__":
    measure()
