"""A stream's features in chunks of a minute, each cached as soon as it is done.

A long recording is decoded chunk by chunk (ffmpeg seeks to each chunk's start), and every
finished chunk goes into the feature cache at once: a run interrupted half-way through a two-hour
video resumes at its first unfinished chunk, for the pictures as for the sound, instead of
decoding the video again from its start. The chunks are fixed by the video's length alone, so a
resumed run computes exactly what an uninterrupted one would. A video of at most one chunk is
decoded in one piece and cached under its whole-video key, as before chunks existed.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

CHUNK_SECONDS = 60


def chunk_spans(seconds: int) -> list[tuple[int, int]]:
    """(first second, seconds) of each chunk of a video `seconds` long."""
    return [
        (start, min(CHUNK_SECONDS, seconds - start))
        for start in range(0, max(seconds, 1), CHUNK_SECONDS)
    ]


def save_quietly(cache, path, key: str, settings: dict, arrays: dict) -> None:
    """Cache `arrays`; a full or read-only cache slows the next run, nothing more."""
    try:
        cache.save(path, key, settings, arrays)
    except OSError as exc:
        log.warning("%s: feature cache not written (%s)", path, exc)


def _chunk_key(settings: dict, spans: list, start: int, count: int) -> dict:
    return settings if len(spans) == 1 else {**settings, "chunk": [start, count]}


def _decode_span(spans: list, index: int) -> tuple[float, float | None] | None:
    """What ffmpeg decodes for chunk `index`: the whole file for a one-chunk video, up to the
    file's end for the last chunk (so a stream's true end is seen as in one piece)."""
    if len(spans) == 1:
        return None
    start, count = spans[index]
    return (float(start), None if index == len(spans) - 1 else float(count))


def _usable(arrays: dict | None, count: int) -> bool:
    return arrays is not None and all(len(a) == count for a in arrays.values())


def cached_in_chunks(
    cache, path, modality: str, settings: dict, seconds: int, extract, use_cache=True, skipped=None
) -> dict:
    """The stream's arrays for all `seconds`, chunk by chunk through the cache.

    `extract(count, span)` computes one chunk's arrays (`count` rows, decoding `span`);
    `skipped(count)` is told of each chunk found in the cache (for progress).
    """
    spans = chunk_spans(seconds)
    whole: dict | None = None
    for index, (start, count) in enumerate(spans):
        key = _chunk_key(settings, spans, start, count)
        arrays = cache.load(path, modality, key) if cache is not None and use_cache else None
        if _usable(arrays, count):
            if skipped is not None:
                skipped(count)
        else:
            arrays = extract(count, _decode_span(spans, index))
            if cache is not None:
                save_quietly(cache, path, modality, key, arrays)
        if len(spans) == 1:
            return arrays
        whole = _place(whole, arrays, start, seconds)
    return whole


def _place(whole: dict | None, arrays: dict, start: int, seconds: int) -> dict:
    """Copy one chunk into the video's arrays (allocated once: no second copy of the video)."""
    if whole is None:
        whole = {k: np.empty((seconds, *a.shape[1:]), a.dtype) for k, a in arrays.items()}
    for name, values in arrays.items():
        whole[name][start : start + len(values)] = values
    return whole
