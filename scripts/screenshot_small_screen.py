"""Take docs/review-window-1280x800.png: the real window, at the size it opens with, on a
laptop-sized X screen, over a folder of 300 videos with long names and a 20-class palette.

The whole screen is grabbed, so the picture shows whether the window fits. Run under a real X
screen of the size to check, e.g.:
  xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_small_screen.py
  xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshot_small_screen.py \
      --out docs/review-window-1366x768.png
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLACES = ("harbour", "riverside", "ferry_terminal", "north_pier", "container_yard")
TIMES = ("morning", "noon", "evening", "night")
EXTRA_CLASSES = [
    "Foghorn",
    "Mooring rope creak",
    "Seagull colony",
    "Crane motor",
    "Forklift reversing",
    "Ship's bell",
    "Tug whistle",
    "Rain on metal",
    "Anchor chain",
    "Diesel idle",
    "Radio chatter",
    "Hull knock",
]


def _wait(app, condition, seconds: float) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def long_named_folder(samples: Path, out: Path, count: int) -> Path:
    """`count` videos named like harbour_morning_survey_camera2.mp4 (hard links to the samples,
    so the folder costs no space)."""
    clips = sorted(samples.glob("*.mp4"))
    out.mkdir(parents=True)
    for index in range(count):
        place, time_of_day = PLACES[index % len(PLACES)], TIMES[(index // 5) % len(TIMES)]
        name = f"{place}_{time_of_day}_survey_camera{index // 20 + 1}_take{index % 20 + 1:02d}.mp4"
        source = clips[index % len(clips)]
        try:
            os.link(source, out / name)
        except OSError:
            shutil.copy2(source, out / name)
    return out


def take(out: Path, samples: Path, count: int, annotate: int) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings

    from annotator.gui.app import application
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    with tempfile.TemporaryDirectory() as tmp:
        folder = long_named_folder(samples, Path(tmp) / "harbour_survey", count)
        app = application()
        window = MainWindow(AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)))
        window.show()  # at the size it chooses for this screen: that is what is checked
        window.bundle_panel.choose("attention")
        window.open_folder(folder)
        window.project.add_classes(EXTRA_CLASSES)
        names = window.project.names()[:annotate]
        finished = []
        window.annotation.runFinished.connect(finished.append)
        window.annotation.start(names, window.bundle_panel.current(), again=False)
        _wait(app, lambda: bool(finished), 900)
        window.folder_view.select(names[0])
        _wait(app, window.timeline.preview_complete, 60)
        window.timeline.seek(2.4)
        _wait(app, lambda: False, 1.0)
        screen = window.screen()
        area = screen.availableGeometry()
        frame = window.frameGeometry()
        print(f"screen {area.width()}x{area.height()}, window {frame.width()}x{frame.height()}")
        image = screen.grabWindow(0, 0, 0, screen.geometry().width(), screen.geometry().height())
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(out))
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        app.processEvents()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "review-window-1280x800.png"))
    parser.add_argument("--samples", default=str(ROOT / "resources" / "samples"))
    parser.add_argument("--videos", type=int, default=300)
    parser.add_argument("--annotate", type=int, default=3, help="videos to annotate first")
    args = parser.parse_args(argv)
    take(Path(args.out), Path(args.samples), args.videos, args.annotate)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
