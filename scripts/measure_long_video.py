"""Peak memory and speed of `annotate` on a one-hour video (issue 4: at most 2 GB).

Renders the video once (low resolution, streamed frame by frame through encode_clip, audio in
blocks, so rendering never holds it in memory), then runs a fresh
`python main.py annotate VIDEO --no-cache` with the feature cache in a temporary folder, and
samples the memory of that process and its ffmpeg children while it runs.

    .venv/bin/python scripts/measure_long_video.py [--minutes 60] [--video PATH] [--model NAME]

`--video PATH` reuses (or, if missing, renders into) PATH; without it the video lives in a
temporary folder and is deleted afterwards. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from annotator.core.demo.encode import encode_clip, frame_count, sample_count  # noqa: E402
from annotator.core.feature_cache import CACHE_ENV  # noqa: E402
from annotator.core.media import probe  # noqa: E402
from annotator.ml.bench.measures import MemoryWatch  # noqa: E402

WIDTH, HEIGHT, FPS = 320, 180, 15
SAMPLE_RATE = 22_050
AUDIO_BLOCK_SECONDS = 60
MEMORY_LIMIT_MB = 2048


def long_frames(seconds: float, rng):
    """A panning textured scene with a moving disc, one frame at a time."""
    import cv2

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--video", type=Path, default=None, help="reuse or render into PATH")
    parser.add_argument("--model", default=None, help="bundle name or path (default: the default)")
    args = parser.parse_args(argv)
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
