"""Measure the app's window on a video library of thousands of nested files (issue 18).

1. Builds a library with scripts/make_library.py (hard links of the samples in nested folders
   with spaces and unicode in their names).
2. Open: a fresh Python process builds the main window, shows it and opens the library; the time
   from the open call to the window drawn (the video list painted) and responsive (a 0 ms timer
   fires), then the event-loop delay over the next seconds (the durations being probed). First
   open (no store yet: every video pending), a second open, and an open of the annotated library.
3. Batch: the window annotates one top folder of the library (its sub-folders included) while
   the list holds every row; a 10 ms QTimer records its own lateness (event-loop delay). Then
   `annotate --recursive` on the same folder with the same --jobs; both with an empty feature
   cache, so both decode everything.
4. Sort: the time to sort the 2,000-row list by each column (both orders, then painted), on the
   annotated library.

For the "annotated" open and the sort, every video of the library needs predictions: the batch
annotates the chosen folder for real, and each other video gets the stored predictions of a
video annotated in the batch that is a link of the same sample clip (the same bytes, so the
same predictions the model gives it); this is stated in the output.

Usage: python scripts/measure_library.py [--files 2000] [--jobs 2] [--out DIR] [--no-batch]
Uses the offscreen Qt platform unless a display is set; prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from measure_gui import LoopProbe, _run_events, _summary  # noqa: E402

_OPEN_CHILD = """
import json, sys, time
from PySide6.QtCore import QSettings, QTimer
from annotator.gui.app import application
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings
sys.path.insert(0, sys.argv[3])
from measure_gui import LoopProbe, _run_events
app = application()
window = MainWindow(AppSettings(QSettings(sys.argv[1], QSettings.IniFormat)))
window.show()
_run_events(app, 1.0)
marks = {}
started, cpu = time.perf_counter(), time.thread_time()
window.open_folder(sys.argv[2])
marks["opened"] = time.perf_counter() - started
window.folder_view.table.viewport().repaint()  # the list drawn, rows and all
window.repaint()
marks["drawn"] = time.perf_counter() - started
marks["cpu"] = time.thread_time() - cpu
def responsive():
    marks["responsive"] = time.perf_counter() - started
QTimer.singleShot(0, responsive)
probe = LoopProbe()
_run_events(app, 4.0)
delays = sorted(d for _t, d in probe.samples)
marks["rows"] = window.folder_view.model.rowCount()
marks["p95"] = delays[int(0.95 * (len(delays) - 1))] if delays else 0.0
marks["max"] = delays[-1] if delays else 0.0
window.close()
print(json.dumps(marks), flush=True)
"""


def measure_open(library: Path, settings: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _OPEN_CHILD, str(settings), str(library), str(ROOT / "scripts")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise SystemExit(f"open measurement failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _open_line(label: str, marks: dict) -> tuple[str, str]:
    return (
        f"Open, {label}",
        f"{marks['rows']} rows: drawn {marks['drawn']:.2f} s (GUI thread CPU "
        f"{marks['cpu']:.2f} s), responsive {marks['responsive']:.2f} s after the open call; "
        "then event-loop delay over 4 s "
        f"p95 {marks['p95'] * 1000:.0f} ms, max {marks['max'] * 1000:.0f} ms",
    )


def build_library(out: Path, files: int) -> Path:
    import make_library

    out.mkdir(parents=True, exist_ok=True)
    made, folders = make_library.make_short_files(
        out, make_library.sample_clips(make_library.DEFAULT_SAMPLES), files, (1, 5), 0
    )
    print(f"library: {made} files in {folders} folders under {out}", file=sys.stderr)
    return out


def batch_folder(library: Path) -> Path:
    """The top folder with the fewest videos (a batch of a few hundred on 2,000 files)."""
    counts = {
        top: sum(1 for p in top.rglob("*") if p.is_file())
        for top in sorted(library.iterdir())
        if top.is_dir() and not top.name.startswith(".")
    }
    return min(counts, key=counts.get)


def app_batch(library: Path, folder: Path, jobs: int, tmp: Path) -> dict:
    from PySide6.QtCore import QSettings

    from annotator.gui.app import application
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    app = application()
    window = MainWindow(
        AppSettings(QSettings(str(tmp / "batch.ini"), QSettings.IniFormat)),
        cache_dir=tmp / "app-cache",
    )
    window.show()
    window.open_folder(library)
    probing = time.perf_counter()
    while window.project.unprobed() and time.perf_counter() - probing < 600:
        _run_events(app, 0.5)  # the batch starts once the list knows every duration
    probed = time.perf_counter() - probing
    prefix = folder.name + "/"
    names = [n for n in window.project.names() if n.startswith(prefix)]
    window.annotation.jobs = jobs
    probe = LoopProbe()
    _run_events(app, 10.0)  # a baseline: the window idle, the machine as busy as it is
    marks: dict = {"idle_start": time.perf_counter() - 10.0}
    window.annotation.runFinished.connect(
        lambda summary: (marks.update(end=time.perf_counter(), summary=summary), app.exit(0))
    )
    marks["start"], cpu = time.perf_counter(), time.thread_time()
    if not window.annotation.start(names, window.bundle_panel.current()):
        raise SystemExit("nothing to annotate (no bundle installed?)")
    window.annotation.run.videoStarted.connect(
        lambda _n: marks.setdefault("first_video", time.perf_counter())
    )
    app.exec()
    cpu = time.thread_time() - cpu
    result = {
        "idle": probe.delays(marks["idle_start"], marks["start"]),
        "cpu": cpu,
        "rows": window.folder_view.model.rowCount(),
        "videos": len(names),
        "wall": marks["end"] - marks["start"],
        "summary": marks["summary"],
        "loading": probe.delays(marks["start"], marks.get("first_video", marks["end"])),
        "annotating": probe.delays(marks.get("first_video", marks["end"]), marks["end"]),
        "bundle": window.bundle_panel.current().tag,
        "probed": probed,
    }
    probe.timer.stop()
    window.close()
    return result


def cli_batch(folder: Path, jobs: int, tmp: Path) -> float:
    env = {**os.environ, "AV_ANNOTATOR_CACHE": str(tmp / "cli-cache"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "main.py"), "annotate", str(folder), "--recursive"]
    command += ["--jobs", str(jobs), "--out", str(tmp / "cli.csv")]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"annotate failed:\n{out.stderr[-2000:]}")
    return wall


def annotate_the_rest(library: Path) -> int:
    """Every unannotated video gets the predictions of an annotated link of the same clip."""
    from annotator.core.store import ProjectStore

    store = ProjectStore.for_folder(library)
    try:
        rows = store.video_summaries()
        by_inode: dict[int, str] = {}
        for row in rows:
            if row["status"] == "done":
                by_inode.setdefault((library / row["video"]).stat().st_ino, row["video"])
        copies = []
        for row in rows:
            source = by_inode.get((library / row["video"]).stat().st_ino)
            if row["status"] != "done" and source:
                table = store.predictions(source).assign(video=row["video"])
                copies.append((row["video"], table, store.attention(source), None))
        store.save_annotations(copies)
        return len(copies)
    finally:
        store.close()


def measure_sort(library: Path, tmp: Path) -> list[tuple[str, float]]:
    from PySide6.QtCore import QSettings, Qt

    from annotator.gui.app import application
    from annotator.gui.folder_view import COLUMNS
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    app = application()
    window = MainWindow(AppSettings(QSettings(str(tmp / "sort.ini"), QSettings.IniFormat)))
    window.show()
    window.open_folder(library)
    _run_events(app, 2.0)
    table = window.folder_view.table
    table.selectAll()  # a selection follows its rows: the costly case
    results = []
    for column, title in enumerate(COLUMNS):
        worst = worst_cpu = 0.0
        for order in (Qt.DescendingOrder, Qt.AscendingOrder):
            started, cpu = time.perf_counter(), time.thread_time()
            table.sortByColumn(column, order)
            table.viewport().repaint()
            worst = max(worst, time.perf_counter() - started)
            worst_cpu = max(worst_cpu, time.thread_time() - cpu)
        results.append((title, worst, worst_cpu))
    window.close()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--no-batch", action="store_true", help="skip the app/CLI batches")
    args = parser.parse_args(argv)
    tmp = Path(args.out or tempfile.mkdtemp(prefix="measure-library-"))
    if tmp.exists() and any(tmp.iterdir()):
        raise SystemExit(f"{tmp}: exists and is not empty")
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["AV_ANNOTATOR_CACHE"] = str(tmp / "app-cache")
    library = build_library(tmp / "library", args.files)
    rows = [("Load (uptime) at start", os.getloadavg().__repr__())]
    rows.append(
        _open_line(
            "first time (no store yet, nothing annotated)", measure_open(library, tmp / "o1.ini")
        )
    )
    rows.append(
        _open_line("again (store kept, durations probed)", measure_open(library, tmp / "o2.ini"))
    )
    if not args.no_batch:
        folder = batch_folder(library)
        app = app_batch(library, folder, args.jobs, tmp)
        cli = cli_batch(folder, args.jobs, tmp)
        rows += [
            (
                "App batch",
                f"{app['videos']} videos of '{folder.name}' (list of {app['rows']} rows), "
                f"{app['bundle']}, --jobs {args.jobs}: {app['wall']:.1f} s ({app['summary']})",
            ),
            (
                "Durations of the videos still unprobed, probed before the batch",
                f"{app['probed']:.1f} s",
            ),
            ("`annotate --recursive` on the same folder", f"{cli:.1f} s, --jobs {args.jobs}"),
            ("App / command line", f"{app['wall'] / cli:.2f}×"),
            (
                "GUI thread CPU during the app's batch",
                f"{app['cpu']:.1f} s of {app['wall']:.0f} s "
                f"({app['cpu'] / app['videos'] * 1000:.0f} ms a video)",
            ),
            ("Event-loop delay, window idle (10 s before the batch)", _summary(app["idle"])),
            ("Event-loop delay while the model loads", _summary(app["loading"])),
            ("Event-loop delay while the app annotates", _summary(app["annotating"])),
        ]
        copied = annotate_the_rest(library)
        rows.append(
            _open_line(
                f"annotated ({copied} videos given the predictions of a link of the same clip)",
                measure_open(library, tmp / "o3.ini"),
            )
        )
    for title, seconds, cpu in measure_sort(library, tmp):
        rows.append(
            (
                f"Sort by '{title}' ({args.files} rows, all selected; slower order)",
                f"{seconds * 1000:.0f} ms (GUI thread CPU {cpu * 1000:.0f} ms)",
            )
        )
    rows.append(("Load (uptime) at end", os.getloadavg().__repr__()))
    platform = os.environ.get("QT_QPA_PLATFORM") or "xcb (display)"
    print(f"Qt platform: {platform}; {os.cpu_count()} CPU cores\n")
    print("| Measure | Value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.out is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
