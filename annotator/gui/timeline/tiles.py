"""Where the pyramid's tiles live (on disk, in the feature cache) and the few held in memory.

`TileStore` keeps one video's tiles as feature-cache entries, keyed by the file's path, size
and modification time (a changed file gets new tiles), with a manifest written last: a pyramid
with a manifest is complete and is never decoded again. The cache's budget covers the tiles;
if it evicts part of a complete pyramid, the manifest is withdrawn and the pyramid is built
again the next time the video is shown. `PreviewTiles` is what the lanes read: it loads a tile
the first time the screen needs it and keeps at most CACHED_TILES of them (least recently
used first out), so the timeline's memory depends on the screen, not on the video.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from ...core.feature_cache import FeatureCache
from .pyramid import PYRAMID_VERSION, TILE_BINS, TILE_PICTURES, PyramidLayout, mel_from_bytes

log = logging.getLogger(__name__)

# A screen needs a few tiles at any zoom (the overview strip two or three more). A picture
# tile holds 64 JPEGs (~0.3 MB) and decodes only those drawn (at most ~2.4 MB), a sound tile
# ~0.55 MB: at most ~75 MB held, whatever the video's length.
CACHED_TILES = 32


class TileStore:
    """One video's tiles, kept as entries of the feature cache (one entry a tile, keyed like the
    features by the file's path, size and modification time), so the cache's budget and its
    least-recently-used eviction cover them too."""

    SETTINGS = {"pyramid": PYRAMID_VERSION}

    def __init__(self, video, cache_dir=None):
        self.video = Path(video)
        self.video.stat()  # a missing or unreadable file says so now (OSError)
        self.cache = FeatureCache(cache_dir)

    def save(self, kind: str, level: int, index: int, arrays: dict) -> None:
        self.cache.save(self.video, f"preview-{kind}-{level}-{index}", self.SETTINGS, arrays)

    def load(self, kind: str, level: int, index: int) -> dict | None:
        """The tile's arrays, or None when it is not there (yet, or evicted) or damaged."""
        try:
            return self.cache.load(self.video, f"preview-{kind}-{level}-{index}", self.SETTINGS)
        except OSError:  # the video itself went away
            return None

    def save_layout(self, layout: PyramidLayout | None) -> None:
        """Written last: the pyramid is complete (None: no longer complete, build it again)."""
        text = json.dumps(layout.as_dict()) if layout is not None else ""
        self.cache.save(self.video, "preview-manifest", self.SETTINGS, {"layout": np.array(text)})

    def complete_layout(self) -> PyramidLayout | None:
        try:
            arrays = self.cache.load(self.video, "preview-manifest", self.SETTINGS)
            layout = PyramidLayout(**json.loads(str(arrays["layout"])))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return layout if layout.version == PYRAMID_VERSION else None


class TileCache:
    """At most `limit` tiles, least recently used out first; loads through `load(key)`."""

    def __init__(self, load, limit: int = CACHED_TILES):
        self._load, self.limit = load, limit
        self._tiles: OrderedDict = OrderedDict()
        self.loads = 0  # tiles read from disk (the measuring script reports it)

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key):
        if key in self._tiles:
            self._tiles.move_to_end(key)
            return self._tiles[key]
        tile = self._load(key)
        if tile is None:
            return None  # not built yet: asked again on the next paint
        self.loads += 1
        self._tiles[key] = tile
        while len(self._tiles) > self.limit:
            self._tiles.popitem(last=False)
        return tile

    def forget(self, key) -> None:
        self._tiles.pop(key, None)


class PreviewTiles:
    """One video's pictures and sound for the lanes, read through the tile cache.

    `built_until` is how many seconds the pyramid covers so far (all of them when complete)."""

    def __init__(self, store: TileStore, layout: PyramidLayout, complete: bool):
        self.store, self.layout = store, layout
        self.complete = complete
        self.built_until = layout.seconds if complete else 0
        self.cache = TileCache(self._load)
        self.mel_range: tuple[float, float] | None = None
        self.damaged = False  # a tile of the complete pyramid was missing

    def _load(self, key):
        kind, level, index = key
        arrays = self.store.load(kind, level, index)
        if arrays is None and self.complete and not self.damaged and self._built(key):
            # The cache's budget evicted part of a complete pyramid: build it again next time.
            self.damaged = True
            self.store.save_layout(None)
        if arrays is not None and kind == "pictures":
            arrays["images"] = {}  # decoded when first drawn: a screen shows a few of the 64
        elif arrays is not None:
            arrays["mel"] = mel_from_bytes(arrays["mel"])
        return arrays

    def _built(self, key) -> bool:
        """Whether the complete pyramid holds this tile (its manifest counts them)."""
        kind, level, index = key
        return index < self.layout.tile_count(kind, level)

    def progressed(self, seconds_done: int, rewritten: list) -> None:
        """The builder got further and rewrote the unfinished tiles `rewritten`."""
        self.built_until = seconds_done
        for key in rewritten:
            self.cache.forget(tuple(key))

    def finished(self, layout: PyramidLayout) -> None:
        """The build is done; `layout` counts what the streams gave."""
        self.layout, self.complete, self.built_until = layout, True, layout.seconds
        self.cache = TileCache(self._load)  # every unfinished tile was rewritten whole

    # ---- what the lanes ask for ------------------------------------------------------------

    def picture(self, level: int, second: int) -> QImage | None:
        """The picture of `second` (a multiple of the level's step), or None if not there yet."""
        position = second // self.layout.picture_step(level)
        tile = self.cache.get(("pictures", level, position // TILE_PICTURES))
        at, offsets = position % TILE_PICTURES, None if tile is None else tile["offsets"]
        if tile is None or at >= len(offsets) - 1:
            return None
        if at not in tile["images"]:
            data = tile["jpeg"][offsets[at] : offsets[at + 1]].tobytes()
            tile["images"][at] = QImage.fromData(data, "JPG")
        image = tile["images"][at]
        return None if image.isNull() else image

    def sound(self, level: int, first_bin: int, last_bin: int) -> tuple[np.ndarray, np.ndarray]:
        """Bins [first_bin, last_bin) of a level: (n, 2) min/max and (n, 64) log-mel; fewer where
        the tiles are not built yet (then the arrays end early)."""
        envelopes, mels = [], []
        first_bin = max(0, first_bin)
        for index in range(first_bin // TILE_BINS, (max(last_bin, 1) - 1) // TILE_BINS + 1):
            tile = self.cache.get(("sound", level, index))
            if tile is None:
                break
            start = index * TILE_BINS
            low, high = max(first_bin - start, 0), min(last_bin - start, TILE_BINS)
            envelopes.append(tile["envelope"][low:high])
            mels.append(tile["mel"][low:high])
            if len(tile["envelope"]) < TILE_BINS:
                break  # the last (or unfinished) tile
        if not envelopes:
            return np.zeros((0, 2), np.float32), np.zeros((0, 64), np.float32)
        return np.concatenate(envelopes), np.concatenate(mels)

    def loudness_peak(self) -> float:
        """The loudest sample's size, from the top level (one tile): the waveform's scale."""
        envelope, _ = self.sound(self.layout.sound_levels - 1, 0, TILE_BINS)
        return max(float(np.abs(envelope).max()), 1e-6) if len(envelope) else 1.0

    def spectrogram_range(self) -> tuple[float, float]:
        """Low and high mel values for the spectrogram's colours, from the top level, so the
        colours do not change as the view moves (kept once the pyramid is complete)."""
        if self.mel_range is not None:
            return self.mel_range
        _, mel = self.sound(self.layout.sound_levels - 1, 0, TILE_BINS)
        if not len(mel):
            return (-4.6, 2.0)
        low, high = np.percentile(mel, [2, 99.5])
        value = (float(low), float(max(high, low + 1e-6)))
        if self.complete:
            self.mel_range = value
        return value
