"""The `novel` demo class set: sounds and pictures from families no shipped bundle has met.

One job: the four sound families and four visual families of `demo-data --class-set novel`,
and which class pairs which. None of them resembles a family of the shipped demo classes
(whistle, siren, knocking, hiss; spinning wheel, diagonal stripes, checkerboard, star burst),
so the shipped bundles know nothing of them and the learn-your-own-events loop (label a few
clips, train, let it label the rest) can be measured on classes no bundle has seen.

Five classes: four pair their own sound with their own picture, and one ("Bicycle bell")
borrows the sound of one class and the picture of another, so fusion still matters. The
renderers follow the shipped families' contract (demo_sounds / demo_pictures) and register
themselves there.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import pictures as demo_pictures, sounds as demo_sounds
from .pictures import _XS, _YS, DEMO_HEIGHT, DEMO_WIDTH, _bounce, _colour, _region
from .sounds import DEMO_SAMPLE_RATE, _band_noise, _smooth

NOVEL_SOUND_FAMILIES = ("bell", "drone", "chirps", "waves")
NOVEL_VISUAL_FAMILIES = ("ripples", "meter bars", "bouncing balls", "rain")

NOVEL_CLASS_FAMILIES = {
    "Church bell": ("bell", "ripples"),
    "Helicopter": ("drone", "meter bars"),
    "Frog chorus": ("chirps", "bouncing balls"),
    "Ocean waves": ("waves", "rain"),
    "Bicycle bell": ("bell", "bouncing balls"),
}


# ---------------------------------------------------------------- sounds


def _bell(n: int, rng) -> np.ndarray:
    """Struck bells: inharmonic partials that ring and fade, a strike every 0.5-1.5 s."""
    base = rng.uniform(300, 900)
    ratios = np.array([1.0, 2.0, 2.4, 3.0, 4.2, 5.4]) * rng.uniform(0.97, 1.03, 6)
    decay = rng.uniform(0.3, 0.9)
    period = rng.uniform(0.5, 1.5)
    ring = np.arange(int(2.5 * DEMO_SAMPLE_RATE)) / DEMO_SAMPLE_RATE
    strike = sum(
        rng.uniform(0.3, 1.0)
        * np.exp(-ring * (k + 1) / decay)
        * np.sin(2 * np.pi * base * r * ring + rng.uniform(0, 2 * np.pi))
        for k, r in enumerate(ratios)
    )
    signal = np.zeros(n + len(strike))
    for start in np.arange(rng.uniform(0, period), n / DEMO_SAMPLE_RATE, period):
        first = int(start * DEMO_SAMPLE_RATE)
        signal[first : first + len(strike)] += rng.uniform(0.7, 1.0) * strike
    return signal[:n]


def _drone(n: int, rng) -> np.ndarray:
    """A low engine drone chopped by rotor blades: rich low harmonics pulsing 8-25 times a second."""
    t = np.arange(n) / DEMO_SAMPLE_RATE
    fundamental = rng.uniform(55, 140) * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t))
    phase = 2 * np.pi * np.cumsum(fundamental) / DEMO_SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k ** rng.uniform(0.6, 1.2) for k in range(1, 12))
    chop = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * rng.uniform(8, 25) * t)) * rng.uniform(0.5, 0.9)
    rumble = _band_noise(n, rng, 40, 400) * rng.uniform(0.2, 0.5)
    return (tone + rumble) * _smooth(chop, 0.004 * DEMO_SAMPLE_RATE)


def _chirps(n: int, rng) -> np.ndarray:
    """Croaks and chirps: short rising tone sweeps in quick bursts, with pauses between bursts."""
    signal = np.zeros(n)
    low = rng.uniform(1200, 2500)
    length = int(rng.uniform(0.03, 0.08) * DEMO_SAMPLE_RATE)
    tk = np.arange(length) / DEMO_SAMPLE_RATE
    sweep = low * (1 + rng.uniform(0.4, 1.2) * tk / tk[-1])
    chirp = np.sin(2 * np.pi * np.cumsum(sweep) / DEMO_SAMPLE_RATE) * np.hanning(length)
    position = int(rng.uniform(0, 0.2) * DEMO_SAMPLE_RATE)
    while position < n:
        rate = rng.uniform(12, 30)
        for _ in range(int(rng.integers(3, 9))):
            if position + length < n:
                signal[position : position + length] += chirp * rng.uniform(0.6, 1.0)
            position += int(DEMO_SAMPLE_RATE / rate)
        position += int(rng.uniform(0.1, 0.4) * DEMO_SAMPLE_RATE)
    return signal


def _waves(n: int, rng) -> np.ndarray:
    """Surf: broad low-to-mid noise swelling and falling back every few seconds."""
    t = np.arange(n) / DEMO_SAMPLE_RATE
    period = rng.uniform(1.5, 3.5)
    swell = (0.5 - 0.5 * np.cos(2 * np.pi * (t / period + rng.uniform()))) ** 2
    body = _band_noise(n, rng, 80, rng.uniform(1200, 2200))
    spray = _band_noise(n, rng, 2500, 6000) * rng.uniform(0.1, 0.3)
    return (body + spray * swell) * (0.15 + swell)


# ---------------------------------------------------------------- pictures


def _ripples(rng):
    """Rings spreading out from a point, as on water, inside a large rectangle."""
    centre = rng.uniform(
        [0.2 * DEMO_WIDTH, 0.2 * DEMO_HEIGHT], [0.8 * DEMO_WIDTH, 0.8 * DEMO_HEIGHT]
    )
    distance = np.hypot(_XS - centre[0], _YS - centre[1])
    wavelength, speed = rng.uniform(14, 30), rng.uniform(20, 60)
    ink = _colour(rng, (160, 200))
    paper = _colour(rng, (160, 200), (0.1, 0.4), (0.15, 0.4))
    fade = np.exp(-distance / rng.uniform(120, 260))
    alpha = _region(rng)

    def draw(t: float):
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * (distance - speed * t) / wavelength)
        mix = (wave * (0.4 + 0.6 * fade))[..., None]
        return (paper + (ink - paper) * mix).astype(np.float32), alpha

    return draw


def _meter_bars(rng):
    """A row of vertical level-meter bars jumping up and down, like a music visualiser."""
    bars = int(rng.integers(6, 14))
    left, right = rng.uniform(0, 0.15) * DEMO_WIDTH, rng.uniform(0.85, 1.0) * DEMO_WIDTH
    bottom = rng.uniform(0.85, 1.0) * DEMO_HEIGHT
    pitch = (right - left) / bars
    gap = pitch * rng.uniform(0.15, 0.4)
    rates = rng.uniform(1.5, 5.0, bars)
    phases = rng.uniform(0, 2 * np.pi, bars)
    low_colour = tuple(map(float, _colour(rng, (90, 150))))
    high_colour = tuple(map(float, _colour(rng, (0, 40))))

    def draw(t: float):
        layer = np.zeros((DEMO_HEIGHT, DEMO_WIDTH, 3), np.uint8)
        mask = np.zeros((DEMO_HEIGHT, DEMO_WIDTH), np.uint8)
        levels = 0.15 + 0.8 * np.abs(np.sin(rates * t + phases))
        for k, level in enumerate(levels):
            x0, x1 = int(left + k * pitch), int(left + (k + 1) * pitch - gap)
            top = int(bottom - level * 0.8 * DEMO_HEIGHT)
            split = int(bottom - 0.5 * 0.8 * DEMO_HEIGHT)
            cv2.rectangle(layer, (x0, max(top, split)), (x1, int(bottom)), low_colour, -1)
            if top < split:
                cv2.rectangle(layer, (x0, top), (x1, split), high_colour, -1)
            cv2.rectangle(mask, (x0, top), (x1, int(bottom)), 255, -1)
        return layer.astype(np.float32), mask.astype(np.float32) / 255

    return draw


def _bouncing_balls(rng):
    """A few shiny balls bouncing fast around the frame."""
    balls = []
    for _ in range(int(rng.integers(3, 7))):
        radius = rng.uniform(14, 32)
        low, high = (
            np.array([radius, radius]),
            np.array([DEMO_WIDTH - radius, DEMO_HEIGHT - radius]),
        )
        heading = rng.uniform(0, 2 * np.pi)
        velocity = rng.uniform(60, 160) * np.array([np.cos(heading), np.sin(heading)])
        colour = tuple(map(float, _colour(rng, (40, 70) if rng.random() < 0.5 else (300, 340))))
        balls.append((radius, rng.uniform(low, high), velocity, low, high, colour))

    def draw(t: float):
        layer = np.zeros((DEMO_HEIGHT, DEMO_WIDTH, 3), np.uint8)
        mask = np.zeros((DEMO_HEIGHT, DEMO_WIDTH), np.uint8)
        for radius, start, velocity, low, high, colour in balls:
            x, y = (int(v) for v in _bounce(start, velocity, low, high, t))
            r = int(radius)
            cv2.circle(layer, (x, y), r, colour, -1, cv2.LINE_AA)
            cv2.circle(
                layer, (x - r // 3, y - r // 3), max(2, r // 4), (255, 255, 255), -1, cv2.LINE_AA
            )
            cv2.circle(mask, (x, y), r, 255, -1, cv2.LINE_AA)
        return layer.astype(np.float32), mask.astype(np.float32) / 255

    return draw


def _rain(rng):
    """Slanted streaks of rain falling over a darkened frame."""
    drops = int(rng.integers(120, 260))
    slant = rng.uniform(-0.4, 0.4)
    speed = rng.uniform(180, 320)
    length = rng.uniform(10, 22)
    xs = rng.uniform(-0.3 * DEMO_WIDTH, 1.3 * DEMO_WIDTH, drops)
    ys = rng.uniform(0, DEMO_HEIGHT, drops)
    colour = tuple(map(float, _colour(rng, (200, 240), (0.0, 0.3), (0.8, 1.0))))
    dim = rng.uniform(0.35, 0.6)

    def draw(t: float):
        layer = np.full((DEMO_HEIGHT, DEMO_WIDTH, 3), 20, np.uint8)
        mask = np.full((DEMO_HEIGHT, DEMO_WIDTH), int(255 * dim), np.uint8)
        fall = (ys + speed * t) % (DEMO_HEIGHT + length)
        for x, y in zip(xs + slant * speed * t, fall):
            x = (x + 0.3 * DEMO_WIDTH) % (1.6 * DEMO_WIDTH) - 0.3 * DEMO_WIDTH
            end = (int(x + slant * length), int(y + length))
            cv2.line(layer, (int(x), int(y)), end, colour, 2, cv2.LINE_AA)
            cv2.line(mask, (int(x), int(y)), end, 255, 2, cv2.LINE_AA)
        return layer.astype(np.float32), mask.astype(np.float32) / 255

    return draw


demo_sounds.SOUND_RENDERERS.update(
    {"bell": _bell, "drone": _drone, "chirps": _chirps, "waves": _waves}
)
demo_pictures.PICTURE_RENDERERS.update(
    {
        "ripples": _ripples,
        "meter bars": _meter_bars,
        "bouncing balls": _bouncing_balls,
        "rain": _rain,
    }
)
