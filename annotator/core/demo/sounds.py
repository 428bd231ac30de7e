"""The demo data set's sounds: one synthesiser per sound family, and the background under them.

One job: `render_sound` turns a sound family, the seconds in which it is heard and a random
generator into a mono soundtrack at DEMO_SAMPLE_RATE. Each family draws a distinct shape on a
log-mel patch (lines flat, diagonal or vertical, or blocks of noise); every parameter is
jittered. Which class uses which family is decided in demo_data.
"""

from __future__ import annotations

import numpy as np

from .encode import sample_count

DEMO_SAMPLE_RATE = 22_050  # not 16 kHz on purpose: readers resample, as for real videos
SOUND_FAMILIES = ("whistle", "siren", "knocking", "hiss")


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
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-12)


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
    return sum(tilt**k * np.sin((k + 1) * phase) for k in range(int(rng.integers(2, 5))))


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
    knock = (
        np.exp(-tk / decay) * np.sin(2 * np.pi * pitch * tk)
        + 0.5 * np.exp(-tk / (0.6 * decay)) * np.sin(2 * np.pi * 2.76 * pitch * tk)
        + rng.uniform(0.4, 1.0) * rng.standard_normal(len(tk)) * np.exp(-tk / 0.0015)
    )
    signal = np.zeros(n + len(knock))
    starts = (times * DEMO_SAMPLE_RATE).astype(int)
    for start, gain in zip(starts, rng.uniform(0.6, 1.0, len(times))):
        if 0 <= start < n:
            signal[start : start + len(knock)] += gain * knock
    return signal[:n]


def _hiss(n: int, rng) -> np.ndarray:
    """Bursts of band-limited noise: blocks of energy in one frequency band."""
    centre = rng.uniform(1500, 5000)
    half_band = centre * rng.uniform(0.1, 0.3)
    gate = np.zeros(n)
    position, on = int(rng.uniform(0, 0.2) * DEMO_SAMPLE_RATE), True
    while position < n:
        length = int(rng.uniform(*((0.12, 0.45) if on else (0.05, 0.3))) * DEMO_SAMPLE_RATE)
        gate[position : position + length] = float(on)
        position, on = position + length, not on
    envelope = _smooth(gate, 0.015 * DEMO_SAMPLE_RATE)
    return _band_noise(n, rng, centre - half_band, centre + half_band) * envelope


SOUND_RENDERERS = {"whistle": _whistle, "siren": _siren, "knocking": _knocking, "hiss": _hiss}


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


def render_sound(family: str, heard, duration: float, rng) -> np.ndarray:
    """A mono soundtrack at DEMO_SAMPLE_RATE: background plus `family`'s sound, gated to the
    seconds where `heard` (one bool per second) is True."""
    n = sample_count(duration, DEMO_SAMPLE_RATE)
    audio = _background_sound(n, rng)
    event = SOUND_RENDERERS[family](n, rng)
    event = event / (np.sqrt(np.mean(event**2)) + 1e-12)
    # Sparse sounds (knocks) have high peaks: lower the event rather than clip it.
    level = min(10 ** (rng.uniform(-22, -12) / 20), 0.85 / (np.abs(event).max() + 1e-12))
    gate = np.repeat(np.asarray(heard).astype(float), DEMO_SAMPLE_RATE)[:n]
    audio += level * event * _smooth(gate, 0.01 * DEMO_SAMPLE_RATE)
    return np.clip(audio, -1, 1).astype(np.float32)
