"""The demo data set: real mp4 clips with per-second ground truth, rendered from a seed.

One job: `generate_demo_data` writes `clip_NNNN.mp4` files, their per-second truth
(`labels.csv`, the per-second CSV contract) and a clip list (`clips.csv`) into a folder.

Every class is one sound family heard together with one visual family. Each sound family is
shared by two classes and each visual family by two others (DEMO_CLASS_FAMILIES), so neither
stream alone tells all classes apart: fusion has to. Each clip holds one event class as a
contiguous run of seconds inside background (as in AVE); in some clips one stream drops out
for a few event seconds while the truth stays the event class. All parameters are jittered
so a classifier must generalise rather than memorise. Everything follows from (seed, clip
index), so the same seed gives the same files and a prefix of clips is seed-stable.
"""

from __future__ import annotations

import colorsys
import concurrent.futures as futures
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from .conventions import BACKGROUND
from .csv_io import write_csv_atomic, write_per_second_csv
from .encode import encode_clip, frame_count, sample_count
from .errors import Cancelled
from .table import count_seconds, truth_table

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
SOUND_FAMILIES = ("whistle", "siren", "knocking", "hiss")
VISUAL_FAMILIES = ("spinning wheel", "diagonal stripes", "checkerboard", "star burst")

DEMO_FPS = 10
DEMO_WIDTH, DEMO_HEIGHT = 320, 240
DEMO_SAMPLE_RATE = 22_050           # not 16 kHz on purpose: readers resample, as for real videos
DEFAULT_CLIPS = 400
LABELS_FILE, CLIPS_FILE = "labels.csv", "clips.csv"
CLIP_COLUMNS = ["video", "label", "event_start", "event_end", "duration",
                "dropout_stream", "dropout_start", "dropout_end"]

FULL_DURATION = 10.0
SHORT_CLIP_SHARE = 0.15             # clips of 4.1..9.9 s, so the last second is partial
WHOLE_EVENT_SHARE = 0.40            # clips that are the event from start to end
DROPOUT_SHARE = 0.25                # clips where one stream shows background mid-event
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
    dropout_stream: str = ""        # "audio", "visual" or ""
    dropout_start: int = 0
    dropout_end: int = 0

    @property
    def video(self) -> str:
        return f"clip_{self.index:04d}.mp4"

    def seconds_on(self, stream: str) -> np.ndarray:
        """Per second: does `stream` ("audio"/"visual") show the event?"""
        on = np.zeros(count_seconds(self.duration), dtype=bool)
        on[self.event_start:self.event_end] = True
        if stream == self.dropout_stream:
            on[self.dropout_start:self.dropout_end] = False
        return on

    def truth(self) -> list[str]:
        """The per-second truth: the event class during the event (drop-outs included)."""
        return [self.label if self.event_start <= s < self.event_end else BACKGROUND
                for s in range(count_seconds(self.duration))]

    def row(self) -> dict:
        """This clip's row in clips.csv (times in seconds, capped at the clip's duration)."""
        def cap(second):
            return min(float(second), self.duration)
        dropout = bool(self.dropout_stream)
        return {"video": self.video, "label": self.label,
                "event_start": cap(self.event_start), "event_end": cap(self.event_end),
                "duration": self.duration, "dropout_stream": self.dropout_stream,
                "dropout_start": cap(self.dropout_start) if dropout else None,
                "dropout_end": cap(self.dropout_end) if dropout else None}


# ---------------------------------------------------------------- the plan of each clip

def plan_clip(seed: int, index: int) -> ClipPlan:
    """The label, duration, event and dropout of clip `index`; independent of the clip count."""
    rng = np.random.default_rng([seed, index, 0])
    # Classes are dealt in shuffled blocks of 8, so every class gets its share of clips.
    block, place = divmod(index, len(DEMO_CLASSES))
    deal = np.random.default_rng([seed, block, 1]).permutation(len(DEMO_CLASSES))
    label = DEMO_CLASSES[deal[place]]
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
    return ClipPlan(index, label, duration, start, start + length,
                    stream, drop, drop + dropout_length)


# ---------------------------------------------------------------- sounds

def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average over `width` samples (soft on/off ramps without clicks)."""
    width = max(1, int(width))
    sums = np.cumsum(np.concatenate([[0.0], x]))
    mean = (sums[width:] - sums[:-width]) / width
    return np.pad(mean, (width // 2, width - 1 - width // 2), mode="edge")


def _spectral_noise(n: int, rng, shape) -> np.ndarray:
    """White noise reshaped in frequency by `shape(freqs)`, scaled to unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / DEMO_SAMPLE_RATE)
    freqs[0] = freqs[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum * shape(freqs), n)
    return noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)


def _band_noise(n: int, rng, low: float, high: float) -> np.ndarray:
    return _spectral_noise(n, rng, lambda f: ((f > low) & (f < high)).astype(float))


def _whistle(n: int, rng) -> np.ndarray:
    """A steady harmonic tone with vibrato: horizontal lines on the log-mel patch."""
    t = np.arange(n) / DEMO_SAMPLE_RATE
    vibrato = rng.uniform(0.005, 0.03) * np.sin(2 * np.pi * (rng.uniform(4, 7) * t + rng.uniform()))
    drift = rng.uniform(-0.05, 0.05) * np.sin(2 * np.pi * t / rng.uniform(4, 12))
    pitch = rng.uniform(600, 1400) * (1 + vibrato + drift)
    phase = 2 * np.pi * np.cumsum(pitch) / DEMO_SAMPLE_RATE
    tilt = rng.uniform(0.3, 0.7)
    return sum(tilt ** k * np.sin((k + 1) * phase) for k in range(int(rng.integers(2, 5))))


def _siren(n: int, rng) -> np.ndarray:
    """Tones sweeping up and/or down over an octave or two: diagonal lines."""
    t = np.arange(n) / DEMO_SAMPLE_RATE
    low = rng.uniform(400, 900)
    high = low * rng.uniform(2.0, 4.0)
    cycle = (t * rng.uniform(0.8, 3.0) + rng.uniform()) % 1.0
    sweep = [1 - np.abs(2 * cycle - 1), cycle, 1 - cycle][int(rng.integers(3))]
    phase = 2 * np.pi * np.cumsum(low * (high / low) ** sweep) / DEMO_SAMPLE_RATE
    return np.sin(phase) + rng.uniform(0.1, 0.4) * np.sin(2 * phase)


def _knocking(n: int, rng) -> np.ndarray:
    """Rhythmic knocks, each a click plus a short resonance: vertical lines."""
    period = 1 / rng.uniform(3, 8)
    times = np.arange(rng.uniform(0, period), n / DEMO_SAMPLE_RATE, period)
    times = times + rng.normal(0, 0.08 * period, len(times))
    tk = np.arange(int(0.12 * DEMO_SAMPLE_RATE)) / DEMO_SAMPLE_RATE
    pitch, decay = rng.uniform(150, 700), rng.uniform(0.01, 0.04)
    knock = (np.exp(-tk / decay) * np.sin(2 * np.pi * pitch * tk)
             + 0.5 * np.exp(-tk / (0.6 * decay)) * np.sin(2 * np.pi * 2.76 * pitch * tk)
             + rng.uniform(0.4, 1.0) * rng.standard_normal(len(tk)) * np.exp(-tk / 0.0015))
    signal = np.zeros(n + len(knock))
    starts = (times * DEMO_SAMPLE_RATE).astype(int)
    for start, gain in zip(starts, rng.uniform(0.6, 1.0, len(times))):
        if 0 <= start < n:
            signal[start:start + len(knock)] += gain * knock
    return signal[:n]


def _hiss(n: int, rng) -> np.ndarray:
    """Bursts of band-limited noise: blocks of energy in one frequency band."""
    centre = rng.uniform(1500, 5000)
    half_band = centre * rng.uniform(0.1, 0.3)
    gate = np.zeros(n)
    position, on = int(rng.uniform(0, 0.2) * DEMO_SAMPLE_RATE), True
    while position < n:
        length = int(rng.uniform(*((0.12, 0.45) if on else (0.05, 0.3))) * DEMO_SAMPLE_RATE)
        gate[position:position + length] = float(on)
        position, on = position + length, not on
    envelope = _smooth(gate, 0.015 * DEMO_SAMPLE_RATE)
    return _band_noise(n, rng, centre - half_band, centre + half_band) * envelope


_SOUND_RENDERERS = {"whistle": _whistle, "siren": _siren, "knocking": _knocking, "hiss": _hiss}


def _faint_distraction(n: int, rng) -> np.ndarray:
    """A sound from no family (beeps, rumble or hum) over part of the clip."""
    t = np.arange(n) / DEMO_SAMPLE_RATE
    kind = int(rng.integers(3))
    if kind == 0:
        beeps = np.sin(2 * np.pi * rng.uniform(4, 9) * t) > 0
        sound = np.sin(2 * np.pi * rng.uniform(300, 3000) * t) * beeps
    elif kind == 1:
        sound = _band_noise(n, rng, 30, rng.uniform(150, 300))
    else:
        hum = rng.uniform(50, 120)
        sound = sum(np.sin(2 * np.pi * hum * k * t) / k for k in (1, 2, 3))
    start = rng.uniform(0, max(0.0, t[-1] - 0.3))
    span = (t >= start) & (t < start + rng.uniform(0.3, 1.5))
    return sound * _smooth(span.astype(float), 0.02 * DEMO_SAMPLE_RATE)


def _background_sound(n: int, rng) -> np.ndarray:
    """Low-level coloured noise, sometimes with faint sounds from no family."""
    slope = rng.uniform(0.5, 2.0)
    noise = _spectral_noise(n, rng, lambda f: f ** (-slope / 2))
    for _ in range(int(rng.poisson(0.8))):
        noise += rng.uniform(0.7, 2.0) * _faint_distraction(n, rng)
    return noise * 10 ** (rng.uniform(-38, -28) / 20)


def render_audio(plan: ClipPlan, rng) -> np.ndarray:
    """The clip's mono soundtrack at DEMO_SAMPLE_RATE: background plus the gated event sound."""
    n = sample_count(plan.duration, DEMO_SAMPLE_RATE)
    audio = _background_sound(n, rng)
    event = _SOUND_RENDERERS[DEMO_CLASS_FAMILIES[plan.label][0]](n, rng)
    event = event / (np.sqrt(np.mean(event ** 2)) + 1e-12)
    # Sparse sounds (knocks) have high peaks: lower the event rather than clip it.
    level = min(10 ** (rng.uniform(-22, -12) / 20), 0.85 / (np.abs(event).max() + 1e-12))
    gate = np.repeat(plan.seconds_on("audio").astype(float), DEMO_SAMPLE_RATE)[:n]
    audio += level * event * _smooth(gate, 0.01 * DEMO_SAMPLE_RATE)
    return np.clip(audio, -1, 1).astype(np.float32)


# ---------------------------------------------------------------- pictures

_XS, _YS = np.meshgrid(np.arange(DEMO_WIDTH, dtype=np.float32),
                       np.arange(DEMO_HEIGHT, dtype=np.float32))
_BLOB_SCALE = 4                     # blobs are drawn at quarter size, then smoothly enlarged
_LOW_XS, _LOW_YS = _XS[::_BLOB_SCALE, ::_BLOB_SCALE], _YS[::_BLOB_SCALE, ::_BLOB_SCALE]

# Each visual family keeps to its own hue range (degrees), so colour and shape both tell it apart.
_FAMILY_HUES = {"spinning wheel": (-15, 45), "diagonal stripes": (190, 235),
                "checkerboard": (75, 140), "star burst": (275, 330)}


def _colour(rng, hues=(0, 360), saturation=(0.6, 1.0), value=(0.65, 1.0)) -> np.ndarray:
    hue = (rng.uniform(*hues) / 360) % 1.0
    rgb = colorsys.hsv_to_rgb(hue, rng.uniform(*saturation), rng.uniform(*value))
    return np.array(rgb, dtype=np.float32) * 255


def _contrast_colour(rng) -> np.ndarray:
    """The second colour of a pattern: near-white or near-black, either way strong contrast."""
    value = (0.85, 1.0) if rng.random() < 0.5 else (0.05, 0.25)
    return _colour(rng, saturation=(0.0, 0.15), value=value)


def _bounce(start, velocity, low, high, t) -> np.ndarray:
    """Position at time t of a point moving at `velocity` and bouncing between low and high."""
    span = np.maximum(np.asarray(high, dtype=float) - low, 1e-6)
    folded = (np.asarray(start, dtype=float) - low + np.asarray(velocity) * t) % (2 * span)
    return low + span - np.abs(folded - span)


def _backdrop(rng):
    """Background pictures: a smooth noisy gradient with slowly drifting soft blobs."""
    ends = [_colour(rng, saturation=(0.05, 0.45), value=(0.25, 0.8)) for _ in range(2)]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = _XS * float(np.cos(angle)) + _YS * float(np.sin(angle))
    ramp = ((ramp - ramp.min()) / (float(np.ptp(ramp)) + 1e-6))[..., None]
    rows, cols = int(rng.integers(3, 7)), int(rng.integers(4, 9))
    mottle = cv2.resize(rng.normal(0, rng.uniform(6, 20), (rows, cols, 3)).astype(np.float32),
                        (DEMO_WIDTH, DEMO_HEIGHT), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, rng.uniform(1.5, 5), (DEMO_HEIGHT, DEMO_WIDTH, 1)).astype(np.float32)
    base = (ends[0] * (1 - ramp) + ends[1] * ramp + mottle + grain).astype(np.float32)
    blobs = [(rng.uniform([0, 0], [DEMO_WIDTH, DEMO_HEIGHT]), rng.normal(0, 8, 2),
              rng.uniform(25, 70), rng.normal(0, 1, 3).astype(np.float32) * rng.uniform(15, 40))
             for _ in range(int(rng.integers(2, 5)))]

    def draw(t: float) -> np.ndarray:
        low = np.zeros(_LOW_XS.shape + (3,), np.float32)
        for start, velocity, size, tint in blobs:
            x, y = _bounce(start, velocity, 0, [DEMO_WIDTH, DEMO_HEIGHT], t)
            distance = (_LOW_XS - float(x)) ** 2 + (_LOW_YS - float(y)) ** 2
            weight = np.exp(-distance / (2 * size ** 2))
            low += weight[..., None] * tint
        return base + cv2.resize(low, (DEMO_WIDTH, DEMO_HEIGHT), interpolation=cv2.INTER_LINEAR)
    return draw


def _region(rng) -> np.ndarray:
    """Where a texture shows: a large rectangle (55-100% of each side), slightly see-through."""
    width, height = rng.uniform(0.55, 1.0) * DEMO_WIDTH, rng.uniform(0.55, 1.0) * DEMO_HEIGHT
    left, top = rng.uniform(0, DEMO_WIDTH - width), rng.uniform(0, DEMO_HEIGHT - height)
    inside = (_XS >= left) & (_XS < left + width) & (_YS >= top) & (_YS < top + height)
    return inside.astype(np.float32) * rng.uniform(0.8, 1.0)


def _sliding(texture: np.ndarray, margin: int, shift):
    """Frames cut from a periodic texture pre-drawn with `margin` spare pixels on every side;
    `shift(t)` is the (dx, dy) slide in pixels, already reduced to within one period."""
    def crop(t: float) -> np.ndarray:
        dx, dy = shift(t)
        left, top = int(round(margin - dx)), int(round(margin - dy))
        return texture[top:top + DEMO_HEIGHT, left:left + DEMO_WIDTH]
    return crop


def _texture_grid(margin: int):
    ys, xs = np.mgrid[-margin:DEMO_HEIGHT + margin, -margin:DEMO_WIDTH + margin]
    return xs.astype(np.float32), ys.astype(np.float32)


def _diagonal_stripes(rng):
    """Broad diagonal stripes sliding across a large rectangle."""
    angle = float(np.deg2rad(rng.choice([-1, 1]) * rng.uniform(25, 65)))
    period, duty = rng.uniform(18, 44), rng.uniform(0.35, 0.6)
    speed = float(rng.choice([-1, 1]) * rng.uniform(10, 40))
    ink, paper = _colour(rng, _FAMILY_HUES["diagonal stripes"]), _contrast_colour(rng)
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    margin = int(np.ceil(period)) + 1
    xs, ys = _texture_grid(margin)
    texture = np.where((((xs * cos + ys * sin) % period) < duty * period)[..., None], ink, paper)
    alpha = _region(rng)

    def shift(t: float):
        slide = (speed * t) % period
        return slide * cos, slide * sin
    crop = _sliding(texture, margin, shift)
    return lambda t: (crop(t), alpha)


def _checkerboard(rng):
    """A slightly tilted checkerboard scrolling inside a large rectangle."""
    angle = float(np.deg2rad(rng.uniform(-20, 20)))
    size, velocity = rng.uniform(16, 40), rng.uniform(-25, 25, 2).tolist()
    ink, paper = _colour(rng, _FAMILY_HUES["checkerboard"]), _contrast_colour(rng)
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    period = 2 * size               # the pattern repeats after two cells along either axis
    margin = int(np.ceil(period * np.sqrt(2))) + 1
    xs, ys = _texture_grid(margin)
    cells = np.floor((xs * cos + ys * sin) / size) + np.floor((ys * cos - xs * sin) / size)
    texture = np.where((cells % 2 == 0)[..., None], ink, paper)
    alpha = _region(rng)

    def shift(t: float):
        along, across = (velocity[0] * t) % period, (velocity[1] * t) % period
        return along * cos - across * sin, along * sin + across * cos
    crop = _sliding(texture, margin, shift)
    return lambda t: (crop(t), alpha)


def _mover(rng, radius: float):
    """where(t): the centre of an object of `radius` drifting (5-30 px/s) inside the frame."""
    low, high = np.array([radius, radius]), np.array([DEMO_WIDTH - radius, DEMO_HEIGHT - radius])
    start = rng.uniform(low, high)
    heading = rng.uniform(0, 2 * np.pi)
    velocity = rng.uniform(5, 30) * np.array([np.cos(heading), np.sin(heading)])
    return lambda t: _bounce(start, velocity, low, high, t)


def _spinning_wheel(rng):
    """A large disc of alternating coloured sectors, turning while it drifts."""
    radius = int(rng.uniform(0.28, 0.45) * DEMO_HEIGHT)
    sectors = 2 * int(rng.integers(3, 7))
    spin = rng.choice([-1, 1]) * rng.uniform(0.3, 1.5) * 360
    colours = [tuple(map(float, _colour(rng, _FAMILY_HUES["spinning wheel"]))),
               tuple(map(float, _contrast_colour(rng)))]
    rim = tuple(map(float, _colour(rng, saturation=(0, 0.3), value=(0.0, 0.3))))
    where = _mover(rng, radius)

    def draw(t: float):
        layer = np.zeros((DEMO_HEIGHT, DEMO_WIDTH, 3), np.uint8)
        mask = np.zeros((DEMO_HEIGHT, DEMO_WIDTH), np.uint8)
        centre = tuple(int(v) for v in where(t))
        step = 360 / sectors
        for k in range(sectors):
            cv2.ellipse(layer, centre, (radius, radius), spin * t + k * step, 0, step,
                        colours[k % 2], -1, cv2.LINE_AA)
        cv2.circle(layer, centre, radius, rim, max(2, radius // 12), cv2.LINE_AA)
        cv2.circle(layer, centre, max(3, radius // 6), rim, -1, cv2.LINE_AA)
        cv2.circle(mask, centre, radius, 255, -1, cv2.LINE_AA)
        return layer.astype(np.float32), mask.astype(np.float32) / 255
    return draw


def _star_points(centre, outer: float, inner: float, points: int, turn: float) -> np.ndarray:
    angles = np.deg2rad(turn) + np.arange(2 * points) * np.pi / points
    radii = np.where(np.arange(2 * points) % 2 == 0, outer, inner)
    return np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)],
                    axis=1).round().astype(np.int32)


def _star_burst(rng):
    """One or two large pointed stars with a bright core, turning while they drift."""
    stars = []
    for size in ([0.3, 0.45], [0.15, 0.25])[: 1 + int(rng.random() < 0.3)]:
        outer = rng.uniform(*size) * DEMO_HEIGHT
        stars.append((outer, rng.uniform(0.35, 0.55), int(rng.integers(5, 9)),
                      rng.uniform(-0.5, 0.5) * 360, _mover(rng, outer)))
    body = tuple(map(float, _colour(rng, _FAMILY_HUES["star burst"])))
    core = tuple(map(float, _colour(rng, (40, 70), (0.0, 0.5), (0.9, 1.0))))

    def draw(t: float):
        layer = np.zeros((DEMO_HEIGHT, DEMO_WIDTH, 3), np.uint8)
        mask = np.zeros((DEMO_HEIGHT, DEMO_WIDTH), np.uint8)
        # Bodies first, then hearts, so overlapping stars stay clean shapes.
        for scale, colour, target in ((1.0, body, layer), (0.45, core, layer), (1.0, 255, mask)):
            for outer, ratio, points, spin, where in stars:
                radius = scale * outer
                shape = _star_points(where(t), radius, ratio * radius, points, spin * t)
                cv2.fillPoly(target, [shape], colour, cv2.LINE_AA)
        return layer.astype(np.float32), mask.astype(np.float32) / 255
    return draw


_PICTURE_RENDERERS = {"spinning wheel": _spinning_wheel, "diagonal stripes": _diagonal_stripes,
                      "checkerboard": _checkerboard, "star burst": _star_burst}


def render_frames(plan: ClipPlan, rng):
    """The clip's RGB frames (a generator): background, with the event picture when it shows."""
    backdrop = _backdrop(rng)
    picture = _PICTURE_RENDERERS[DEMO_CLASS_FAMILIES[plan.label][1]](rng)
    showing = plan.seconds_on("visual")

    def frames():
        for i in range(frame_count(plan.duration, DEMO_FPS)):
            frame = backdrop(i / DEMO_FPS)
            if showing[i // DEMO_FPS]:
                layer, alpha = picture(i / DEMO_FPS)
                frame += (layer - frame) * alpha[..., None]
            yield np.clip(frame, 0, 255).astype(np.uint8)
    return frames()


# ---------------------------------------------------------------- the data set

def render_clip(out_dir, plan: ClipPlan, seed: int) -> Path:
    """Render and encode one clip into out_dir; the file appears only when complete."""
    rng = np.random.default_rng([seed, plan.index, 2])
    audio = render_audio(plan, rng)
    frames = render_frames(plan, rng)
    return encode_clip(Path(out_dir) / plan.video, frames, audio, DEMO_FPS, DEMO_SAMPLE_RATE,
                       extra_args=_ENCODER_ARGS)


def generate_demo_data(out_dir, clips: int = DEFAULT_CLIPS, seed: int = 0, progress=None,
                       cancel=None, jobs: int | None = None) -> Path:
    """Render `clips` demo clips into out_dir and write their truth; returns labels.csv's path.

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
    plans = [plan_clip(seed, index) for index in range(clips)]
    started = time.monotonic()
    _render_all(out_dir, plans, seed, progress, cancel, max(1, jobs or _default_jobs()))
    clip_rows = pd.DataFrame([plan.row() for plan in plans])
    write_csv_atomic(clip_rows, out_dir / CLIPS_FILE, CLIP_COLUMNS)
    truth = pd.concat([truth_table(plan.video, plan.duration, plan.truth()) for plan in plans],
                      ignore_index=True)
    labels = write_per_second_csv(truth, out_dir / LABELS_FILE)
    log.info("rendered %d demo clips (seed %d) into %s in %.1f s",
             clips, seed, out_dir, time.monotonic() - started)
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
                finished, pending = futures.wait(pending, timeout=0.25,
                                                 return_when=futures.FIRST_COMPLETED)
                for future in finished:
                    future.result()
                    done += 1
                    if progress is not None:
                        progress(done, len(plans))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
