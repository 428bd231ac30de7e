"""`bench --paths` end to end on one short clip per path: each path is measured beside the
decode floor of the same path, the full decode of the keyframe clips is compared label by
label, and the table shows every row. Timings are not asserted (a shared machine)."""

import contextlib
import io
import json

import pytest

from annotator.ml.bench.bench import run_bench
from annotator.ml.bench.decode_paths import format_paths_report

PATHS = ("keyframes", "reference")


@pytest.fixture(scope="module")
def report():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert run_bench(clips=1, as_json=True, clip_seconds=2, paths=True, model="visual") == 0
    return json.loads(printed.getvalue())


@pytest.mark.slow  # six fresh annotate processes: about 20 s on a quiet machine
def test_each_path_is_timed_beside_its_own_decode_floor(report):
    for name in PATHS:
        part = report[name]
        assert part["clips"] == 1 and part["video_seconds"] == pytest.approx(2, abs=0.05)
        for key in ("annotate_wall_s", "annotate_cpu_s", "floor_wall_s", "floor_cpu_s"):
            assert part[key] > 0, (name, key)
        assert part["cold_start_s"] > 0
    full = report["keyframes"]["full_decode"]
    assert full["annotate_wall_s"] > 0 and full["floor_cpu_s"] > 0
    assert 0.0 <= full["labels_agree"] <= 1.0


@pytest.mark.slow
def test_the_table_shows_every_path(report):
    text = format_paths_report(report, 2)
    for row in ("keyframes (x264 -g 30)", "reference (x264 default GOP)", "full decode of the"):
        assert row in text
    assert "% of seconds agree" in text and "cold annotate of one clip" in text
