"""Shared fixtures: real clips rendered by the project's own demo-data and encoder.

The feature cache and model folder point into temporary directories, so tests never touch the
user's cache and never depend on what a previous run left behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["AV_ANNOTATOR_CACHE"] = tempfile.mkdtemp(prefix="av-annotator-test-cache-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    """Every test under tests/gui drives the real window: it carries the `gui` marker without
    each module having to say so (the other tiers are marked where the cost is).

    Then the files with the most `training` and `slow` tests come first. The suite runs on two
    workers a file at a time (`--dist loadfile`), handed out in this order; in the order of
    their names the end-to-end file (about 3 minutes) started last and the other worker sat
    idle while it ran."""
    gui_tests = PROJECT_ROOT / "tests" / "gui"
    heavy: dict = {}
    for item in items:
        if gui_tests in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)
        costly = item.get_closest_marker("training") or item.get_closest_marker("slow")
        heavy[item.path] = heavy.get(item.path, 0) + bool(costly)
    items.sort(key=lambda item: -heavy[item.path])  # stable: each file keeps its own order


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A dozen demo clips with their labels.csv and clips.csv (seed never used for shipping)."""
    from annotator.core.demo.demo_data import generate_demo_data

    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out, clips=12, seed=4242)
    return out


@pytest.fixture(scope="session")
def odd_clips(tmp_path_factory) -> dict:
    """A clip without audio, one without video, a 7.4 s clip and a text file named .mp4."""
    from annotator.core.demo.encode import encode_clip

    out = tmp_path_factory.mktemp("odd")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(30)]
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000 * 3) / 16000)).astype(np.float32)
    clips = {
        "no_audio": encode_clip(out / "no audio.mp4", frames, None, 10, 16000),
        "no_video": encode_clip(out / "sound only.m4a", None, tone, 10, 16000),
        "seven_four": encode_clip(
            out / "seven_four.mp4",
            [frames[i % 30] for i in range(74)],
            np.zeros(int(16000 * 7.4), np.float32),
            10,
            16000,
        ),
    }
    text = out / "x.mp4"
    text.write_text("this is not a video\n")
    clips["text"] = text
    return clips
