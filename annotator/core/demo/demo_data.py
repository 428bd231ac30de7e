"""The demo data set: real mp4 clips with per-second ground truth, rendered from a seed.

One job: `generate_demo_data` plans each clip, renders and encodes it, and writes the
`clip_NNNN.mp4` files, their per-second truth (`labels.csv`, the per-second CSV contract) and
a clip list (`clips.csv`) into a folder. The sounds come from sounds.py and the pictures
from pictures.py; this module decides which class uses which of their families.

Every class is one sound family heard together with one visual family. Each sound family is
shared by two classes and each visual family by two others (DEMO_CLASS_FAMILIES), so neither
stream alone tells all classes apart: fusion has to. Each clip holds one event class as a
contiguous run of seconds inside background (as in AVE); in some clips one stream drops out
for a few event seconds while the truth stays the event class. All parameters are jittered
so a classifier must generalise rather than memorise. Everything follows from (seed, clip
index), so the same seed gives the same files and a prefix of clips is seed-stable.
"""

from __future__ import annotations

import concurrent.futures as futures
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..conventions import BACKGROUND
from ..csv_io import write_csv_atomic, write_per_second_csv
from ..errors import Cancelled
from ..table import count_seconds, truth_table
from .encode import encode_clip

# The families and the picture/sound conventions live beside their renderers; importing them
# "as" themselves re-exports them from here, where the rest of the project looks for them.
from .pictures import DEMO_FPS as DEMO_FPS, DEMO_HEIGHT as DEMO_HEIGHT
from .pictures import DEMO_WIDTH as DEMO_WIDTH, VISUAL_FAMILIES as VISUAL_FAMILIES
from .pictures import render_pictures
from .sounds import DEMO_SAMPLE_RATE as DEMO_SAMPLE_RATE, SOUND_FAMILIES as SOUND_FAMILIES
from .sounds import render_sound
from .novel import NOVEL_CLASS_FAMILIES

log = logging.getLogger(__name__)

# class -> (sound family, visual family): the ring (0,0),(0,1),(1,1),(1,2),(2,2),(2,3),(3,3),(3,0)
# of the 4x4 family grid, so every family is shared by exactly two classes.
DEMO_CLASS_FAMILIES = {
    "Whistle kettle": ("whistle", "spinning wheel"),
    "Referee whistle": ("whistle", "diagonal stripes"),
    "Level crossing": ("siren", "diagonal stripes"),
    "Race finish": ("siren", "checkerboard"),
    "Chess clock": ("knocking", "checkerboard"),
    "Blacksmith anvil": ("knocking", "star burst"),
    "Sparkler": ("hiss", "star burst"),
    "Flat tyre": ("hiss", "spinning wheel"),
}
DEMO_CLASSES = list(DEMO_CLASS_FAMILIES)
# `--class-set`: the shipped bundles' classes, or classes none of them has met (novel.py).
CLASS_SETS = {"demo": DEMO_CLASS_FAMILIES, "novel": NOVEL_CLASS_FAMILIES}
_ALL_FAMILIES = {**DEMO_CLASS_FAMILIES, **NOVEL_CLASS_FAMILIES}

DEFAULT_CLIPS = 400
LABELS_FILE, CLIPS_FILE = "labels.csv", "clips.csv"
CLIP_COLUMNS = [
    "video",
    "label",
    "event_start",
    "event_end",
    "duration",
    "dropout_stream",
    "dropout_start",
    "dropout_end",
]

FULL_DURATION = 10.0
SHORT_CLIP_SHARE = 0.15  # clips of 4.1..9.9 s, so the last second is partial
WHOLE_EVENT_SHARE = 0.40  # clips that are the event from start to end
DROPOUT_SHARE = 0.25  # clips where one stream shows background mid-event
# x264/AAC settings that keep a 10 s clip near 100-300 KB; one thread keeps output reproducible.
_ENCODER_ARGS = ("-preset", "veryfast", "-crf", "27", "-b:a", "48k", "-aac_coder", "fast")


@dataclass(frozen=True)
class ClipPlan:
    """What one clip shows, in whole seconds: [event_start, event_end) and an optional dropout."""

    index: int
    label: str
    duration: float
    event_start: int
    event_end: int
    dropout_stream: str = ""  # "audio", "visual" or ""
    dropout_start: int = 0
    dropout_end: int = 0

    @property
    def video(self) -> str:
        return f"clip_{self.index:04d}.mp4"

    def seconds_on(self, stream: str) -> np.ndarray:
        """Per second: does `stream` ("audio"/"visual") show the event?"""
        on = np.zeros(count_seconds(self.duration), dtype=bool)
        on[self.event_start : self.event_end] = True
        if stream == self.dropout_stream:
            on[self.dropout_start : self.dropout_end] = False
        return on

    def truth(self) -> list[str]:
        """The per-second truth: the event class during the event (drop-outs included)."""
        return [
            self.label if self.event_start <= s < self.event_end else BACKGROUND
            for s in range(count_seconds(self.duration))
        ]

    def row(self) -> dict:
        """This clip's row in clips.csv (times in seconds, capped at the clip's duration)."""

        def cap(second):
            return min(float(second), self.duration)

        dropout = bool(self.dropout_stream)
        return {
            "video": self.video,
            "label": self.label,
            "event_start": cap(self.event_start),
            "event_end": cap(self.event_end),
            "duration": self.duration,
            "dropout_stream": self.dropout_stream,
            "dropout_start": cap(self.dropout_start) if dropout else None,
            "dropout_end": cap(self.dropout_end) if dropout else None,
        }


# ---------------------------------------------------------------- the plan of each clip


def plan_clip(seed: int, index: int, class_set: str = "demo") -> ClipPlan:
    """The label, duration, event and dropout of clip `index`; independent of the clip count."""
    classes = list(_class_families(class_set))
    rng = np.random.default_rng([seed, index, 0])
    # Classes are dealt in shuffled blocks, so every class gets its share of clips.
    block, place = divmod(index, len(classes))
    deal = np.random.default_rng([seed, block, 1]).permutation(len(classes))
    label = classes[deal[place]]
    duration = FULL_DURATION
    if rng.random() < SHORT_CLIP_SHARE:
        duration = int(rng.integers(4, 10)) + int(rng.integers(1, 10)) / 10
    seconds = count_seconds(duration)
    dropout_length = 0
    if rng.random() < DROPOUT_SHARE and seconds >= 4:
        dropout_length = int(rng.integers(2, min(4, seconds - 2) + 1))
    # A drop-out clip keeps at least 2 event seconds where both streams are present.
    shortest = max(2, dropout_length + 2)
    length = seconds
    if rng.random() >= WHOLE_EVENT_SHARE and shortest < seconds:
        length = int(rng.integers(shortest, seconds))
    start = int(rng.integers(0, seconds - length + 1))
    if not dropout_length:
        return ClipPlan(index, label, duration, start, start + length)
    stream = "audio" if rng.random() < 0.5 else "visual"
    drop = int(rng.integers(start, start + length - dropout_length + 1))
    return ClipPlan(
        index, label, duration, start, start + length, stream, drop, drop + dropout_length
    )


def _class_families(class_set: str) -> dict:
    if class_set not in CLASS_SETS:
        raise ValueError(f"unknown class set {class_set!r}; choose from {', '.join(CLASS_SETS)}")
    return CLASS_SETS[class_set]


# ---------------------------------------------------------------- sounds and pictures


def render_audio(plan: ClipPlan, rng) -> np.ndarray:
    """The clip's mono soundtrack at DEMO_SAMPLE_RATE: background plus the gated event sound."""
    return render_sound(_ALL_FAMILIES[plan.label][0], plan.seconds_on("audio"), plan.duration, rng)


def render_frames(plan: ClipPlan, rng):
    """The clip's RGB frames (a generator): background, with the event picture when it shows."""
    return render_pictures(
        _ALL_FAMILIES[plan.label][1], plan.seconds_on("visual"), plan.duration, rng
    )


# ---------------------------------------------------------------- the data set


def render_clip(out_dir, plan: ClipPlan, seed: int) -> Path:
    """Render and encode one clip into out_dir; the file appears only when complete."""
    rng = np.random.default_rng([seed, plan.index, 2])
    audio = render_audio(plan, rng)
    frames = render_frames(plan, rng)
    return encode_clip(
        Path(out_dir) / plan.video,
        frames,
        audio,
        DEMO_FPS,
        DEMO_SAMPLE_RATE,
        extra_args=_ENCODER_ARGS,
    )


def generate_demo_data(
    out_dir,
    clips: int = DEFAULT_CLIPS,
    seed: int = 0,
    progress=None,
    cancel=None,
    jobs: int | None = None,
    class_set: str = "demo",
) -> Path:
    """Render `clips` demo clips into out_dir and write their truth; returns labels.csv's path.

    `class_set` is "demo" (the shipped bundles' 8 classes) or "novel" (5 classes from sound and
    picture families none of them has met).

    `progress(done, total)` is called after each clip; when `cancel()` returns True the run
    stops and raises Cancelled. labels.csv and clips.csv are written last, atomically, so a
    folder with labels.csv is complete. `jobs` clips render at once (default: one per core,
    at most 4).
    """
    if clips < 1:
        raise ValueError(f"clips must be at least 1, got {clips}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = [plan_clip(seed, index, class_set) for index in range(clips)]
    started = time.monotonic()
    _render_all(out_dir, plans, seed, progress, cancel, max(1, jobs or _default_jobs()))
    clip_rows = pd.DataFrame([plan.row() for plan in plans])
    write_csv_atomic(clip_rows, out_dir / CLIPS_FILE, CLIP_COLUMNS)
    truth = pd.concat(
        [truth_table(plan.video, plan.duration, plan.truth()) for plan in plans], ignore_index=True
    )
    labels = write_per_second_csv(truth, out_dir / LABELS_FILE)
    log.info(
        "rendered %d demo clips (seed %d) into %s in %.1f s",
        clips,
        seed,
        out_dir,
        time.monotonic() - started,
    )
    return labels


def _default_jobs() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4))


def _check_cancel(cancel) -> None:
    if cancel is not None and cancel():
        raise Cancelled("demo data generation cancelled; labels.csv was not written")


def _render_all(out_dir: Path, plans, seed, progress, cancel, jobs: int) -> None:
    """Render every clip, `jobs` at a time, reporting progress and honouring cancel.

    Threads suffice: each clip's encoding runs in its own ffmpeg process and numpy/OpenCV
    release the GIL, and unlike worker processes they are safe inside a Qt or TensorFlow app.
    """
    with futures.ThreadPoolExecutor(jobs, thread_name_prefix="demo-data") as pool:
        queue, pending, done = iter(plans), set(), 0
        try:
            while True:
                _check_cancel(cancel)
                # Only a few clips queued: cancelling stops quickly and memory stays flat.
                while len(pending) < 2 * jobs and (plan := next(queue, None)) is not None:
                    pending.add(pool.submit(render_clip, out_dir, plan, seed))
                if not pending:
                    return
                finished, pending = futures.wait(
                    pending, timeout=0.25, return_when=futures.FIRST_COMPLETED
                )
                for future in finished:
                    future.result()
                    done += 1
                    if progress is not None:
                        progress(done, len(plans))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
