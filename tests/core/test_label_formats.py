"""Every label format: per-second labels -> file -> read back -> the same per-second labels, and
every written file read by the library or spec of the tool it is meant for.

Validated against: pympi-ling (ELAN .eaf), sed_eval's event-list loader (DCASE), the Label Studio
converter (label-studio-converter, Label Studio JSON + labelling config), BORIS's aggregated
events column layout (from BORIS's export_observation.py) read as its analysis plugins read it
(pandas, tab-separated), and Audacity's LabelImportExport rules (tab-delimited, tab-free titles).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pympi
import pytest
import sed_eval
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from label_studio_converter import Converter

from annotator.core.conventions import BACKGROUND
from annotator.core.formats.base import ExportOptions
from annotator.core.formats import FORMATS, LabelFileError, VideoCatalog, VideoLabels, guess_format
from annotator.core.formats.boris import HEADER as BORIS_HEADER
from annotator.core.formats.base import event_runs, runs
from annotator.core.formats.seconds import read_labels
from annotator.core.table import count_seconds

EXACT = ("csv", "eaf", "labelstudio")  # carry sources and unlabelled seconds
EVENT_LISTS = ("dcase", "audacity", "boris", "segments")

# Names as people write them: commas, tabs, quotes, formula starters, non-Latin scripts.
_letters = st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co"))
_tricky = st.sampled_from(["=", "+", "-", "@", ",", '"', "'", "\t", ";", "日本", "ß", "Ж", "ع"])
label_text = (
    st.lists(st.one_of(_letters, _tricky), min_size=1, max_size=8)
    .map("".join)
    .filter(lambda s: s.strip() == s and s != "")
)
durations = st.floats(min_value=0.2, max_value=25.0).map(lambda d: round(d, 3))


@st.composite
def labelled_video(draw, name: str, classes: list[str]):
    duration = draw(durations)
    n = count_seconds(duration)
    labels = draw(st.lists(st.sampled_from(classes + [BACKGROUND, None]), min_size=n, max_size=n))
    sources = [("" if x is None else draw(st.sampled_from(["human", "model"]))) for x in labels]
    return duration, labels, sources


@st.composite
def projects(draw, tab_free: bool = False):
    text = label_text.filter(lambda s: "\t" not in s) if tab_free else label_text
    classes = draw(
        st.lists(text.filter(lambda s: s != BACKGROUND), min_size=1, max_size=4, unique=True)
    )
    return [draw(labelled_video(name, classes)) for name in ("clip ü 1.mp4", "b-roll.m4a")]


def _videos(tmp_path, project) -> tuple[list[VideoLabels], VideoCatalog]:
    folder = tmp_path / "videos"
    videos = [
        VideoLabels(folder / name, d, labels, sources)
        for name, (d, labels, sources) in zip(("clip ü 1.mp4", "b-roll.m4a"), project)
    ]
    catalog = VideoCatalog(
        {v.path.name: v.path for v in videos}, {v.path.name: v.duration for v in videos}
    )
    return videos, catalog


def _read_all(fmt, files, catalog) -> dict:
    got = {}
    for path in files:
        if path.suffix == ".xml":
            continue
        assert guess_format(path).name == fmt.name, path  # the guess finds it too
        got.update(read_labels(fmt, path, catalog).videos)
    return got


def _expected(fmt_name: str, video: VideoLabels):
    if fmt_name in EXACT:
        return video.labels, video.sources
    labels = [BACKGROUND if x is None else x for x in video.labels]
    return labels, ["human"] * len(labels)


_settings = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("fmt_name", list(FORMATS))
@_settings
@given(data=st.data())
def test_round_trip(tmp_path_factory, fmt_name, data):
    fmt = FORMATS[fmt_name]
    tmp_path = tmp_path_factory.mktemp(fmt_name)
    videos, catalog = _videos(tmp_path, data.draw(projects(tab_free=fmt_name == "audacity")))
    out = tmp_path / "out" / ("" if fmt.one_file_per_video else f"labels{fmt.suffix}")
    files = fmt.write(videos, out)
    named = (
        [v for v in videos if event_runs(v)]
        if fmt_name in ("audacity", "boris", "segments")
        else videos
    )
    if not named:
        if files:
            with pytest.raises(LabelFileError, match="names no video"):
                read_labels(fmt, files[0], catalog)
        return
    got = _read_all(fmt, files, catalog)
    assert set(got) == {v.path.name for v in named}
    for video in named:
        back = got[video.path.name]
        labels, sources = _expected(fmt_name, video)
        assert back.labels == labels
        if fmt_name == "segments":  # a segment is a person's if any of its seconds is
            human_runs = [r for r in event_runs(video) if r.source == "human"]
            assert all(
                back.sources[s] == "human" for r in human_runs for s in range(r.first, r.last + 1)
            )
        else:
            assert back.sources == sources


def test_audacity_refuses_a_label_it_would_cut(tmp_path):
    video = VideoLabels(tmp_path / "a.mp4", 2.0, ["x\ty", BACKGROUND], ["human", "human"])
    with pytest.raises(LabelFileError, match="tab or line break"):
        FORMATS["audacity"].write([video], tmp_path / "out")


# ---- each written file in the tool it is meant for -------------------------------------------


def _sample(tmp_path) -> list[VideoLabels]:
    folder = tmp_path / "media"
    return [
        VideoLabels(
            folder / "dog park.mp4",
            7.4,
            [BACKGROUND, 'dog, "big"', 'dog, "big"', "=x\ty", None, BACKGROUND, "日本", "日本"],
            ["model", "human", "human", "human", "", "model", "model", "human"],
            model="fusion@1.0.0",
        ),
        VideoLabels(
            folder / "rain.wav", 3.0, ["rain", "rain", BACKGROUND], ["human", "human", "human"]
        ),
    ]


def test_eaf_opens_in_pympi(tmp_path):
    videos = _sample(tmp_path)
    files = FORMATS["eaf"].write(videos, tmp_path / "eaf")
    for video, path in zip(videos, files):
        eaf = pympi.Elan.Eaf(str(path))
        assert set(eaf.get_tier_names()) == {"human labels", "model labels"}
        for tier, source in (("human labels", "human"), ("model labels", "model")):
            expected = [
                (round(r.start * 1000), round(r.end * 1000), r.label)
                for r in runs(video)
                if (r.source == "human") == (source == "human")
            ]
            assert sorted(eaf.get_annotation_data_for_tier(tier)) == expected
        (descriptor,) = eaf.media_descriptors
        assert descriptor["MEDIA_URL"] == video.path.resolve().as_uri()
        assert (path.parent / descriptor["RELATIVE_MEDIA_URL"]).resolve() == video.path.resolve()
        assert eaf.tiers["model labels"][2].get("ANNOTATOR", "") == video.model


def test_eaf_written_by_pympi_is_read(tmp_path):
    """A document made by another tool: its first aligned tier is read, the others named."""
    eaf = pympi.Elan.Eaf(author="someone")
    eaf.add_linked_file(str(tmp_path / "talk.mp4"), relpath="./talk.mp4", mimetype="video/mp4")
    eaf.add_tier("events")
    eaf.add_tier("comments")
    eaf.add_annotation("events", 0, 2500, "laughter")
    eaf.add_annotation("events", 2500, 4000, "applause")
    eaf.add_annotation("comments", 0, 1000, "noisy")
    eaf.remove_tier("default")
    path = tmp_path / "talk.eaf"
    pympi.Elan.to_eaf(str(path), eaf)
    catalog = VideoCatalog({"talk.mp4": tmp_path / "talk.mp4"}, {"talk.mp4": 5.0})
    result = read_labels(FORMATS["eaf"], path, catalog)
    assert result.videos["talk.mp4"].labels == [
        "laughter",
        "laughter",
        "laughter",
        "applause",
        None,
    ]
    assert any("'comments'" in note for note in result.notes)
    assert any("tie" in note for note in result.notes)  # second 2: 0.5 s each


def test_dcase_list_loads_in_sed_eval(tmp_path):
    videos = _sample(tmp_path)
    literal = ExportOptions(literal_labels=True)
    path = FORMATS["dcase"].write_with(videos, tmp_path / "events.tsv", literal)[0]
    loaded = sed_eval.io.load_event_list(
        str(path), file_format="CSV", delimiter="\t", csv_header=True
    )
    events = [e for e in loaded if str(e["event_label"]) != ""]
    expected = [(v.path.name, r.start, r.end, r.label) for v in videos for r in event_runs(v)]
    assert [
        (
            str(e["filename"]).split("/")[-1],
            float(e["onset"]),
            float(e["offset"]),
            str(e["event_label"]),
        )
        for e in events
    ] == expected
    # and sed_eval scores the list against itself as perfect
    one = sed_eval.io.load_event_list(str(path), file_format="CSV", delimiter="\t")
    one = type(one)([e for e in one if e["filename"].endswith("dog park.mp4")])
    metrics = sed_eval.sound_event.SegmentBasedMetrics(
        event_label_list=sorted({e["event_label"] for e in one}), time_resolution=1.0
    )
    metrics.evaluate(reference_event_list=one, estimated_event_list=one)
    assert metrics.results_overall_metrics()["f_measure"]["f_measure"] == 1.0
    pandas_view = pd.read_csv(path, sep="\t", keep_default_na=False)  # as DCASE baselines read
    assert list(pandas_view.columns) == ["filename", "onset", "offset", "event_label"]


def test_labelstudio_export_reads_in_label_studio_converter(tmp_path):
    videos = _sample(tmp_path)
    tasks, config = FORMATS["labelstudio"].write(videos, tmp_path / "ls.json")
    converter = Converter(config=config.read_text(encoding="utf-8"), project_dir=None)
    items = list(converter.iter_from_json_file(str(tasks)))
    human = [i for i in items if i["output"]]
    by_media = {i["input"].get("video") or i["input"].get("audio"): i for i in human}
    video_regions = by_media["media/dog park.mp4"]["output"]["labels"]
    frames = [
        (r["ranges"][0]["start"], r["ranges"][0]["end"], r["timelinelabels"][0])
        for r in video_regions
    ]
    assert frames == [(25, 72, 'dog, "big"'), (73, 96, "=x\ty"), (169, 178, "日本")]
    audio_regions = by_media["media/rain.wav"]["output"]["audio_labels"]
    assert [(r["start"], r["end"], r["labels"]) for r in audio_regions] == [
        (0.0, 2.0, ["rain"]),
        (2.0, 3.0, [BACKGROUND]),
    ]
    schema_labels = set(converter._schema["labels"]["labels"])
    assert {r["timelinelabels"][0] for r in video_regions} <= schema_labels


def test_boris_export_has_borises_columns(tmp_path):
    videos = _sample(tmp_path)
    literal = ExportOptions(literal_labels=True)
    path = FORMATS["boris"].write_with(videos, tmp_path / "aggregated.tsv", literal)[0]
    frame = pd.read_csv(path, sep="\t", keep_default_na=False)
    # The field list BORIS's export_observation writes for one media file, without modifiers.
    assert list(frame.columns) == BORIS_HEADER
    assert set(frame["Behavior type"]) == {"STATE"}
    assert np.allclose(frame["Duration (s)"], frame["Stop (s)"] - frame["Start (s)"])
    assert list(frame["Behavior"]) == [r.label for v in videos for r in event_runs(v)]
    assert set(frame["Media file name"]) == {"media/dog park.mp4", "media/rain.wav"}
    assert path.read_bytes().count(b"\r\n") == len(frame) + 1  # tablib's CRLF


def test_boris_older_export_with_point_events_is_read(tmp_path):
    """Older BORIS versions name the video in "Media file"; point events are skipped."""
    path = tmp_path / "obs.tsv"
    rows = [
        "Observation id\tMedia file\tTotal length\tFPS\tSubject\tBehavior\tModifiers\t"
        "Behavior type\tStart (s)\tStop (s)\tDuration (s)",
        "obs 1\tgeese.mp4\t12.000\t25.0\tNo focal subject\tswim\t\tSTATE\t1.800\t5.200\t3.400",
        "obs 1\tgeese.mp4\t12.000\t25.0\tNo focal subject\tcall\t\tPOINT\t6.000\t6.000\tNA",
        "obs 1\tgeese.mp4\t12.000\t25.0\tgoose 2\tfly\t\tSTATE\t8.000\t12.000\t4.000",
    ]
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    assert guess_format(path).name == "boris"
    catalog = VideoCatalog({"geese.mp4": tmp_path / "geese.mp4"}, {"geese.mp4": 12.0})
    result = read_labels(FORMATS["boris"], path, catalog)
    # 1.8-5.2 s covers most of seconds 2, 3 and 4 only
    assert result.videos["geese.mp4"].labels == [
        BACKGROUND,
        BACKGROUND,
        "swim",
        "swim",
        "swim",
        BACKGROUND,
        BACKGROUND,
        BACKGROUND,
        "fly",
        "fly",
        "fly",
        "fly",
    ]
    assert any("1 point event" in n for n in result.notes)
    assert any("2 subjects" in n for n in result.notes)


def test_audacity_file_follows_audacitys_layout(tmp_path):
    videos = _sample(tmp_path)
    videos[0].labels[3] = "=x y"  # Audacity titles cannot hold a tab
    files = FORMATS["audacity"].write(videos, tmp_path / "tracks")
    assert [f.name for f in files] == ["dog park.txt", "rain.txt"]
    for line in files[0].read_text(encoding="utf-8").splitlines():
        assert re.fullmatch(r"\d+\.\d{6}\t\d+\.\d{6}\t[^\t]+", line), line
    # Audacity's own files: frequency lines start with a backslash; a point label has one time.
    path = tmp_path / "rain.txt"
    path.write_text(
        "0.000000\t1.500000\train\n\\\t100.0\t2000.0\n2.000000\t2.000000\tclick\n"
        "2,500000\t3,000000\tthunder clap\n",
        encoding="utf-8",
    )
    catalog = VideoCatalog({"rain.wav": tmp_path / "rain.wav"}, {"rain.wav": 3.0})
    result = read_labels(FORMATS["audacity"], path, catalog)
    assert result.videos["rain.wav"].labels == ["rain", "rain", "thunder clap"]
    assert any("point label" in n for n in result.notes)
    assert any("tie" in n for n in result.notes)  # second 2: background 0.5, thunder 0.5


def test_overlapping_events_are_reported(tmp_path):
    path = tmp_path / "events.tsv"
    path.write_text(
        "filename\tonset\toffset\tevent_label\na.mp4\t0.0\t3.0\tdog\na.mp4\t1.2\t4.0\tcat\n",
        encoding="utf-8",
    )
    catalog = VideoCatalog({"a.mp4": tmp_path / "a.mp4"}, {"a.mp4": 5.0})
    result = read_labels(FORMATS["dcase"], path, catalog)
    assert result.videos["a.mp4"].labels == ["dog", "dog", "dog", "cat", BACKGROUND]
    assert any("overlaps" in n and "line 3" in n for n in result.notes)


@pytest.mark.parametrize("fmt_name", ["dcase", "boris"])
def test_tsv_exports_are_spreadsheet_safe_unless_asked(tmp_path, fmt_name):
    """A label like '=x' is written behind an apostrophe (as in the CSVs) and read back as it
    was; --literal-labels writes it as it is."""
    videos = _sample(tmp_path)
    fmt = FORMATS[fmt_name]
    safe = fmt.write(videos, tmp_path / "safe.tsv")[0]
    literal = fmt.write_with(videos, tmp_path / "literal.tsv", ExportOptions(True))[0]
    cells = [row.split("\t") for row in safe.read_text(encoding="utf-8").splitlines()]
    assert not any(c.startswith(("=", "+", "-", "@")) for row in cells for c in row[:1] + row[3:])
    assert "'=x" in safe.read_text(encoding="utf-8")
    assert '\t"=x' in literal.read_text(encoding="utf-8")
    catalog = VideoCatalog(
        {v.path.name: v.path for v in videos}, {v.path.name: v.duration for v in videos}
    )
    assert {k: v.labels for k, v in read_labels(fmt, safe, catalog).videos.items()} == {
        k: v.labels for k, v in read_labels(fmt, literal, catalog).videos.items()
    }
