"""Frames to embeddings: the one entry point the feature pipeline calls.

Runs on ONNX Runtime (``onnx_model``: same weights, about 40% less CPU per frame, outputs within
1e-4 of the Keras model) and imports no TensorFlow on that path; only where ONNX Runtime is
missing does it build the Keras model (``keras_model``), which brings TensorFlow in.
"""

from __future__ import annotations

import numpy as np

from . import onnx_model
from .spec import EMBEDDING_SIZE, INPUT_SIZE


def embed_frames(frames: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """(N, 224, 224, 3) uint8 RGB frames -> (N, 1280) float32 embeddings."""
    frames = np.asarray(frames)
    expected = (INPUT_SIZE, INPUT_SIZE, 3)
    if frames.ndim != 4 or frames.shape[1:] != expected:
        raise ValueError(f"frames must be (N, {INPUT_SIZE}, {INPUT_SIZE}, 3), got {frames.shape}")
    if len(frames) == 0:
        return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
    fast = onnx_model.onnx_backbone()
    if fast is not None:
        embed = fast.embed
    else:
        # Only here, without ONNX Runtime, does embedding a frame cost a TensorFlow import.
        from .keras_model import keras_embed as embed
    chunks = [embed(frames[i : i + batch_size]) for i in range(0, len(frames), batch_size)]
    return np.concatenate(chunks).astype(np.float32, copy=False)
