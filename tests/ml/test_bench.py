"""`bench` end to end on one short clip: every part of the report is there and every number is
positive. Timings are not asserted: this machine is shared, so they vary from run to run."""

import contextlib
import io
import json

import pytest

from annotator.core.conventions import audio_settings, visual_settings
from annotator.ml.architectures import build_model
from annotator.ml.bench.bench import STAGES, TARGETS, format_report, run_bench
from annotator.ml.bundle import MODELS_ENV, save_bundle

# The bench renders clips and times every stage.
pytestmark = pytest.mark.slow

CLASSES = ["bark", "bell", "background"]


def _save(folder, architecture):
    settings = {"visual": visual_settings(1), "audio": audio_settings()}
    card = {
        "name": architecture,
        "version": "0.0.1",
        "architecture": architecture,
        "classes": CLASSES,
        "feature_settings": settings,
        "metrics": {"per_second_accuracy": 0.9 if architecture == "attention" else 0.5},
    }
    save_bundle(build_model(architecture, len(CLASSES)), card, folder / architecture)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The JSON of `bench --clips 1 --json`, on a 1 s clip so it runs in well under a minute."""
    models = tmp_path_factory.mktemp("models")
    _save(models, "attention")  # the default (best held-out accuracy)
    _save(models, "audio")  # reads fewer streams than attention
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(MODELS_ENV, str(models))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert run_bench(clips=1, as_json=True, clip_seconds=1) == 0
    return json.loads(printed.getvalue())


def test_the_report_names_the_model_clips_and_machine(report):
    assert report["model"] == "attention@0.0.1"
    assert report["clips"]["count"] == 1 and report["clips"]["seconds"] == 1
    assert report["machine"]["cores"] >= 1 and report["machine"]["memory_gb"] > 0
    assert report["ours"]["cache"]["second_model"] == "audio@0.0.1"


def test_every_stage_and_reference_is_measured(report):
    assert set(report["ours"]["stages_ms"]) == set(STAGES)
    assert all(value > 0 for value in report["ours"]["stages_ms"].values())
    assert report["decode_floor"]["stages_ms"]["decode"] > 0
    research = report["research"]["stages_ms"]
    assert all(
        research[stage] > 0 for stage in ("decode", "audio_features", "visual_features", "model")
    )
    for part in ("ours", "decode_floor", "research"):
        assert report[part]["folder_wall_s"] > 0


def test_memory_cold_start_cache_and_ratios_are_positive(report):
    assert report["ours"]["peak_memory_mb"] > 0 and report["research"]["peak_memory_mb"] > 0
    cold = report["ours"]["cold_start"]
    assert cold["seconds"] > 0 and cold["peak_memory_mb"] > 0
    assert report["decode_reference_frames"]["folder_wall_s"] > 0
    fresh = report["end_to_end"]["local"]
    assert fresh["wall_s"] > 0 and fresh["peak_memory_mb"] > 0 and "ray" not in report["end_to_end"]
    cache = report["ours"]["cache"]
    assert cache["first_run_s"] > 0 and cache["second_run_s"] > 0 and cache["speedup"] > 0
    assert set(report["ratios"]) == set(TARGETS)
    assert all(value > 0 for value in report["ratios"].values())
    assert isinstance(report["targets_met"], bool)


def test_the_table_shows_every_row_and_ratio(report):
    table = format_report(report)
    for row in (
        "ours (default model)",
        "decode floor",
        "research-style",
        "x real time",
        "feature cache",
        "cold start",
        "peak memory",
        "reference frames only",
        "annotate FOLDER (fresh, 2 jobs)",
        "annotate FOLDER vs decode floor",
    ):
        assert row in table
