"""The single measurements `bench` is made of: clips to measure on, memory, stages, floor, start.

Each function measures one thing and returns plain numbers; `bench.py` puts them together.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from ...core.audio_features import log_mel_patch
from ...core.csv_io import write_per_second_csv
from ...core.decode import (
    audio_output_args,
    frame_decoder_args,
    frame_output_args,
    input_args,
    iter_audio_seconds,
    iter_frame_seconds,
    iter_keyframe_seconds,
    keyframe_output_args,
)
from ...core.demo.encode import encode_clip, frame_count, sample_count
from ...core.feature_cache import CACHE_ENV
from ...core.features import VideoFeatures, absent_audio
from ...core.keyframes import KEYFRAMES, visual_decoding
from ...core.media import probe
from ...core.model_inputs import AUDIO_PRESENT, LOG_MEL
from ...core.table import count_seconds
from ..backbone.embedding import embed_frames
from ..bundle import PROJECT_ROOT, ModelBundle
from ..pipeline import PreparedVideo, label_video

ANNOTATE_JOBS = 2  # `annotate --jobs` default: the bench times what users get
CLIP_WIDTH, CLIP_HEIGHT, CLIP_FPS = 640, 360, 30
CLIP_SAMPLE_RATE = 44_100
MEMORY_SAMPLE_SECONDS = 0.02
# A sample reads every process's page tables (PSS): ~1.5 ms of CPU each, 15 ms for a local Ray
# cluster's ten processes. Every 20 ms that took 0.4 of this machine's 2 cores from the run it
# measured (a Ray batch ran 1.6x slower watched than not); the watcher waits long enough to
# keep its own share of one core under this.
MEMORY_WATCH_CPU_SHARE = 0.1
MAIN_SCRIPT = PROJECT_ROOT / "main.py"


# ----------------------------------------------------------------------------- clips


def _clip_frames(rng, seconds: float):
    """A camera-like picture: a textured scene panning, an object crossing it, sensor grain."""
    scene = rng.integers(0, 256, (CLIP_HEIGHT // 8 + 20, CLIP_WIDTH // 8 + 40, 3), dtype=np.uint8)
    scene = cv2.resize(scene, (CLIP_WIDTH + 320, CLIP_HEIGHT + 160), interpolation=cv2.INTER_CUBIC)
    grain = [rng.normal(0, 6, (CLIP_HEIGHT, CLIP_WIDTH, 3)).astype(np.int16) for _ in range(7)]
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    for index in range(frame_count(seconds, CLIP_FPS)):
        t = index / CLIP_FPS
        left, top = int(160 + 150 * np.sin(0.7 * t)), int(80 + 70 * np.cos(0.5 * t))
        view = scene[top : top + CLIP_HEIGHT, left : left + CLIP_WIDTH].astype(np.int16)
        frame = np.clip(view + grain[index % len(grain)], 0, 255).astype(np.uint8)
        centre = (
            int(CLIP_WIDTH / 2 + 200 * np.sin(1.3 * t)),
            int(CLIP_HEIGHT / 2 + 100 * np.cos(1.1 * t)),
        )
        cv2.circle(frame, centre, 50, colour, -1, cv2.LINE_AA)
        yield frame


def _clip_audio(rng, seconds: float) -> np.ndarray:
    """Stereo: a wavering tone over broadband noise, the right channel a little different."""
    t = np.arange(sample_count(seconds, CLIP_SAMPLE_RATE)) / CLIP_SAMPLE_RATE
    pitch = rng.uniform(200, 800)
    tone = 0.2 * np.sin(2 * np.pi * pitch * t * (1 + 0.1 * np.sin(t)))
    left = tone + 0.05 * rng.standard_normal(t.size)
    right = 0.8 * left + 0.02 * rng.standard_normal(t.size)
    return np.stack([left, right], axis=1).astype(np.float32)


def generate_bench_clips(
    folder: Path, count: int, seconds: float, encoder_args: tuple = ()
) -> list[Path]:
    """`count` clips of 640x360, 30 fps, H.264 (x264 defaults, then `encoder_args`, e.g. a GOP
    of ["-g", "30"]) + AAC 44.1 kHz stereo."""

    def render(index: int) -> Path:
        rng = np.random.default_rng([2024, index])
        return encode_clip(
            folder / f"bench_{index:03d}.mp4",
            _clip_frames(rng, seconds),
            _clip_audio(rng, seconds),
            CLIP_FPS,
            CLIP_SAMPLE_RATE,
            extra_args=encoder_args,
        )

    with ThreadPoolExecutor(ANNOTATE_JOBS) as pool:
        return list(pool.map(render, range(count)))


# ----------------------------------------------------------------------------- machine, memory


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    import psutil

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": psutil.virtual_memory().total / 2**30,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


class MemoryWatch:
    """Peak memory of a process plus all its children (ffmpeg), sampled every 20 ms.

    Each process counts its proportional set size (PSS, Linux; the resident set elsewhere), so
    pages shared between processes count once. A child caught between vfork and exec still *is*
    its parent's address space (it shows the parent's command line) and is skipped, or the
    parent would count twice (a Ray worker's ffmpeg children added 300 MB at a time so);
    getrusage's children peak has that flaw too, so it is not used.
    `peak_mb` is never below the watched process's own resident high-water mark (VmHWM), which
    the kernel keeps exactly, so a spike between two samples is not lost.
    """

    def __init__(self, pid: int | None = None):
        import psutil

        self._psutil = psutil
        self.process = psutil.Process(pid)
        self._command_line = self.process.cmdline()
        self.tree_peak_bytes = 0
        self.high_water_bytes = 0
        self._unreaped_cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _footprint(process) -> int:
        if sys.platform.startswith("linux"):
            return process.memory_full_info().pss
        return process.memory_info().rss

    @staticmethod
    def _cpu_seconds(process) -> float:
        """User and system seconds of the process and of its children it has reaped."""
        times = process.cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    def _tree_bytes(self) -> int:
        """The tree's memory; on the way, the CPU seconds of the grandchildren (see
        `unreaped_cpu_s`)."""
        total = self._footprint(self.process)
        children_pids = {child.pid for child in self.process.children()}
        command_lines = {self.process.pid: self._command_line}
        for child in self.process.children(recursive=True):  # parents before their children
            try:
                command_lines[child.pid], parent = child.cmdline(), child.ppid()
                # Between vfork and exec a child is its parent's address space under its
                # parent's command line (ffmpeg started by a Ray worker, too): not counted twice.
                if command_lines[child.pid] != command_lines.get(parent):
                    total += self._footprint(child)
                if parent in children_pids:  # a grandchild
                    self._unreaped_cpu[child.pid] = self._cpu_seconds(child)
            except self._psutil.Error:  # a child that just finished
                pass
        return total

    def _high_water(self) -> int:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def _sample(self) -> None:
        while True:
            started = time.thread_time()
            try:
                self.high_water_bytes = max(self.high_water_bytes, self._high_water())
                self.tree_peak_bytes = max(self.tree_peak_bytes, self._tree_bytes())
            except self._psutil.Error:  # the watched process has ended
                return
            cost = time.thread_time() - started
            pause = max(MEMORY_SAMPLE_SECONDS, cost * (1 / MEMORY_WATCH_CPU_SHARE - 1))
            if self._stop.wait(pause):
                return

    @property
    def unreaped_cpu_s(self) -> float:
        """CPU seconds, as last sampled, of the process's grandchildren and what they reaped:
        those of a Ray cluster's workers and agents, whose parent (the raylet) ends without
        reaping them, so they never reach the watched process's getrusage count. The local
        engine has none (its ffmpeg are its children). A process's last interval is lost."""
        return sum(self._unreaped_cpu.values())

    @property
    def tree_peak_mb(self) -> float:
        return self.tree_peak_bytes / 2**20

    @property
    def peak_mb(self) -> float:
        return max(self.tree_peak_bytes, self.high_water_bytes) / 2**20

    def __enter__(self) -> "MemoryWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# ----------------------------------------------------------------------------- our stages


def _audio_arrays(chunks: list, seconds: int) -> dict:
    arrays = absent_audio(seconds)
    for index, chunk in enumerate(chunks[:seconds]):
        arrays[LOG_MEL][index] = log_mel_patch(chunk)
        arrays[AUDIO_PRESENT][index] = 1.0
    return arrays


def _visual_arrays(seconds_of_frames: list, seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, 1280) per-second mean embeddings and their presence flags."""
    visual = np.zeros((seconds, 1280), np.float32)
    present = np.zeros(seconds, np.float32)
    used = seconds_of_frames[:seconds]
    if used:
        embeddings = embed_frames(np.concatenate(used))
        offset = 0
        for index, frames in enumerate(used):
            visual[index] = embeddings[offset : offset + len(frames)].mean(axis=0)
            present[index] = 1.0
            offset += len(frames)
    return visual, present


def _frame_seconds(clip: Path, bundle: ModelBundle, info):
    """The frames the pipeline would decode for `clip`, by the path it would take."""
    decoding, plan = visual_decoding(
        clip, count_seconds(info.duration), bundle.visual_fps, info.fps
    )
    if plan is not None:
        return iter_keyframe_seconds(clip, plan)
    return iter_frame_seconds(clip, bundle.visual_fps, frames_decoded=decoding)


def ours_stages(clip: Path, bundle: ModelBundle, out_dir: Path) -> dict:
    """Seconds per stage for one clip, each stage run to the end before the next begins."""
    lap, stages = time.perf_counter(), {}

    def stage(name: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        stages[name], lap = now - lap, now

    info = probe(clip)
    hears, sees = "audio" in bundle.modalities, "visual" in bundle.modalities
    sound = list(iter_audio_seconds(clip)) if hears and info.has_audio else []
    pictures = list(_frame_seconds(clip, bundle, info)) if sees and info.has_video else []
    stage("decode")
    features = VideoFeatures(str(clip), info.duration)
    if hears:
        arrays = _audio_arrays(sound, features.seconds)
        features.log_mel, features.audio_present = arrays[LOG_MEL], arrays[AUDIO_PRESENT]
    stage("audio_features")
    if sees:
        features.visual, features.visual_present = _visual_arrays(pictures, features.seconds)
    stage("visual_features")
    annotation = label_video(PreparedVideo(str(clip), info, features), bundle)
    stage("model")
    write_per_second_csv(annotation.table, out_dir / f"{clip.stem}.csv")
    stage("writing")
    return stages


# ----------------------------------------------------------------------------- decode floor


def _floor_command(clip: Path, bundle: ModelBundle, frames_decoded: str = "all") -> list[str]:
    """One ffmpeg decoding what the pipeline decodes, into the null device: no model, no pipe.
    The floor proper decodes every frame; "reference" shows what skipping the others saves,
    "keyframes" what decoding keyframes only costs (every keyframe, as the pipeline decodes)."""
    keyframes = frames_decoded == KEYFRAMES
    decoder = ["-skip_frame:v", "nokey"] if keyframes else frame_decoder_args(frames_decoded)
    command = [*input_args(clip, decoder), "-y"]
    if "audio" in bundle.modalities:
        command += [*audio_output_args(), os.devnull]
    if "visual" in bundle.modalities:
        pictures = keyframe_output_args() if keyframes else frame_output_args(bundle.visual_fps)
        command += [*pictures, os.devnull]
    return command


def _decode_once(clip: Path, bundle: ModelBundle, frames_decoded: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        _floor_command(clip, bundle, frames_decoded),
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def decode_floor(clips: list[Path], bundle: ModelBundle, frames_decoded: str = "all") -> dict:
    """Median seconds per clip one at a time, and the folder's wall time ANNOTATE_JOBS at a time."""
    one_at_a_time = [_decode_once(clip, bundle, frames_decoded) for clip in clips]
    started = time.perf_counter()
    with ThreadPoolExecutor(ANNOTATE_JOBS) as pool:
        list(pool.map(lambda clip: _decode_once(clip, bundle, frames_decoded), clips))
    return {
        "stages_ms": {"decode": 1000 * statistics.median(one_at_a_time)},
        "folder_wall_s": time.perf_counter() - started,
    }


# ----------------------------------------------------------------------------- cold start


def cold_start(clip: Path, bundle: ModelBundle, work: Path) -> dict:
    """A fresh `python main.py annotate CLIP`: seconds from launch to its CSV's first row on disk.

    The CSV is written atomically, so its appearing is the first row being there. Peak memory
    is the process with its ffmpeg children, sampled, and never less than getrusage's peak.
    """
    out_csv = work / "cold-start.csv"
    command = [
        sys.executable,
        str(MAIN_SCRIPT),
        "annotate",
        str(clip),
        "--model",
        str(bundle.path),
        "--out",
        str(out_csv),
        "--no-cache",
    ]
    env = {**os.environ, CACHE_ENV: str(work / "cold-start-cache")}
    with open(work / "cold-start.log", "wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
        )
        with MemoryWatch(process.pid) as memory:
            first_row = _wait_for_file(process, out_csv)
            seconds = (first_row or time.perf_counter()) - started
            process.wait()
    if process.returncode != 0 or not out_csv.exists():
        log_text = (work / "cold-start.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"cold-start annotate failed ({process.returncode}): {log_text}")
    return {"seconds": seconds, "peak_memory_mb": memory.peak_mb}


def _wait_for_file(process: subprocess.Popen, path: Path) -> float | None:
    """perf_counter() when `path` appeared, or None if the process ended without writing it."""
    while process.poll() is None:
        if path.exists():
            return time.perf_counter()
        time.sleep(0.005)
    return time.perf_counter() if path.exists() else None
