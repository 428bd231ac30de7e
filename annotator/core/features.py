"""Per-second features of one video, as the models consume them.

`VideoFeatures` holds, for each second, the log-mel patch and the visual embedding, plus a
presence flag per modality (0 where the video has no such stream, or the stream ended early).
Audio extraction lives here; visual embeddings need the backbone and are made in annotator.ml.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio_features import SILENT_PATCH_VALUE, log_mel_patch
from .conventions import PATCH_SHAPE
from .decode import iter_audio_seconds
from .model_inputs import AUDIO_PRESENT, LOG_MEL
from .table import count_seconds


@dataclass
class VideoFeatures:
    video: str
    duration: float
    log_mel: np.ndarray | None = None  # (seconds, 96, 64) float32
    audio_present: np.ndarray | None = None  # (seconds,) float32 0/1
    visual: np.ndarray | None = None  # (seconds, embedding) float32
    visual_present: np.ndarray | None = None  # (seconds,) float32 0/1
    # How the pictures were decoded: "keyframes", "reference" or "all" (core/keyframes.py).
    visual_decoding: str = ""

    @property
    def seconds(self) -> int:
        return count_seconds(self.duration)

    @property
    def has_audio(self) -> bool:
        return self.audio_present is not None and bool(self.audio_present.any())


def absent_audio(seconds: int) -> dict:
    """Features standing for a missing audio stream: silent patches, presence 0."""
    return {
        LOG_MEL: np.full((seconds, *PATCH_SHAPE), SILENT_PATCH_VALUE, np.float32),
        AUDIO_PRESENT: np.zeros(seconds, np.float32),
    }


def extract_audio(path, seconds: int, cancel=None, span=None) -> dict:
    """Log-mel patches for each of `seconds`, streamed from the file's first audio stream
    (from `span` = (start, length) only, when given: a chunk of a long video)."""
    features = absent_audio(seconds)
    for index, chunk in enumerate(iter_audio_seconds(path, span=span)):
        if cancel is not None and cancel():
            from .errors import Cancelled

            raise Cancelled(f"{path}: cancelled")
        if index >= seconds:
            break
        features[LOG_MEL][index] = log_mel_patch(chunk)
        features[AUDIO_PRESENT][index] = 1.0
    return features
