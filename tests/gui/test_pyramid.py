"""The tile pyramid's levels summarise the level below exactly, whatever the tiles' boundaries:
fed a made-up sound and pictures (no video, no Qt), every coarse bin is the min/max/mean of its
fine bins, every picture level keeps the seconds on its step, and the video's end is kept."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.gui.timeline.pyramid import (
    MEL_STEP,
    PICTURE_FACTOR,
    SOUND_BINS_PER_SECOND,
    SOUND_FACTOR,
    TILE_BINS,
    TILE_PICTURES,
    PyramidBuilder,
    PyramidLayout,
    envelope_and_mel,
    mel_from_bytes,
)

SECONDS = 700  # 70,000 level-0 bins: 18 tiles at level 0, 2 at level 1, 1 at level 2


@pytest.fixture(scope="module")
def built():
    layout = PyramidLayout.for_video(SECONDS - 0.4, 320, 180, True, True)
    tiles: dict = {}
    builder = PyramidBuilder(
        layout, lambda kind, level, index, arrays: tiles.update({(kind, level, index): arrays})
    )
    rng = np.random.default_rng(3)
    fine_envelope, fine_mel = [], []
    for second in range(layout.seconds):
        builder.add_picture(second, f"picture {second}".encode())
        bins = SOUND_BINS_PER_SECOND if second < layout.seconds - 1 else 60  # a short last second
        low = -rng.random((bins, 1)).astype(np.float32)
        envelope = np.hstack([low, low + rng.random((bins, 1)).astype(np.float32)])
        mel = np.maximum(rng.normal(size=(bins, 64)), -4.6).astype(np.float32)  # >= log(0.01)
        builder.add_sound(envelope, mel)
        fine_envelope.append(envelope)
        fine_mel.append(mel)
    complete = builder.finish()
    return complete, tiles, np.concatenate(fine_envelope), np.concatenate(fine_mel)


def _level(tiles, kind, level, key):
    indices = sorted(i for k, lv, i in tiles if (k, lv) == (kind, level))
    assert indices == list(range(len(indices)))
    return np.concatenate([tiles[(kind, level, i)][key] for i in indices])


def test_every_sound_level_summarises_the_level_below(built):
    layout, tiles, envelope, mel = built
    assert layout.sound_levels == 3 and len(envelope) == (SECONDS - 1) * 100 + 60
    assert np.array_equal(_level(tiles, "sound", 0, "envelope"), envelope)
    level0_mel = mel_from_bytes(_level(tiles, "sound", 0, "mel"))
    np.testing.assert_allclose(level0_mel, mel, atol=MEL_STEP / 2 + 1e-4)
    below_envelope, below_mel = envelope, mel  # the builder averages in float32
    for level in (1, 2):
        coarse = _level(tiles, "sound", level, "envelope")
        coarse_mel = mel_from_bytes(_level(tiles, "sound", level, "mel"))  # stored as bytes
        assert len(coarse) == -(-len(below_envelope) // SOUND_FACTOR)  # the end is kept
        starts = np.arange(len(coarse)) * SOUND_FACTOR
        assert np.array_equal(coarse[:, 0], np.minimum.reduceat(below_envelope[:, 0], starts))
        assert np.array_equal(coarse[:, 1], np.maximum.reduceat(below_envelope[:, 1], starts))
        sizes = np.diff(np.append(starts, len(below_envelope)))[:, None]
        expected = np.add.reduceat(below_mel, starts, axis=0) / sizes
        np.testing.assert_allclose(coarse_mel, expected, atol=MEL_STEP / 2 + 1e-4)
        below_envelope, below_mel = coarse, expected
    assert len(tiles[("sound", 2, 0)]["envelope"]) <= TILE_BINS  # the top fits in one tile
    assert layout.sound_bins == len(envelope) and layout.picture_seconds == SECONDS
    for kind, levels in (("sound", layout.sound_levels), ("pictures", layout.picture_levels)):
        for level in range(levels):  # the manifest counts every level's tiles
            held = sorted(i for k, lv, i in tiles if (k, lv) == (kind, level))
            assert held == list(range(layout.tile_count(kind, level)))


def test_every_picture_level_keeps_the_seconds_on_its_step(built):
    layout, tiles, _envelope, _mel = built
    for level in range(layout.picture_levels):
        step = PICTURE_FACTOR**level
        pictures = []
        for index in range(-(-len(range(0, layout.seconds, step)) // TILE_PICTURES)):
            tile = tiles[("pictures", level, index)]
            offsets = tile["offsets"]
            pictures += [
                tile["jpeg"][offsets[i] : offsets[i + 1]].tobytes() for i in range(len(offsets) - 1)
            ]
        assert pictures == [f"picture {s}".encode() for s in range(0, layout.seconds, step)]
    assert len(tiles[("pictures", layout.picture_levels - 1, 0)]["offsets"]) - 1 <= TILE_PICTURES


def test_a_second_of_sound_becomes_a_hundred_bins_and_a_short_one_fewer():
    t = np.arange(16_000) / 16_000
    envelope, mel = envelope_and_mel((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    assert envelope.shape == (100, 2) and mel.shape == (100, 64)
    assert envelope[:, 0].min() == pytest.approx(-0.5, abs=1e-3)
    assert envelope[:, 1].max() == pytest.approx(0.5, abs=1e-3)
    short, short_mel = envelope_and_mel(np.zeros(4000, np.float32))
    assert short.shape == (25, 2) and short_mel.shape == (25, 64)


def test_the_zoom_picks_the_level_whose_bins_fit_a_pixel():
    layout = PyramidLayout.for_video(7200.0, 1920, 1080, True, True)  # two hours
    assert layout.sound_levels == 3 and layout.picture_levels == 5
    assert layout.sound_level_for(0.01) == 0
    assert layout.sound_level_for(0.2) == 1
    assert layout.sound_level_for(8.6) == 2  # two hours across ~840 pixels
    assert layout.picture_level_for(1) == 0 and layout.picture_level_for(5) == 1
    assert layout.picture_level_for(16) == 2 and layout.picture_level_for(63) == 2
    assert layout.picture_level_for(10_000) == layout.picture_levels - 1
