"""Where a video's keyframes are, read from the container's index, and which ones to decode.

An mp4/mov file lists its keyframes (sync samples, the `stss` box) and every frame's time
(`stts`, `ctts`, the edit list) in its `moov` box, so the layout costs reading that box, not
decoding or even demuxing the video. Other containers, and mp4 files this reader does not
follow (fragmented files, several edits), give None: their pictures take the full-decode path.

`keyframe_plan` decides the path. The pictures are sampled `frames_per_second` times a second;
sample i of second s stands for the interval [s + i/k, s + (i+1)/k) and its nominal time is
that interval's middle (ffmpeg's fps filter, the full-decode path, takes the last frame before
it). Where every interval holds a keyframe, each sample is the keyframe inside its interval
nearest the middle, at most half an interval away (0.5 s at one frame a second); otherwise the
plan is None and every frame that a sample could need is decoded, as before.
"""

from __future__ import annotations

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .conventions import frames_decoded_for

log = logging.getLogger(__name__)

_MP4_SUFFIXES = {".mp4", ".m4v", ".mov", ".3gp", ".3g2"}
# A moov box larger than this is not read (one hour at 60 fps needs about 3 MB).
_MOOV_LIMIT_BYTES = 200 * 2**20


class _NotFollowed(Exception):
    """The index holds something this reader does not follow: use the full-decode path."""


@dataclass(frozen=True)
class KeyframeLayout:
    """The first video track's keyframe times and last frame time, in seconds of the video."""

    times: np.ndarray  # presentation times of the keyframes, ascending
    last_frame: float  # presentation time of the track's last frame

    @property
    def count(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class KeyframePlan:
    """Which decoded keyframes (by position among all keyframes) each second takes."""

    layout: KeyframeLayout
    chosen: tuple[tuple[int, ...], ...]  # per second, keyframe indices in time order
    max_offset: float  # the farthest a chosen keyframe lies from its nominal time, seconds


def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, payload end) of each box in data[start:end]."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, start + 8)[0], 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            raise _NotFollowed(f"box {kind!r} overruns its parent")
        yield kind, start + header, start + size
        start += size


def _read_moov(path: Path) -> bytes | None:
    """The moov box's bytes, found by walking the top-level boxes (it may come last)."""
    with open(path, "rb") as handle:
        file_size = path.stat().st_size
        offset = 0
        while offset + 8 <= file_size:
            handle.seek(offset)
            header = handle.read(16)
            size, kind = struct.unpack_from(">I4s", header)
            skip = 8
            if size == 1:
                size, skip = struct.unpack_from(">Q", header, 8)[0], 16
            elif size == 0:
                size = file_size - offset
            if size < skip:
                return None
            if kind == b"moof":
                raise _NotFollowed("fragmented mp4")
            if kind == b"moov":
                if size > _MOOV_LIMIT_BYTES:
                    return None
                handle.seek(offset)
                return handle.read(size)
            offset += size
    return None


def _children(data: bytes, start: int, end: int) -> dict:
    """The boxes of a container, by type (the first of each type)."""
    found: dict = {}
    for kind, body, stop in _boxes(data, start, end):
        found.setdefault(kind, (body, stop))
    return found


def _full_box(data: bytes, span) -> tuple[int, int]:
    """(version, offset of the fields after a full box's version and flags)."""
    return data[span[0]], span[0] + 4


def _table(data: bytes, span, fields: str) -> np.ndarray:
    """A sample table's entries as an (entries, columns) int64 array of its big-endian 32-bit
    fields (`fields`: "I" unsigned, "i" signed, one letter per column)."""
    _version, at = _full_box(data, span)
    (entries,) = struct.unpack_from(">I", data, at)
    columns = len(fields)
    values = np.frombuffer(data, dtype=">u4", count=entries * columns, offset=at + 4)
    values = values.reshape(entries, columns).astype(np.int64)
    for column, kind in enumerate(fields):
        if kind == "i":  # a signed field: the same 32 bits read as two's complement
            field = values[:, column]
            values[:, column] = np.where(field >= 2**31, field - 2**32, field)
    return values


def _timescale(data: bytes, span) -> tuple[int, int]:
    """(timescale, duration) of an mdhd or mvhd box."""
    version, at = _full_box(data, span)
    if version == 1:
        return struct.unpack_from(">IQ", data, at + 16)
    return struct.unpack_from(">II", data, at + 8)


def _edit_shift(data: bytes, boxes: dict, movie_scale: int, media_scale: int) -> float:
    """Seconds to add to a sample's media time: at most one empty edit and one normal edit."""
    if b"edts" not in boxes:
        return 0.0
    edts = _children(data, *boxes[b"edts"])
    if b"elst" not in edts:
        return 0.0
    version, at = _full_box(data, edts[b"elst"])
    (entries,) = struct.unpack_from(">I", data, at)
    layout = ">QqI" if version == 1 else ">IiI"
    step = struct.calcsize(layout)
    edits = [struct.unpack_from(layout, data, at + 4 + i * step) for i in range(entries)]
    empty = [e for e in edits if e[1] == -1]
    normal = [e for e in edits if e[1] != -1]
    if len(normal) > 1 or len(empty) > 1 or any(e[2] != 0x10000 for e in normal):
        raise _NotFollowed("an edit list of several edits or another rate")
    delay = sum(e[0] for e in empty) / movie_scale
    start = normal[0][1] / media_scale if normal else 0.0
    return delay - start


def _video_track(data: bytes, moov) -> tuple[dict, dict] | None:
    """(trak boxes, stbl boxes) of the first video track."""
    for kind, body, stop in _boxes(data, *moov):
        if kind != b"trak":
            continue
        trak = _children(data, body, stop)
        if b"mdia" not in trak:
            continue
        mdia = _children(data, *trak[b"mdia"])
        handler = mdia.get(b"hdlr")
        if handler is None or data[handler[0] + 8 : handler[0] + 12] != b"vide":
            continue
        stbl = _children(data, *_children(data, *mdia[b"minf"])[b"stbl"])
        return {**trak, **mdia}, stbl
    return None


def _presentation_times(data: bytes, stbl: dict) -> np.ndarray:
    """Every sample's presentation time in media units (decoding time plus composition offset)."""
    stts = _table(data, stbl[b"stts"], "II")
    deltas = np.repeat(stts[:, 1], stts[:, 0])
    decode_times = np.concatenate([[0], np.cumsum(deltas)[:-1]]) if len(deltas) else deltas
    if b"ctts" in stbl:
        ctts = _table(data, stbl[b"ctts"], "Ii")  # signed offsets, as ffmpeg reads them
        offsets = np.repeat(ctts[:, 1], ctts[:, 0])
        if len(offsets) != len(decode_times):
            raise _NotFollowed("ctts and stts disagree on the number of frames")
        decode_times = decode_times + offsets
    return decode_times


def _read_layout(path: Path) -> KeyframeLayout | None:
    moov_bytes = _read_moov(path)
    if moov_bytes is None:
        return None
    moov = _children(moov_bytes, 8, len(moov_bytes))
    if b"mvex" in moov:  # the frames are listed in fragments after it, not in this index
        raise _NotFollowed("fragmented mp4")
    movie_scale, _ = _timescale(moov_bytes, moov[b"mvhd"])
    track = _video_track(moov_bytes, (8, len(moov_bytes)))
    if track is None:
        return None
    boxes, stbl = track
    media_scale, _ = _timescale(moov_bytes, boxes[b"mdhd"])
    if media_scale <= 0 or movie_scale <= 0:
        return None
    times = _presentation_times(moov_bytes, stbl) / media_scale
    # To the microsecond: a keyframe at 1.0 s must not read as 0.9999999 and miss its second.
    times = np.round(times + _edit_shift(moov_bytes, boxes, movie_scale, media_scale), 6)
    if b"stss" in stbl:  # without it every frame is a keyframe
        keys = _table(moov_bytes, stbl[b"stss"], "I")[:, 0] - 1
        if len(keys) and (keys.min() < 0 or keys.max() >= len(times)):
            raise _NotFollowed("stss names a frame that does not exist")
        key_times = times[keys]
    else:
        key_times = times
    shown = times[times >= 0]  # frames before the edit's start are decoded but never shown
    if not len(shown):
        return None
    key_times = np.sort(key_times[key_times >= 0])
    return KeyframeLayout(key_times, float(shown.max()))


def read_keyframe_layout(path) -> KeyframeLayout | None:
    """The first video track's keyframe layout from an mp4/mov index, or None where it cannot
    be read that way (another container, a fragmented or unusual file, a damaged index)."""
    path = Path(path)
    if path.suffix.lower() not in _MP4_SUFFIXES:
        return None
    try:
        return _read_layout(path)
    except (_NotFollowed, KeyError, struct.error, ValueError, OSError) as exc:
        log.debug("%s: keyframe index not read (%s); full decode", path, exc)
        return None


def _choose(times: np.ndarray, start: float, stop: float, middle: float) -> int | None:
    """Index of the keyframe in [start, stop) nearest `middle` (the earlier on a tie)."""
    low, high = np.searchsorted(times, [start, stop], side="left")
    if low == high:
        return None
    return int(low + np.argmin(np.abs(times[low:high] - middle)))


def plan_from_layout(
    layout: KeyframeLayout, seconds: int, frames_per_second: int
) -> KeyframePlan | None:
    """Per second, the keyframes to decode, or None if a sampling interval holds none.

    Intervals that begin after the track's last frame need no keyframe (a stream that ends a
    little before the container: the caller repeats its last second, as on the other path)."""
    step = 1.0 / frames_per_second
    chosen, worst = [], 0.0
    for second in range(seconds):
        picks = []
        for sample in range(frames_per_second):
            start = second + sample * step
            if start > layout.last_frame:
                break
            index = _choose(layout.times, start, start + step, start + step / 2)
            if index is None:
                return None
            picks.append(index)
            worst = max(worst, abs(float(layout.times[index]) - (start + step / 2)))
        chosen.append(tuple(picks))
    if not chosen[0]:
        return None
    return KeyframePlan(layout, tuple(chosen), worst)


def keyframe_plan(path, seconds: int, frames_per_second: int) -> KeyframePlan | None:
    """The keyframes-only plan for `path`, or None where the full-decode path applies."""
    layout = read_keyframe_layout(path)
    if layout is None or layout.count == 0:
        return None
    return plan_from_layout(layout, seconds, frames_per_second)


# `full` turns the keyframes-only path off (to compare the two paths, or to rule it out).
DECODE_ENV = "AV_ANNOTATOR_DECODE"
KEYFRAMES = "keyframes"


def keyframes_allowed() -> bool:
    return os.environ.get(DECODE_ENV, "auto").strip().lower() != "full"


def visual_decoding(
    path, seconds: int, frames_per_second: int, video_fps: float
) -> tuple[str, KeyframePlan | None]:
    """(frames_decoded, plan) for a video's pictures: ("keyframes", plan) where the index shows
    a keyframe in every sampling interval, else today's choice (conventions.frames_decoded_for)
    and no plan."""
    plan = keyframe_plan(path, seconds, frames_per_second) if keyframes_allowed() else None
    if plan is not None:
        return KEYFRAMES, plan
    return frames_decoded_for(video_fps), None
