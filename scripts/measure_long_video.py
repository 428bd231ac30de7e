"""Long videos: peak memory and speed of `annotate` (issue 4: at most 2 GB), and the window
with an hours-long recording open (issue 18: fit in one keystroke, zoom and scroll steps under
100 ms, the app under 600 MB).

`annotate` mode renders the video once (low resolution, streamed frame by frame through
encode_clip, audio in blocks, so rendering never holds it in memory), then runs a fresh
`python main.py annotate VIDEO --no-cache` with the feature cache in a temporary folder, and
samples the memory of that process and its ffmpeg children while it runs.

    .venv/bin/python scripts/measure_long_video.py [--minutes 60] [--video PATH] [--model NAME]

`--video PATH` reuses (or, if missing, renders into) PATH; without it the video lives in a
temporary folder and is deleted afterwards. Prints one JSON object.

`--window` mode makes a recording (in a temporary folder, deleted afterwards, unless `--video
PATH` names where to keep or find it) with ffmpeg's test sources (96x54 pictures at 5 frames a
second and a tone that changes every minute: seconds to make, even for 10 hours), annotates it
in the real main window (offscreen, the app's own child process), shows it, and times fitting
the whole video, every zoom step from fitted to the closest zoom and back, and page scrolls at
several zooms (each step includes the timeline's repaint); then reports the app's memory:

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/measure_long_video.py --window
        [--minutes 120] [--video PATH] [--no-annotate]
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

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from annotator.core.feature_cache import CACHE_ENV  # noqa: E402
from annotator.core.media import probe  # noqa: E402

WIDTH, HEIGHT, FPS = 320, 180, 15
SAMPLE_RATE = 22_050
AUDIO_BLOCK_SECONDS = 60
MEMORY_LIMIT_MB = 2048


def long_frames(seconds: float, rng):
    """A panning textured scene with a moving disc, one frame at a time."""
    import cv2

    from annotator.core.demo.encode import frame_count

    scene = cv2.resize(
        rng.integers(0, 256, (HEIGHT // 6, WIDTH // 6, 3), dtype=np.uint8),
        (2 * WIDTH, 2 * HEIGHT),
        interpolation=cv2.INTER_CUBIC,
    )
    for index in range(frame_count(seconds, FPS)):
        t = index / FPS
        left = int(WIDTH / 2 * (1 + np.sin(0.05 * t)))
        top = int(HEIGHT / 2 * (1 + np.cos(0.03 * t)))
        frame = np.ascontiguousarray(scene[top : top + HEIGHT, left : left + WIDTH])
        centre = (int(WIDTH / 2 + 120 * np.sin(0.9 * t)), int(HEIGHT / 2 + 60 * np.cos(0.7 * t)))
        cv2.circle(frame, centre, 25, (240, 200, 40), -1)
        yield frame


def long_audio(seconds: float, rng):
    """Mono blocks of a minute: a tone whose pitch changes every minute, over noise."""
    from annotator.core.demo.encode import sample_count

    total = sample_count(seconds, SAMPLE_RATE)
    block = AUDIO_BLOCK_SECONDS * SAMPLE_RATE
    for start in range(0, total, block):
        t = np.arange(start, min(start + block, total)) / SAMPLE_RATE
        pitch = 200 + 50 * (start // block % 10)
        yield (0.2 * np.sin(2 * np.pi * pitch * t) + 0.05 * rng.standard_normal(t.size)).astype(
            np.float32
        )


def render(path: Path, minutes: float) -> float:
    """Render the video; returns the seconds it took."""
    from annotator.core.demo.encode import encode_clip

    started = time.perf_counter()
    rng = np.random.default_rng(60)
    seconds = 60 * minutes
    encode_clip(
        path,
        long_frames(seconds, rng),
        long_audio(seconds, rng),
        FPS,
        SAMPLE_RATE,
        threads=2,
        extra_args=["-preset", "veryfast"],
    )
    return time.perf_counter() - started


def annotate(video: Path, model: str | None, work: Path) -> dict:
    """Run a fresh `annotate` on the video; its wall time and peak memory."""
    from annotator.ml.bench.measures import MemoryWatch

    out_csv = work / "long.csv"
    command = [
        sys.executable,
        str(PROJECT_ROOT / "main.py"),
        "annotate",
        str(video),
        "--out",
        str(out_csv),
        "--no-cache",
        *(["--model", model] if model else []),
    ]
    env = {**os.environ, CACHE_ENV: str(work / "cache")}
    started = time.perf_counter()
    with open(work / "annotate.log", "wb") as log_file:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
        )
        with MemoryWatch(process.pid) as memory:
            process.wait()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(
            f"annotate failed ({process.returncode}):\n"
            + (work / "annotate.log").read_text(errors="replace")[-3000:]
        )
    rows = sum(1 for _ in open(out_csv, encoding="utf-8")) - 1
    return {
        "wall_s": round(wall, 1),
        "rows": rows,
        "peak_memory_mb": round(memory.peak_mb),
        "command": " ".join(["python", "main.py", *command[2:]]),
    }


# ---- the window with a long recording open (issue 18) --------------------------------------

TEST_SOURCE_SIZE, TEST_SOURCE_FPS = "96x54", 5
STEP_LIMIT_MS, WINDOW_MEMORY_LIMIT_MB = 100.0, 600.0


def make_test_recording(path: Path, seconds: float) -> Path:
    """A recording from ffmpeg's test sources: a moving test picture and a tone that changes
    pitch every minute and swells every 37 s (so the waveform and spectrogram have shape)."""
    from annotator.core.media import ffmpeg_exe

    tone = "0.3*sin(2*PI*(220+110*mod(floor(t/60),5))*t)*(0.6+0.4*sin(2*PI*t/37))"
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"testsrc2=size={TEST_SOURCE_SIZE}:rate={TEST_SOURCE_FPS}"]
    command += ["-f", "lavfi", "-i", f"aevalsrc='{tone}':s=16000", "-t", f"{seconds:.3f}"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"]
    command += ["-c:a", "aac", "-b:a", "32k", "-shortest", str(path)]
    subprocess.run(command, check=True)
    return path


def _memory_mb() -> dict:
    """This process's resident memory now and its high-water mark (kernel's VmHWM)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024)
    return {"rss_mb": fields.get("VmRSS"), "peak_rss_mb": fields.get("VmHWM")}


def _wait(app, done, timeout_s: float, what: str) -> float:
    started = time.perf_counter()
    while not done():
        if time.perf_counter() - started > timeout_s:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)
    return time.perf_counter() - started


def _timed(app, view, action) -> tuple[float, float]:
    """One step, the action and the timeline's repaint it causes: (wall ms, CPU ms). The CPU
    time is this process's own, so it hardly depends on how busy the machine is."""
    app.processEvents()
    started, cpu = time.perf_counter(), time.process_time()
    action()
    view.repaint()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def _summary(steps: list[tuple[float, float]]) -> dict:
    wall, cpu = np.array(steps).T
    return {
        "steps": len(steps),
        "median_ms": round(float(np.median(wall)), 1),
        "max_ms": round(float(np.max(wall)), 1),
        "cpu_median_ms": round(float(np.median(cpu)), 1),
        "cpu_max_ms": round(float(np.max(cpu)), 1),
    }


def _zoom_and_scroll(app, window) -> dict:
    view, state = window.timeline_view, window.timeline
    state.seek(state.duration / 2)
    fits = []
    for _ in range(5):  # from a minute around the cursor to the whole video, in one keystroke
        state.set_zoom(view.canvas.lane_width() / 60.0, anchor=state.cursor, anchor_x=300)
        _timed(app, view, lambda: None)
        fits.append(_timed(app, view, view.fit))
    shown = state.visible_seconds(view.canvas.lane_width())
    zoom_in, zoom_out = [], []
    while state.pixels_per_second < 400.0:
        zoom_in.append(_timed(app, view, view.zoom_in))
    while state.pixels_per_second > view.fit_zoom() * 1.0001:
        zoom_out.append(_timed(app, view, view.zoom_out))
    scroll = {}
    for zoom in (view.fit_zoom() * 4, 1.0, 10.0, 60.0, 400.0):
        state.set_zoom(zoom, anchor=0.0)
        steps = []
        for _ in range(15):
            page = state.visible_seconds(view.canvas.lane_width())
            to = state.view_start + page if state.view_start + 2 * page < state.duration else 0.0
            steps.append(_timed(app, view, lambda t=to: state.scroll_to(t)))
        scroll[f"{zoom:.3g} px/s"] = _summary(steps)
    everything = [w for w, _ in fits + zoom_in + zoom_out]
    everything += [s["max_ms"] for s in scroll.values()]
    return {
        "fit": _summary(fits),
        "fit_shows_s": round(shown, 1),
        "zoom_in": _summary(zoom_in),
        "zoom_out": _summary(zoom_out),
        "scroll_by_a_page": scroll,
        "slowest_step_ms": round(max(everything), 1),
    }


def measure_window(video: Path | None, minutes: float, annotate: bool = True) -> int:
    """Annotate a long recording in the real window, then time fit, zoom and scroll."""
    from PySide6.QtCore import QSettings

    from annotator.gui.app import application
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    work = Path(tempfile.mkdtemp(prefix="av-annotator-long-window-"))
    video = video or work / "recording" / "recording.mp4"
    started = time.perf_counter()
    made_s = None
    if not video.exists():
        make_test_recording(video, minutes * 60)
        made_s = round(time.perf_counter() - started, 1)
    os.environ.setdefault(CACHE_ENV, str(work / "cache"))
    app = application()
    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.IniFormat)))
    window.resize(1400, 900)
    window.show()
    window.open_folder(video.parent)
    name = window.project.names()[0]
    _wait(app, lambda: window.project.entry(name).duration, 120, "the probe")
    # Shown on opening: its pictures and sound are built before the model runs (or were before).
    build_s = _wait(app, window.timeline.preview_complete, 3600, "the pictures and sound")
    finished = []
    window.annotation.runFinished.connect(finished.append)
    annotate_s = 0.0
    if annotate and window.project.entry(name).status != "done":
        window.annotate_all()
        annotate_s = _wait(app, lambda: finished, 4 * 3600, "the annotation run")
    window.show_video(name)  # again: now from the tiles on disk
    reopen_s = _wait(app, window.timeline.preview_complete, 60, "the cached pyramid")
    report = {
        "video": str(video),
        "duration_s": round(window.timeline.duration, 1),
        "picture": f"{TEST_SOURCE_SIZE} at {TEST_SOURCE_FPS} fps",
        "made_s": made_s,
        "annotate_in_window_s": round(annotate_s, 1),
        "annotated": finished[0] if finished else ("before" if annotate else "not annotated"),
        "seconds_on_timeline": window.timeline.seconds,
        "pictures_and_sound_built_s": round(build_s, 1),
        "shown_again_s": round(reopen_s, 2),
        "lanes_width_px": round(window.timeline_view.canvas.lane_width()),
        **_zoom_and_scroll(app, window),
        "tiles_held": len(window.timeline.preview.cache),
        "tiles_limit": window.timeline.preview.cache.limit,
        "tiles_read_from_disk": window.timeline.preview.cache.loads,
        **_memory_mb(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    window.close()
    shutil.rmtree(work, ignore_errors=True)  # settings, and the recording unless --video named it
    report["targets_met"] = {
        "fit_shows_whole_video": report["fit_shows_s"] >= report["duration_s"] - 1,
        "steps_under_100_ms": report["slowest_step_ms"] < STEP_LIMIT_MS,
        "memory_under_600_mb": report["rss_mb"] < WINDOW_MEMORY_LIMIT_MB,
    }
    print(json.dumps(report, indent=2))
    return 0 if all(report["targets_met"].values()) else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--video", type=Path, default=None, help="reuse or render into PATH")
    parser.add_argument("--model", default=None, help="bundle name or path (default: the default)")
    parser.add_argument("--window", action="store_true", help="measure the window instead")
    parser.add_argument(
        "--no-annotate", action="store_true", help="--window without running the model first"
    )
    args = parser.parse_args(argv)
    if args.window:
        minutes = 120.0 if args.minutes == 60.0 else args.minutes
        return measure_window(args.video, minutes, annotate=not args.no_annotate)
    with tempfile.TemporaryDirectory(prefix="av-annotator-long-") as folder:
        work = Path(folder)
        video = args.video or work / "one_hour.mp4"
        render_s = None if video.exists() else round(render(video, args.minutes), 1)
        duration = probe(video).duration
        report = {
            "video": str(video),
            "duration_s": duration,
            "size": f"{WIDTH}x{HEIGHT}",
            "fps": FPS,
            "render_s": render_s,
            **annotate(video, args.model, work),
        }
    report["x_real_time"] = round(duration / report["wall_s"], 1)
    report["memory_target_met"] = report["peak_memory_mb"] <= MEMORY_LIMIT_MB
    print(json.dumps(report, indent=2))
    return 0 if report["memory_target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
