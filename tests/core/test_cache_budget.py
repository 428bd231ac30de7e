"""The feature cache keeps to its size limit by evicting the least recently used entries, and the
`cache` command shows its size and prunes or clears it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.cli import main
from annotator.core import feature_cache
from annotator.core.errors import AnnotatorError
from annotator.core.feature_cache import CACHE_ENV, LIMIT_ENV, FeatureCache, parse_size

ENTRY_FLOATS = 25_000  # about 100 kB an entry


def fake_videos(folder, count):
    """Files standing for videos (the cache keys on a file's path, size and time, not content)."""
    folder.mkdir()
    videos = []
    for index in range(count):
        video = folder / f"video {index}.mp4"
        video.write_bytes(b"x" * (index + 1))
        videos.append(video)
    return videos


def features(seed: int) -> dict:
    return {"log_mel": np.random.default_rng(seed).random(ENTRY_FLOATS, dtype=np.float32)}


def on_disk(cache: FeatureCache) -> int:
    return sum(p.stat().st_size for p in cache.root.glob("*/*") if p.is_file())


def test_the_cache_never_grows_past_its_limit_and_evicts_the_least_recently_used(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(feature_cache, "USE_RESOLUTION_SECONDS", 0)  # every use counts
    videos = fake_videos(tmp_path / "videos", 12)
    cache = FeatureCache(tmp_path / "cache", limit=450_000)  # room for four entries
    for index, video in enumerate(videos):
        cache.save(video, "audio", {"n": 1}, features(index))
        assert on_disk(cache) <= cache.limit
        if index >= 1:  # the first video is used again and again: it must stay
            assert cache.load(videos[0], "audio", {"n": 1}) is not None
    usage = cache.usage()
    assert usage.bytes == on_disk(cache) <= cache.limit and 2 <= usage.entries <= 4
    assert cache.load(videos[-1], "audio", {"n": 1}) is not None  # the newest stays
    assert cache.load(videos[1], "audio", {"n": 1}) is None  # an old one unused since went
    np.testing.assert_array_equal(
        cache.load(videos[0], "audio", {"n": 1})["log_mel"], features(0)["log_mel"]
    )


def test_the_limit_holds_across_cache_objects_sharing_a_folder(tmp_path):
    """Two writers (two processes' caches on one folder) keep one running total."""
    videos = fake_videos(tmp_path / "videos", 10)
    first = FeatureCache(tmp_path / "cache", limit=350_000)
    second = FeatureCache(tmp_path / "cache", limit=350_000)
    for index, video in enumerate(videos):
        (first if index % 2 else second).save(video, "visual", {}, features(index))
        assert on_disk(first) <= first.limit


def test_an_entry_larger_than_the_limit_is_not_kept(tmp_path):
    video = fake_videos(tmp_path / "videos", 1)[0]
    cache = FeatureCache(tmp_path / "cache", limit=10_000)
    cache.save(video, "audio", {}, features(0))
    assert cache.load(video, "audio", {}) is None and on_disk(cache) == 0


def test_sizes_are_read_as_people_write_them():
    assert parse_size("20G") == parse_size("20 GB") == 20 * 1000**3
    assert parse_size("500m") == 500 * 1000**2 and parse_size("123") == 123
    assert parse_size("1.5T") == 1.5 * 1000**4
    with pytest.raises(AnnotatorError, match="not a size"):
        parse_size("lots")


def test_the_cache_command_shows_prunes_and_clears(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(LIMIT_ENV, "5M")
    cache = FeatureCache()
    for index, video in enumerate(fake_videos(tmp_path / "videos", 6)):
        cache.save(video, "audio", {}, features(index))
    assert main(["cache"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"feature cache: {tmp_path / 'cache'}"
    assert lines[1] == f"  {on_disk(cache) / 1000:.1f} kB in 6 entries (limit 5.0 MB, 12 % used)"

    assert main(["cache", "--prune", "--limit", "250k", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entries"] == 2 and report["bytes"] <= 250_000 == report["limit_bytes"]
    assert report["freed_bytes"] > 350_000 and report["folder"] == str(tmp_path / "cache")

    assert main(["cache", "--clear"]) == 0
    out = capsys.readouterr().out
    assert "  0 B in 0 entries" in out and "freed 2" in out
    assert cache.usage().entries == 0


def test_a_bad_limit_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(SystemExit) as stop:
        main(["cache", "--limit", "lots"])
    assert stop.value.code == 2
    assert "not a size" in capsys.readouterr().err
    monkeypatch.setenv(LIMIT_ENV, "plenty")
    assert main(["cache"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: cache limit 'plenty' is not a size (give e.g. 20G, 500M or a number of bytes)"
    )
