"""Take docs/screenshot.png: the real window on a copy of the samples, annotated, mid-review.

Run under a real X screen, e.g.:
  xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_gui.py
  xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_gui.py \
      --size 1024x700 --out docs/screenshot-1024x700.png
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wait(app, condition, seconds: float) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def _most_eventful(window) -> str:
    """A video with an event inside background (the most event seconds of those), so the
    timeline shows where the event starts and ends."""

    def event_seconds(name):
        labels = window.project.predictions(name)["label"]
        events = int((labels != "background").sum())
        return (0 < events < len(labels), events)

    return max(window.project.names(), key=event_seconds)


def take(
    out: Path, samples: Path, video: str | None, model: str, size: tuple[int, int] = (1560, 940)
) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings

    from annotator.gui.app import application
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "samples"
        shutil.copytree(samples, folder, ignore=shutil.ignore_patterns(".av-annotator"))
        app = application()
        window = MainWindow(AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)))
        window.resize(*size)
        window.move(20, 20)
        window.show()
        window.bundle_panel.choose(model)  # the attention model fills every lane
        window.open_folder(folder)
        finished = []
        window.annotation.runFinished.connect(finished.append)
        window.annotate_all()
        _wait(app, lambda: bool(finished), 600)
        name = video or _most_eventful(window)
        window.folder_view.select(name)
        _wait(app, window.timeline.preview_complete, 60)
        _review_a_little(window)
        _wait(app, lambda: window.player.still.time == window.timeline.cursor, 30)
        _wait(app, lambda: False, 0.5)
        image = window.screen().grabWindow(
            0,
            window.x(),
            window.y(),
            window.frameGeometry().width(),
            window.frameGeometry().height(),
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(out))
        window.close()
        # Delete the window (and its media player) now, not at interpreter exit, where
        # PySide's teardown of a player that has played can abort.
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        app.processEvents()


def _review_a_little(window) -> None:
    """Accept the first predicted event as a person would, choose the label to paint next in
    the palette, and leave the cursor inside the event (the player shows its picture)."""
    timeline = window.timeline
    labels = timeline.predicted_labels()
    events = [s for s, label in enumerate(labels) if label != "background"]
    if events:
        timeline.seek(events[0] + 0.5)
        window.review.accept()
        timeline.seek(min(events[-1], timeline.seconds - 1) + 0.3)
        window.palette.choose(labels[events[0]])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--samples", default=str(ROOT / "resources" / "samples"))
    parser.add_argument(
        "--video",
        default=None,
        help="which sample to show (default: the one with the longest event)",
    )
    parser.add_argument("--model", default="attention", help="bundle to annotate with")
    parser.add_argument("--size", default="1560x940", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    take(Path(args.out), Path(args.samples), args.video, args.model, (width, height))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
