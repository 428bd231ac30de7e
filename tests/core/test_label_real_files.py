"""Real files written by ELAN, Audacity, sed_eval/TUT, BORIS and Label Studio (see
tests/fixtures/interchange/SOURCES.md), each imported into a folder of real .mp4 videos named by
stem: how many events are kept, merged and lost, and a round trip (import -> export -> import)
that changes nothing at one-second resolution."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from annotator.core.formats import FORMATS, ReadOptions
from annotator.core.label_export import export_labels
from annotator.core.label_import import apply_import, plan_import
from annotator.core.media import ffmpeg_exe
from annotator.core.store import ProjectStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "interchange"
SCENES = [
    Path(line.split("\t")[0]).stem
    for line in (FIXTURES / "dcase" / "scene_reference.txt").read_text().splitlines()
]
# Whole seconds, each at least the file's last event: the recordings' own lengths where known.
DURATIONS = {
    "103_marron1_May_24_2016_73006746": 10,
    "405_marron1_June_14_2016_69640887": 31,
    "cold_forest_daylight_label": 61,
    "spinetail": 21,
    "video_test_25fps_180s": 180,
    "video_test_25fps_360s": 360,
    "binary1": 4,
    "mini_reference": 4,
    "office_snr0_high_v2": 91,
    "a010": 200,
    "a013": 111,
    "a129": 242,
    "b008": 212,
    "b099": 242,
    "b100": 182,
    "test": 20,
    "fables_01_03_aesop_64kb": 100,
    "barradeen-emotional": 99,
    "opossum_snow_short": 3,
    "opossum_snow": 3,
    **{scene: 5 for scene in SCENES},
}


def make_mp4s(folder: Path, durations: dict[str, int]) -> None:
    """Tiny real H.264 videos (16x16, one frame a second) named `<stem>.mp4`, cut from one
    lavfi source by one ffmpeg run."""
    command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
               f"color=c=gray:s=16x16:r=1:d={max(durations.values())}"]  # fmt: skip
    for stem, seconds in durations.items():
        command += ["-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p"]
        command.append(str(folder / f"{stem}.mp4"))
    subprocess.run(command, check=True)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    """Every video the fixtures name, made once per session."""
    folder = tmp_path_factory.mktemp("interchange-media")
    make_mp4s(folder, DURATIONS)
    return folder


@pytest.fixture
def project(media, tmp_path):
    """A fresh project folder holding (hard links to) every video."""
    folder = tmp_path / "project"
    folder.mkdir()
    for video in media.iterdir():
        os.link(video, folder / video.name)
    store = ProjectStore.for_folder(folder)
    yield folder, store, {v.name: v for v in folder.iterdir() if v.suffix == ".mp4"}
    store.close()


def fixture(name: str) -> Path:
    return FIXTURES / name


# file: (format, events, kept, merged, lost, labels with no second left) under the default rule,
# and the events lost with --min-cover any. Audacity's canary syllables and the sed_eval alerts
# are mostly shorter than a second, so most of them cannot have a second of their own.
EXPECTED = {
    "audacity/103_marron1_May_24_2016_73006746.audacity.txt": (
        "audacity", 19, 8, 1, 11, ["Ci", "H", "J2", "call"], 11),
    "audacity/405_marron1_June_14_2016_69640887.audacity.txt": (
        "audacity", 61, 28, 4, 33, ["Ci", "K", "O", "P", "call"], 32),
    "audacity/cold_forest_daylight_label.txt": ("audacity", 160, 53, 24, 107, ["2", "6"], 94),
    "audacity/spinetail.txt": ("audacity", 18, 4, 0, 14, ["SP"], 8),
    "boris/test_export_aggregated_events_test_full_1.tsv": ("boris", 10, 10, 1, 0, [], 0),
    "boris/test_export_aggregated_events_test_full_3.tsv": ("boris", 10, 10, 1, 0, [], 0),
    "boris/test_export_aggregated_events_test_full_4.tsv": ("boris", 3, 3, 0, 0, [], 0),
    "boris/test_export_aggregated_events_test_full_5.tsv": ("boris", 3, 3, 0, 0, [], 0),
    "boris/test_export_events_tabular.tsv": ("boris", 4, 4, 0, 0, [], 0),
    "dcase/binary1.txt": ("dcase", 1, 1, 0, 0, [], 0),
    "dcase/mini_reference.txt": ("dcase", 2, 2, 1, 0, [], 0),
    "dcase/office_snr0_high_v2.txt": ("dcase", 68, 42, 2, 26, ["switch"], 23),
    "dcase/scene_reference.txt": ("dcase", 30, 30, 0, 0, [], 0),
    "dcase/street_fold1_reference.txt": ("dcase", 142, 109, 31, 33, [], 30),
    "elan/fables_01_03_aesop_64kb.eaf": ("eaf", 16, 16, 0, 0, [], 0),
    "elan/test.eaf": ("eaf", 8, 6, 0, 2, ["Oh thanks", "What does it mean?"], 0),
    "elan/test2.eaf": ("eaf", 8, 6, 0, 2, ["Oh thanks", "What does it mean?"], 0),
    "labelstudio/audio_regions.json": ("labelstudio", 2, 2, 0, 0, [], 0),
    "labelstudio/opossum_timeline_webhook.json": (
        "labelstudio", 2, 0, 0, 2, ["Car", "croquet_ball"], 1),
    "labelstudio/opossum_yolo_predictions.json": (
        "labelstudio", 5, 2, 1, 3, ["croquet_ball"], 2),
    "labelstudio/timeline_moving.json": ("labelstudio", 1, 0, 0, 1, ["Moving"], 0),
}  # fmt: skip


def test_at_least_three_real_files_per_tool():
    tools = [name.split("/")[0] for name in EXPECTED]
    assert {tool: tools.count(tool) >= 3 for tool in set(tools)} == dict.fromkeys(
        ("audacity", "boris", "dcase", "elan", "labelstudio"), True
    )
    on_disk = {
        str(p.relative_to(FIXTURES))
        for p in FIXTURES.glob("*/*")
        if p.suffix not in (".xml", ".md")
    }
    assert on_disk == set(EXPECTED)  # every fixture is checked, and recorded in SOURCES.md
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    assert all(Path(name).name in sources for name in on_disk)


def _human(store: ProjectStore, names) -> dict:
    return {name: store.human_labels(name) for name in sorted(names)}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_real_file_events_are_accounted_for_and_round_trip(name, project, media, tmp_path):
    fmt, events, kept, merged, lost, gone, lost_any = EXPECTED[name]
    folder, store, videos = project
    path = fixture(name)
    plan = plan_import(store, videos, [path], fmt)
    (read,) = plan.reads
    assert (read.events, read.kept, read.merged, len(read.lost)) == (events, kept, merged, lost)
    assert read.lost_labels == gone
    summary = "\n".join(plan.summary())
    for event in read.lost[:40]:  # lost events are named with their times, the rest counted
        assert f"lost: {event.video}: {event.describe()}" in summary
    assert (f"lost: and {lost - 40} more: " in summary) == (lost > 40)
    if lost:
        assert f"{lost} event(s) lost" in summary and all(repr(x) in summary for x in gone)
    keep_short = plan_import(store, videos, [path], fmt, options=ReadOptions(min_cover=0.0))
    assert len(keep_short.reads[0].lost) == lost_any
    # The round trip: import -> export in the same format -> import elsewhere: the same seconds.
    plan = keep_short
    if not plan.labels:
        assert plan.model_seconds > 0  # only a model's predictions: none are imported
        return
    apply_import(store, plan, add_classes=True)
    first = _human(store, plan.labels)
    form = FORMATS[fmt]
    out = tmp_path / ("exported" if form.one_file_per_video else f"exported{form.suffix}")
    written = export_labels(folder, fmt, out).files
    again = tmp_path / "again"
    again.mkdir()
    for video in media.iterdir():
        os.link(video, again / video.name)
    other = ProjectStore.for_folder(again)
    try:
        files = [f for f in written if f.suffix != ".xml"]
        replayed = plan_import(other, {v.name: v for v in again.iterdir()}, files, fmt)
        assert not replayed.events_lost  # whole seconds come back whole
        apply_import(other, replayed, add_classes=True)
        assert _human(other, plan.labels) == first
    finally:
        other.close()
