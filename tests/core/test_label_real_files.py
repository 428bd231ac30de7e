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

from annotator.cli import main
from annotator.core.formats import FORMATS, LabelFileError, ReadOptions
from annotator.core.formats.elan import ElanDocument
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


# ---- what the real files need: media named as people name them, tiers, frame rates ------------


def test_media_are_matched_by_stem_and_by_the_label_files_name(project):
    folder, store, videos = project
    plan = plan_import(
        store,
        videos,
        [fixture("elan/test2.eaf"), fixture("dcase/office_snr0_high_v2.txt")],
        options=ReadOptions(),
    )
    matches = [m for read in plan.reads for m in read.matches]
    # test2.eaf names only its author's absolute file:// URL of test.wav
    recorded = "file://" + "/".join(("", "home", "tuananh", "Documents", "ELAN", "test.wav"))
    assert matches == [
        f"'{recorded}' -> test.mp4 (by stem)",
        "'office_snr0_high_v2.txt' -> office_snr0_high_v2.mp4 (by label file's name)",
    ]
    assert f"  media: '{recorded}' -> test.mp4 (by stem)" in plan.summary()
    boris = plan_import(store, videos, [fixture("boris/test_export_events_tabular.tsv")])
    assert boris.reads[0].matches == [
        "'video_test_25fps_360s.mp4' -> video_test_25fps_360s.mp4 (by file name)"
    ]


def test_two_videos_with_one_stem_are_an_error_naming_both(media, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    os.link(media / "test.mp4", folder / "test.mp4")
    os.link(media / "test.mp4", folder / "test.mkv")
    store = ProjectStore.for_folder(folder)
    try:
        videos = {v.name: v for v in folder.iterdir() if v.is_file()}
        with pytest.raises(LabelFileError) as error:
            plan_import(store, videos, [fixture("elan/test.eaf")])
        assert "matches 2 videos (test.mkv, test.mp4)" in str(error.value)
        assert "\n" not in str(error.value) and store.edit_log().empty
    finally:
        store.close()


def test_a_three_column_list_goes_to_the_video_named(project):
    folder, store, videos = project
    path = fixture("dcase/mini_reference.txt")
    plan = plan_import(store, videos, [path], "dcase", options=ReadOptions(video="binary1"))
    assert plan.reads[0].matches == ["'mini_reference.txt' -> binary1.mp4 (by --video)"]
    assert plan.labels["binary1.mp4"] == {
        0: "background",
        1: "event1",
        2: "event1",
        3: "background",
    }
    # sed_eval's three columns read the same whether guessed (as an Audacity track) or named
    guessed = plan_import(store, videos, [path])
    named = plan_import(store, videos, [path], "dcase")
    assert guessed.labels == named.labels and guessed.reads[0].format == "audacity"


def test_elan_tiers_are_chosen_and_reference_tiers_follow_their_parents(project):
    folder, store, videos = project
    path = fixture("elan/test.eaf")
    default = plan_import(store, videos, [path])
    assert any("choose with --tier" in note and "'marker' (3 annotations)" in note
               for note in default.notes)  # fmt: skip
    # Person1 (Language) is a symbolic association: its annotations have no times of their own
    both = ReadOptions(tiers=("marker", "Person1 (Language)"))
    assert plan_import(store, videos, [path], options=both).reads[0].events == 3 + 8
    language = plan_import(
        store, videos, [path], options=ReadOptions(min_cover=0.0, tiers=("Person1 (Language)",))
    )
    utterances = plan_import(store, videos, [path], options=ReadOptions(min_cover=0.0))
    assert set(language.labels["test.mp4"].values()) == {"en", "jp"}
    assert sorted(language.labels["test.mp4"]) == sorted(utterances.labels["test.mp4"])
    with pytest.raises(LabelFileError, match=r"no tier 'Speaker2'; its tiers \(annotations\): "
                       r"'Person1 \(Utterance\)' \(8\), 'marker' \(3\)"):  # fmt: skip
        plan_import(store, videos, [path], options=ReadOptions(tiers=("Speaker2",)))
    with pytest.raises(LabelFileError, match=r"'R004 \(Utterance\)' hold no annotations"):
        plan_import(store, videos, [fixture("elan/test2.eaf")],
                    options=ReadOptions(tiers=("R004 (Utterance)",)))  # fmt: skip
    assert ElanDocument.tiers(path)[:2] == [("Person1 (Utterance)", 8), ("marker", 3)]


def test_symbolic_subdivisions_share_their_parent_and_unaligned_slots_are_placed(tmp_path):
    """As ELAN draws them: two parts of a 1–3 s word take 1–2 and 2–3 s; a time subdivision's
    unaligned middle slot sits half-way between its aligned neighbours."""
    path = tmp_path / "talk.eaf"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ANNOTATION_DOCUMENT FORMAT="2.7" VERSION="2.7">'
        '<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/><TIME_ORDER>'
        '<TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="1000"/><TIME_SLOT TIME_SLOT_ID="ts2"/>'
        '<TIME_SLOT TIME_SLOT_ID="ts3" TIME_VALUE="3000"/></TIME_ORDER>'
        '<TIER TIER_ID="words" LINGUISTIC_TYPE_REF="w"><ANNOTATION><ALIGNABLE_ANNOTATION '
        'ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts3"><ANNOTATION_VALUE>dogs'
        "</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION></TIER>"
        '<TIER TIER_ID="morphs" PARENT_REF="words" LINGUISTIC_TYPE_REF="m">'
        '<ANNOTATION><REF_ANNOTATION ANNOTATION_ID="a2" ANNOTATION_REF="a1"><ANNOTATION_VALUE>'
        "dog</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION><ANNOTATION><REF_ANNOTATION "
        'ANNOTATION_ID="a3" ANNOTATION_REF="a1" PREVIOUS_ANNOTATION="a2"><ANNOTATION_VALUE>s'
        "</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION></TIER>"
        '<TIER TIER_ID="syllables" PARENT_REF="words" LINGUISTIC_TYPE_REF="t"><ANNOTATION>'
        '<ALIGNABLE_ANNOTATION ANNOTATION_ID="a4" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">'
        "<ANNOTATION_VALUE>do</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>"
        "</TIER></ANNOTATION_DOCUMENT>\n",
        encoding="utf-8",
    )
    parsed = ElanDocument().parse_with(path, ReadOptions(tiers=("morphs", "syllables")))
    assert [(e.label, e.start, e.end) for e in parsed.events] == [
        ("dog", 1.0, 2.0),
        ("s", 2.0, 3.0),
        ("do", 1.0, 2.0),
    ]


def test_label_studio_frame_rate_comes_from_the_labelling_config(project):
    folder, store, videos = project
    plan = plan_import(store, videos, [fixture("labelstudio/opossum_timeline_webhook.json")])
    # frames 1–10 at the config's 25 frames per second (not 24): 0–0.4 s
    assert [(e.label, e.start, e.end) for e in plan.reads[0].lost] == [
        ("Car", 0.0, 0.4),
        ("croquet_ball", 0.16, 0.6),
    ]
    assert not any("frames per second" in note for note in plan.notes)
    default = plan_import(store, videos, [fixture("labelstudio/timeline_moving.json")])
    assert any("read at 24 frames per second" in note for note in default.notes)


def test_audio_regions_stay_audio_regions(project, tmp_path):
    folder, store, videos = project
    plan = plan_import(store, videos, [fixture("labelstudio/audio_regions.json")])
    assert plan.reads[0].matches == [
        "'/files/barradeen-emotional.mp3' -> barradeen-emotional.mp4 (by stem)"
    ]
    apply_import(store, plan, add_classes=True)
    out = tmp_path / "out.json"
    export_labels(folder, "labelstudio", out)
    (task,) = json.loads(out.read_text(encoding="utf-8"))
    assert set(task["data"]) == {"audio"}
    regions = task["annotations"][0]["result"]
    assert {r["type"] for r in regions} == {"labels"}
    assert [(r["value"]["start"], r["value"]["end"], r["value"]["labels"]) for r in regions] == [
        (13.0, 29.0, ["Beat"]),
        (56.0, 59.0, ["Other"]),
    ]
    assert "<Audio" in (tmp_path / "out.label-config.xml").read_text(encoding="utf-8")


def test_boris_tabular_starts_and_stops_are_paired(project):
    folder, store, videos = project
    plan = plan_import(store, videos, [fixture("boris/test_export_events_tabular.tsv")])
    assert plan.reads[0].events == 4
    seconds = plan.labels["video_test_25fps_360s.mp4"]
    assert [s for s, x in seconds.items() if x == "s"] == [
        *range(3, 8), *range(10, 16), *range(18, 24), *range(38, 46)
    ]  # fmt: skip


def test_cli_prints_lost_events_in_dry_run_and_real_run(project, capsys):
    folder, store, videos = project
    store.close()
    path = str(fixture("audacity/spinetail.txt"))
    assert main(["import", path, "--into", str(folder), "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert (
        "spinetail.txt (audacity): 18 event(s): 4 kept (0 merged with a neighbour), 14 lost" in dry
    )
    assert "lost: spinetail.mp4: 'SP' 0.101385–0.36752 s (line 1; went to 'background')" in dry
    assert "no second left of label(s): 'SP'" in dry
    assert "14 event(s) lost to the per-second conversion (min cover 0.5): 'SP' ×" in dry
    assert main(["import", path, "--into", str(folder), "--add-classes"]) == 0
    real = capsys.readouterr().out
    assert real.count("14 event(s) lost to the per-second conversion") == 2  # plan and result
    assert main(["import", path, "--into", str(folder), "--dry-run", "--min-cover", "any"]) == 0
    assert "8 event(s) lost to the per-second conversion (min cover any)" in capsys.readouterr().out
    assert main(["import", path, "--into", str(folder), "--min-cover", "2"]) == 2
    assert "--min-cover '2': give a fraction between 0 and 1, or any" in capsys.readouterr().err


def test_options_that_do_not_apply_are_said(project):
    folder, store, videos = project
    street = fixture("dcase/street_fold1_reference.txt")
    with pytest.raises(LabelFileError, match="--video names one video, but the file labels 6"):
        plan_import(store, videos, [street], options=ReadOptions(video="b099"))
    plan = plan_import(store, videos, [fixture("dcase/binary1.txt")], "dcase",
                       options=ReadOptions(tiers=("marker",)))  # fmt: skip
    assert any("--tier is for ELAN files" in note for note in plan.notes)
