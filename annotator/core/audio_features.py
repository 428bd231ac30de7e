"""The VGGish-convention log-mel front end: one 96x64 patch per second of audio.

Arrays in, arrays out (no files): 16 kHz mono, periodic Hann window of 25 ms, hop 10 ms,
magnitude spectrum, 64 HTK mel bands from 125 to 7500 Hz, log(mel + 0.01). Each second of audio
yields its own patch of 96 frames (0.96 s), so seconds can be processed as they stream in.
"""

from __future__ import annotations

import functools

import numpy as np

from .conventions import (
    AUDIO_SAMPLE_RATE,
    LOG_OFFSET,
    MEL_BANDS,
    MEL_MAX_HZ,
    MEL_MIN_HZ,
    PATCH_FRAMES,
    STFT_HOP_SECONDS,
    STFT_WINDOW_SECONDS,
)

_WINDOW = int(round(STFT_WINDOW_SECONDS * AUDIO_SAMPLE_RATE))  # 400 samples
_HOP = int(round(STFT_HOP_SECONDS * AUDIO_SAMPLE_RATE))  # 160 samples
_FFT = 1 << (_WINDOW - 1).bit_length()  # 512
_PATCH_SAMPLES = (PATCH_FRAMES - 1) * _HOP + _WINDOW  # 15600 samples < 1 s


def _hertz_to_mel(hertz):
    return 1127.0 * np.log1p(np.asarray(hertz, dtype=np.float64) / 700.0)


@functools.cache
def mel_matrix() -> np.ndarray:
    """(FFT bins, mel bands) triangular HTK-mel weights, as in the VGGish reference."""
    bins = _FFT // 2 + 1
    bin_mels = _hertz_to_mel(np.linspace(0.0, AUDIO_SAMPLE_RATE / 2.0, bins))
    edges = np.linspace(_hertz_to_mel(MEL_MIN_HZ), _hertz_to_mel(MEL_MAX_HZ), MEL_BANDS + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mels[:, None] - lower) / (centre - lower)
    falling = (upper - bin_mels[:, None]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0  # the DC bin carries no band
    return weights.astype(np.float32)


@functools.cache
def _hann() -> np.ndarray:
    # Periodic Hann window, as in the VGGish reference implementation.
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_WINDOW) / _WINDOW)).astype(np.float32)


def log_mel_patch(second: np.ndarray) -> np.ndarray:
    """(96, 64) float32 log-mel patch of one second of 16 kHz mono audio (zero-padded if short)."""
    samples = np.zeros(_PATCH_SAMPLES, dtype=np.float32)
    usable = np.asarray(second, dtype=np.float32)[:_PATCH_SAMPLES]
    samples[: len(usable)] = usable
    starts = np.arange(PATCH_FRAMES) * _HOP
    frames = samples[starts[:, None] + np.arange(_WINDOW)] * _hann()
    magnitude = np.abs(np.fft.rfft(frames, n=_FFT, axis=1)).astype(np.float32)
    return np.log(magnitude @ mel_matrix() + LOG_OFFSET)


def log_mel_patches(audio: np.ndarray, sample_rate: int = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """(seconds, 96, 64) patches of a whole mono signal; resampled to 16 kHz with resampy if needed."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if sample_rate != AUDIO_SAMPLE_RATE:
        import resampy

        audio = resampy.resample(audio, sample_rate, AUDIO_SAMPLE_RATE).astype(np.float32)
    seconds = max(1, int(np.ceil(len(audio) / AUDIO_SAMPLE_RATE)))
    return np.stack(
        [
            log_mel_patch(audio[s * AUDIO_SAMPLE_RATE : (s + 1) * AUDIO_SAMPLE_RATE])
            for s in range(seconds)
        ]
    )


SILENT_PATCH_VALUE = float(np.log(LOG_OFFSET))  # what a patch of digital silence holds everywhere
