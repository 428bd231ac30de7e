"""The timeline's pictures and sound as a level-of-detail pyramid of tiles, built in one pass.

A long video cannot keep a picture and a sound patch for every second in memory (a 2-hour
recording held 870 MB that way). Instead one streaming pass over the video writes tiles to disk,
and the lanes load only the tiles the screen needs (tiles.py). Each kind has levels, coarser
as they go up, so a screen never needs more than a handful of tiles at any zoom:

- sound: level 0 has SOUND_BINS_PER_SECOND bins a second (the waveform's min and max, and the
  log-mel frame the model hears); each level above merges SOUND_FACTOR bins into one (min of
  the mins, max of the maxes, mean of the mel). A tile holds TILE_BINS bins.
- pictures: level 0 has the picture of every second; level p the picture of every
  PICTURE_FACTOR**p-th second. A tile holds TILE_PICTURES pictures (JPEG bytes).

The top level of each kind fits in one tile, so the overview strip reads one or two tiles.
Nothing here touches Qt widgets; `PyramidBuilder.add_second` is fed by the preview task.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from ...core.audio_features import log_mel_patch
from ...core.conventions import AUDIO_SAMPLE_RATE

SOUND_BINS_PER_SECOND = 100
SOUND_FACTOR = 16
TILE_BINS = 4096
PICTURE_FACTOR = 4
TILE_PICTURES = 64
PICTURE_HEIGHT = 72
MEL_BANDS = 64
# The log-mel is kept as one byte a value, in steps of MEL_STEP from MEL_LOW (log(LOG_OFFSET),
# digital silence, is -4.6): plenty for a picture, and a quarter of float32 on disk (the mel
# is most of a sound tile: ~23 MB an hour at level 0).
MEL_LOW, MEL_STEP = -4.7, 0.05
# Raise when the tiles' layout or content changes: old tiles are then ignored, not misread.
PYRAMID_VERSION = 3


def levels_needed(count: int, factor: int, per_tile: int) -> int:
    """How many levels until the top one fits in one tile (at least one level)."""
    levels = 1
    while count > per_tile:
        count = math.ceil(count / factor)
        levels += 1
    return levels


@dataclass(frozen=True)
class PyramidLayout:
    """What a video's pyramid holds; the lanes need it before the first tile exists."""

    duration: float
    seconds: int
    has_pictures: bool
    has_sound: bool
    picture_width: int
    picture_levels: int
    sound_levels: int
    version: int = PYRAMID_VERSION
    # What the streams really gave (known when the pyramid is complete; a stream may end before
    # the probed duration): seconds with a picture, and level-0 sound bins.
    picture_seconds: int = 0
    sound_bins: int = 0

    @classmethod
    def for_video(cls, duration: float, width: int, height: int, has_pictures, has_sound):
        seconds = max(1, math.ceil(round(duration, 3)))
        aspect = width / height if width and height else 4 / 3
        return cls(
            duration=float(duration),
            seconds=seconds,
            has_pictures=bool(has_pictures),
            has_sound=bool(has_sound),
            picture_width=max(8, round(PICTURE_HEIGHT * aspect)),
            picture_levels=levels_needed(seconds, PICTURE_FACTOR, TILE_PICTURES),
            sound_levels=levels_needed(seconds * SOUND_BINS_PER_SECOND, SOUND_FACTOR, TILE_BINS),
        )

    def as_dict(self) -> dict:
        return asdict(self)

    # ---- where things are ----------------------------------------------------------------

    @staticmethod
    def bin_seconds(level: int) -> float:
        return SOUND_FACTOR**level / SOUND_BINS_PER_SECOND

    def sound_level_for(self, seconds_per_pixel: float) -> int:
        """The coarsest sound level whose bins are still no wider than a pixel."""
        level = 0
        while level + 1 < self.sound_levels and self.bin_seconds(level + 1) <= seconds_per_pixel:
            level += 1
        return level

    @staticmethod
    def picture_step(level: int) -> int:
        return PICTURE_FACTOR**level

    def tile_count(self, kind: str, level: int) -> int:
        """How many tiles a level of a complete pyramid holds."""
        if kind == "pictures":
            count = len(range(0, self.picture_seconds, self.picture_step(level)))
            return -(-count // TILE_PICTURES)
        bins = self.sound_bins
        for _ in range(level):
            bins = -(-bins // SOUND_FACTOR)
        return -(-bins // TILE_BINS)

    def picture_level_for(self, step_seconds: int) -> int:
        """The coarsest picture level whose pictures are at most `step_seconds` apart (the
        lane then shows every k-th of them: never more than a few tiles for a screen)."""
        level = 0
        while level + 1 < self.picture_levels and self.picture_step(level + 1) <= step_seconds:
            level += 1
        return level


def envelope_and_mel(second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One second of audio as level-0 sound bins: (n, 2) min/max and (n, MEL_BANDS) log-mel.

    n is SOUND_BINS_PER_SECOND for a whole second, fewer for the video's last, short second.
    The 96 mel frames of the model's 0.96 s patch fill the second's first 96 bins; the last
    frame repeats into the remaining four (as the timeline always stretched the patch)."""
    per_bin = AUDIO_SAMPLE_RATE // SOUND_BINS_PER_SECOND
    count = min(SOUND_BINS_PER_SECOND, max(1, math.ceil(len(second) / per_bin)))
    padded = np.zeros(count * per_bin, np.float32)
    padded[: min(len(second), len(padded))] = second[: len(padded)]
    bins = padded.reshape(count, per_bin)
    envelope = np.stack([bins.min(axis=1), bins.max(axis=1)], axis=1)
    patch = log_mel_patch(second)
    mel = patch[np.minimum(np.arange(count), len(patch) - 1)]
    return envelope.astype(np.float32), mel.astype(np.float32)


class _SoundLevel:
    """One sound level being filled: the tile in hand, and the bins not yet merged upwards."""

    def __init__(self, level: int):
        self.level, self.index = level, 0
        self.envelope: list[np.ndarray] = []
        self.mel: list[np.ndarray] = []
        self.held = 0  # bins in the tile in hand

    def tile(self) -> dict:
        return {
            "envelope": np.concatenate(self.envelope),
            "mel": mel_to_bytes(np.concatenate(self.mel)),
        }


class _PictureLevel:
    def __init__(self, level: int):
        self.level, self.index = level, 0
        self.jpegs: list[bytes] = []

    def tile(self) -> dict:
        offsets = np.cumsum([0] + [len(j) for j in self.jpegs]).astype(np.int64)
        data = (
            np.frombuffer(b"".join(self.jpegs), np.uint8) if self.jpegs else np.zeros(0, np.uint8)
        )
        return {"jpeg": data, "offsets": offsets}


class PyramidBuilder:
    """Takes the video second by second; calls `write(kind, level, index, arrays)` for every
    finished tile, and `partial()` hands the unfinished ones (so a view can show them early)."""

    def __init__(self, layout: PyramidLayout, write):
        self.layout, self.write = layout, write
        self.sound = [_SoundLevel(level) for level in range(layout.sound_levels)]
        self.pictures = [_PictureLevel(level) for level in range(layout.picture_levels)]
        self._merge: list[list] = [[] for _ in range(layout.sound_levels)]  # (env, mel) bins
        self.picture_seconds = self.sound_bins = 0

    def add_picture(self, second: int, jpeg: bytes) -> None:
        self.picture_seconds = second + 1
        for level in self.pictures:
            step = self.layout.picture_step(level.level)
            if second % step:
                break  # a second not on this level's step is on no level above either
            level.jpegs.append(jpeg)
            if len(level.jpegs) == TILE_PICTURES:
                self.write("pictures", level.level, level.index, level.tile())
                level.index, level.jpegs = level.index + 1, []

    def add_sound(self, envelope: np.ndarray, mel: np.ndarray) -> None:
        self.sound_bins += len(envelope)
        self._add_bins(0, envelope, mel)

    def _add_bins(self, level_number: int, envelope: np.ndarray, mel: np.ndarray) -> None:
        level = self.sound[level_number]
        while len(envelope):
            take = min(len(envelope), TILE_BINS - level.held)
            level.envelope.append(envelope[:take])
            level.mel.append(mel[:take])
            level.held += take
            if level_number + 1 < len(self.sound):
                self._merge_up(level_number, envelope[:take], mel[:take])
            envelope, mel = envelope[take:], mel[take:]
            if level.held == TILE_BINS:
                self.write("sound", level_number, level.index, level.tile())
                level.index, level.envelope, level.mel, level.held = level.index + 1, [], [], 0

    def _merge_up(self, level_number: int, envelope: np.ndarray, mel: np.ndarray) -> None:
        """Queue bins for the level above; merge every whole group of SOUND_FACTOR."""
        pending = self._merge[level_number]
        pending.append((envelope, mel))
        held = sum(len(e) for e, _ in pending)
        if held < SOUND_FACTOR:
            return
        all_envelope = np.concatenate([e for e, _ in pending])
        all_mel = np.concatenate([m for _, m in pending])
        whole = held - held % SOUND_FACTOR
        rest = (all_envelope[whole:], all_mel[whole:])
        self._merge[level_number] = [rest] if len(rest[0]) else []
        self._add_bins(level_number + 1, *_merged(all_envelope[:whole], all_mel[:whole]))

    def finish(self) -> PyramidLayout:
        """Merge what is left over and write every unfinished tile (the video's ends); the
        layout with what the streams gave, for the manifest."""
        for level_number, pending in enumerate(self._merge):
            if pending and level_number + 1 < len(self.sound):
                envelope = np.concatenate([e for e, _ in pending])
                mel = np.concatenate([m for _, m in pending])
                self._merge[level_number] = []
                self._add_bins(level_number + 1, *_merged(envelope, mel, partial=True))
        for kind, level, index, arrays in self.partial():
            self.write(kind, level, index, arrays)
        return replace(
            self.layout, picture_seconds=self.picture_seconds, sound_bins=self.sound_bins
        )

    def partial(self) -> list[tuple[str, int, int, dict]]:
        """The tiles in hand, as they are now: (kind, level, index, arrays)."""
        out = [("sound", s.level, s.index, s.tile()) for s in self.sound if s.held]
        out += [("pictures", p.level, p.index, p.tile()) for p in self.pictures if p.jpegs]
        return out


def mel_to_bytes(mel: np.ndarray) -> np.ndarray:
    return np.clip(np.round((mel - MEL_LOW) / MEL_STEP), 0, 255).astype(np.uint8)


def mel_from_bytes(stored: np.ndarray) -> np.ndarray:
    return stored.astype(np.float32) * MEL_STEP + MEL_LOW


def _merged(envelope: np.ndarray, mel: np.ndarray, partial: bool = False):
    """Groups of SOUND_FACTOR bins as one bin each (a short last group when `partial`)."""
    groups = math.ceil(len(envelope) / SOUND_FACTOR) if partial else len(envelope) // SOUND_FACTOR
    starts = np.arange(groups) * SOUND_FACTOR
    low = np.minimum.reduceat(envelope[:, 0], starts)
    high = np.maximum.reduceat(envelope[:, 1], starts)
    sums = np.add.reduceat(mel.astype(np.float32), starts, axis=0)
    sizes = np.diff(np.append(starts, len(mel)))[:, None]
    return np.stack([low, high], axis=1), (sums / sizes).astype(np.float32)
