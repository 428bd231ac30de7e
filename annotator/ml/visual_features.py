"""Visual features per second: backbone embeddings of N frames per second, averaged per second.

Frames from several seconds are batched into one backbone call, which is what makes the CPU fast.
"""

from __future__ import annotations

import numpy as np

from ..core.conventions import VISUAL_EMBEDDING_SIZE, VISUAL_FRAMES_DECODED
from ..core.decode import iter_frame_seconds, iter_keyframe_seconds
from ..core.errors import Cancelled
from ..core.model_inputs import VISUAL, VISUAL_PRESENT

BACKBONE_BATCH_FRAMES = 32


def _embed_pending(pending: list, out: np.ndarray, present: np.ndarray) -> None:
    from .backbone.embedding import embed_frames

    frames = np.concatenate([f for _s, f in pending])
    embeddings = embed_frames(frames)
    offset = 0
    for second, chunk in pending:
        out[second] = embeddings[offset : offset + len(chunk)].mean(axis=0)
        present[second] = 1.0
        offset += len(chunk)


def extract_visual(
    path,
    seconds: int,
    frames_per_second: int,
    cancel=None,
    frames_decoded: str = VISUAL_FRAMES_DECODED,
    span=None,
    *,
    plan=None,
) -> dict:
    """{'visual': (seconds, 1280), 'visual_present': (seconds,)} from the first video stream
    (from `span` = (start, length) only, when given: a chunk of a long video).

    With a keyframe `plan` (core/keyframes.py) only keyframes are decoded, else `frames_decoded`
    says which frames are. Seconds the stream does not reach (it ended early) repeat its last
    embedding but are marked absent only if the stream yielded nothing at all.
    """
    visual = np.zeros((seconds, VISUAL_EMBEDDING_SIZE), np.float32)
    present = np.zeros(seconds, np.float32)
    pending: list = []
    pending_frames = 0
    if plan is not None:
        frame_seconds = iter_keyframe_seconds(path, plan, span=span)
    else:
        frame_seconds = iter_frame_seconds(
            path, frames_per_second, frames_decoded=frames_decoded, span=span
        )
    for second, frames in enumerate(frame_seconds):
        if cancel is not None and cancel():
            raise Cancelled(f"{path}: cancelled")
        if second >= seconds:
            break
        pending.append((second, frames))
        pending_frames += len(frames)
        if pending_frames >= BACKBONE_BATCH_FRAMES:
            _embed_pending(pending, visual, present)
            pending, pending_frames = [], 0
    if pending:
        _embed_pending(pending, visual, present)
    fill_tail(visual, present)
    return {VISUAL: visual, VISUAL_PRESENT: present}


def fill_tail(visual: np.ndarray, present: np.ndarray) -> None:
    """A stream a frame short of the container's end still describes that last second."""
    seen = np.flatnonzero(present)
    if len(seen) and seen[-1] < len(present) - 1 and len(present) - 1 - seen[-1] <= 1:
        visual[seen[-1] + 1 :] = visual[seen[-1]]
        present[seen[-1] + 1 :] = 1.0
