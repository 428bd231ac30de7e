"""Importing label files into a real project store: the dry run, one transaction, and bad files
that are one-line errors naming the file and the line or element, changing nothing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.conventions import BACKGROUND
from annotator.core.demo.encode import encode_clip
from annotator.core.formats import FORMATS, LabelFileError
from annotator.core.label_import import UnknownLabelsError, apply_import, plan_import
from annotator.core.store import ProjectStore, StoreError

DURATIONS = {"dog park.mp4": 6.0, "sub/rain.mp4": 4.5}
HEADER = "filename\tonset\toffset\tevent_label\n"


@pytest.fixture
def project(tmp_path):
    """A folder whose store knows two videos and a model's predictions of one."""
    folder = tmp_path / "project"
    (folder / "sub").mkdir(parents=True)
    store = ProjectStore.for_folder(folder)
    store.add_videos(DURATIONS)
    store.set_labels("dog park.mp4", {5: "dog"}, "a person's earlier label")
    yield folder, store, {name: folder / name for name in DURATIONS}
    store.close()


def _state(store: ProjectStore):
    return (
        {v: store.human_labels(v) for v in DURATIONS},
        len(store.edit_log()),
        store.videos()[["video", "duration"]].values.tolist(),
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_dry_run_then_one_edit_per_video(project):
    folder, store, videos = project
    events = _write(
        folder / "events.tsv",
        HEADER + "dog park.mp4\t1.0\t3.0\tdog\nsub/rain.mp4\t0.0\t4.5\train\n",
    )
    before = _state(store)
    plan = plan_import(store, videos, [events])
    assert _state(store) == before  # planning changes nothing
    assert plan.labels == {
        "dog park.mp4": {
            0: BACKGROUND,
            1: "dog",
            2: "dog",
            3: BACKGROUND,
            4: BACKGROUND,
            5: BACKGROUND,
        },
        "sub/rain.mp4": {s: "rain" for s in range(5)},
    }
    assert plan.before == {"dog park.mp4": {5: "dog"}}
    assert plan.new_classes == {"rain": f"{events}: line 3"}  # "dog" the project knows
    text = "\n".join(plan.summary())
    assert "replacing 1 earlier human label" in text and "'rain'" in text
    edits = apply_import(store, plan, add_classes=True)
    assert set(edits) == set(DURATIONS)
    assert store.human_labels("sub/rain.mp4") == {s: "rain" for s in range(5)}
    assert store.human_labels("dog park.mp4")[5] == BACKGROUND
    log = store.edit_log()
    assert list(log["video"][-2:]) == ["dog park.mp4", "sub/rain.mp4"]
    assert log["changes"].iloc[-2][5] == ["dog", BACKGROUND]  # undo can restore it
    again = plan_import(store, videos, [events])
    assert again.seconds == 0 and again.unchanged == 11


def test_unknown_label_is_offered_not_dropped(project):
    folder, store, videos = project
    events = _write(folder / "events.tsv", HEADER + "dog park.mp4\t0\t2\twhale song\n")
    before = _state(store)
    plan = plan_import(store, videos, [events])
    with pytest.raises(
        UnknownLabelsError, match=re.escape(f"{events}: line 2: unknown label 'whale song'")
    ):
        apply_import(store, plan)
    assert _state(store) == before
    apply_import(store, plan, add_classes=True)
    assert "whale song" in store.label_names()


def test_model_labels_in_a_file_are_not_imported(project, tmp_path):
    folder, store, videos = project
    rows = [
        "video,second,start,end,label,confidence,audio_label,audio_confidence,"
        "visual_label,visual_confidence,model,source",
        "dog park.mp4,0,0,1,dog,1,,,,,,human",
        "dog park.mp4,1,1,2,dog,0.8,,,,,m@1,model",
    ]
    per_second = _write(folder / "rows.csv", "\n".join(rows) + "\n")
    plan = plan_import(store, videos, [per_second])
    assert plan.labels == {"dog park.mp4": {0: "dog"}} and plan.model_seconds == 1


def test_a_later_file_that_fails_changes_nothing(project):
    folder, store, videos = project
    good = _write(folder / "good.tsv", HEADER + "dog park.mp4\t0\t2\tdog\n")
    bad = _write(folder / "bad.tsv", HEADER + "dog park.mp4\t0\t2\tdog\ndog park.mp4\t4\tx\tdog\n")
    before = _state(store)
    with pytest.raises(
        LabelFileError, match=re.escape(f"{bad}: line 3: offset 'x' is not a number")
    ):
        plan_import(store, videos, [good, bad])
    assert _state(store) == before


def test_store_import_is_one_transaction(project):
    _folder, store, _videos = project
    before = _state(store)
    with pytest.raises(StoreError, match="second 9 is outside"):
        store.import_labels({"dog park.mp4": {0: "dog"}, "sub/rain.mp4": {9: "rain"}}, "import")
    assert _state(store) == before


XXE = """<?xml version="1.0"?>
<!DOCTYPE ANNOTATION_DOCUMENT [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ANNOTATION_DOCUMENT><HEADER/><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/>
<TIME_SLOT TIME_SLOT_ID="ts2" TIME_VALUE="1000"/></TIME_ORDER><TIER TIER_ID="human labels">
<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
<ANNOTATION_VALUE>&secret;</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION></TIER>
</ANNOTATION_DOCUMENT>"""
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']>\n<ANNOTATION_DOCUMENT><HEADER/><TIER TIER_ID="t">&lol9;</TIER></ANNOTATION_DOCUMENT>'
)
EAF_OK_HEAD = (
    '<ANNOTATION_DOCUMENT><HEADER TIME_UNITS="milliseconds"><MEDIA_DESCRIPTOR '
    'MEDIA_URL="file:///nowhere/dog%20park.mp4" RELATIVE_MEDIA_URL="./dog park.mp4"/>'
    '</HEADER><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/>'
    '<TIME_SLOT TIME_SLOT_ID="ts2"/></TIME_ORDER><TIER TIER_ID="human labels">'
    '<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a7" TIME_SLOT_REF1="ts1" '
    'TIME_SLOT_REF2="ts2"><ANNOTATION_VALUE>dog</ANNOTATION_VALUE>'
    "</ALIGNABLE_ANNOTATION></ANNOTATION></TIER></ANNOTATION_DOCUMENT>"
)

BAD_FILES = {
    "malformed XML": (
        "a.eaf",
        "<ANNOTATION_DOCUMENT><HEADER></ANNOTATION_DOCUMENT>",
        r"line 1, column \d+: malformed XML",
    ),
    "external entity": ("a.eaf", XXE, "refused: the XML declares a document type"),
    "billion laughs": ("a.eaf", LAUGHS, "refused: the XML declares a document type"),
    "unaligned ELAN slot": (
        "dog park.eaf",
        EAF_OK_HEAD,
        "tier 'human labels', annotation a7: time slot ts2 has no time",
    ),
    "beyond the end": (
        "e.tsv",
        HEADER + "dog park.mp4\t0\t2\tdog\ndog park.mp4\t5\t9.5\tdog\n",
        r"line 3: 5–9.5 s is beyond the end of dog park.mp4 \(6 s\)",
    ),
    "negative": ("e.tsv", HEADER + "dog park.mp4\t-1\t2\tdog\n", "line 2: negative time"),
    "reversed": ("e.tsv", HEADER + "dog park.mp4\t3\t2\tdog\n", "line 2: reversed interval"),
    "unknown video": ("e.tsv", HEADER + "cat.mp4\t0\t2\tcat\n", "line 2: unknown video 'cat.mp4'"),
    "Audacity file for no video": ("Labels.txt", "0.0\t1.0\tdog\n", "no video named like 'Labels'"),
    "Label Studio, not JSON": (
        "t.json",
        '[{"data": {"video": "dog park.mp4"}},\n{oops}]',
        r"line 2, column 2: not JSON",
    ),
    "BORIS reversed": (
        "b.tsv",
        "Behavior\tStart (s)\tStop (s)\tMedia file name\ndog\t4.0\t1.0\tdog park.mp4\n",
        "line 2: reversed interval",
    ),
    "per-second beyond the end": (
        "r.csv",
        "video,second,label,source\ndog park.mp4,6,dog,human\n",
        "line 2: second 6 is beyond the end of dog park.mp4",
    ),
    "empty file": ("e.tsv", "", "empty file"),
    "blank file": ("e.eaf", "  \n\n", "empty file"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_one_line_and_changes_nothing(project, case):
    folder, store, videos = project
    name, text, message = BAD_FILES[case]
    path = _write(folder / name, text)
    before = _state(store)
    with pytest.raises(LabelFileError) as error:
        plan_import(store, videos, [path])
    text = str(error.value)
    assert "\n" not in text and text.startswith(str(path)), text
    assert re.search(message, text), text
    assert _state(store) == before


@pytest.mark.slow
def test_fifty_megabytes_of_garbage(project):
    folder, store, videos = project
    random_bytes = folder / "garbage.bin"
    with open(random_bytes, "wb") as handle:
        handle.write(b"\x00\xff" + os.urandom(50 * 1024 * 1024))
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghij \t\n,;=+\"'<{[", dtype=np.uint8)
    text_garbage = folder / "garbage.txt"
    text_garbage.write_bytes(rng.choice(letters, 50 * 1024 * 1024).tobytes())
    before = _state(store)
    # Undecodable bytes fail in the one text reader every format shares; text garbage is tried
    # against each format's own parser.
    for path, formats in ((random_bytes, [None, "eaf", "dcase"]), (text_garbage, [None, *FORMATS])):
        for fmt in formats:
            with pytest.raises(LabelFileError) as error:
                plan_import(store, videos, [path], fmt=fmt)
            assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)
    assert _state(store) == before


# ---- the command line, on real videos ---------------------------------------------------------


@pytest.fixture
def video_folder(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(10)]
    for name, seconds in (("walk.mp4", 3.4), ("talk.mp4", 2.0)):
        encode_clip(
            folder / name,
            [frames[i % 10] for i in range(int(seconds * 10))],
            np.zeros(int(16000 * seconds), np.float32),
            10,
            16000,
        )
    return folder


def test_cli_import_then_export_round_trip(video_folder, tmp_path, capsys):
    labels = _write(tmp_path / "walk.txt", "0.500000\t2.600000\tfootsteps\n")
    assert main(["import", str(labels), "--into", str(video_folder), "--dry-run"]) == 0
    assert "dry run: nothing changed" in capsys.readouterr().out
    assert not (video_folder / ".av-annotator").exists()
    assert main(["import", str(labels), "--into", str(video_folder)]) == 2
    assert "unknown label 'footsteps'" in capsys.readouterr().err
    assert main(["import", str(labels), "--into", str(video_folder), "--add-classes"]) == 0
    store = ProjectStore.for_folder(video_folder)
    try:
        assert store.human_labels("walk.mp4") == {
            0: "footsteps",
            1: "footsteps",
            2: "footsteps",
            3: BACKGROUND,
        }
        assert store.video("walk.mp4")["duration"] == pytest.approx(3.4, abs=0.05)
    finally:
        store.close()
    out = tmp_path / "eaf"
    assert main(["export", str(video_folder), "--format", "eaf", "--out", str(out)]) == 0
    assert [p.name for p in sorted(out.iterdir())] == ["walk.eaf"]  # talk.mp4 has no labels
    assert (
        main(
            ["export", str(video_folder), "--format", "dcase", "--out", str(tmp_path / "walk.tsv")]
        )
        == 0
    )
    lines = (tmp_path / "walk.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "clips/walk.mp4\t0.000\t3.000\tfootsteps"
    # the ELAN file imports back to the same labels, and changes nothing
    assert main(["import", str(out / "walk.eaf"), "--into", str(video_folder)]) == 0
    assert (
        "0 second(s) of 0 video(s) to label, 4 already labelled the same" in capsys.readouterr().out
    )


def test_cli_export_refuses_a_file_for_per_video_formats(video_folder, tmp_path, capsys):
    labels = _write(tmp_path / "talk.txt", "0.0\t1.0\tspeech\n")
    main(["import", str(labels), "--into", str(video_folder), "--add-classes"])
    target = _write(tmp_path / "exists.txt", "x")
    assert main(["export", str(video_folder), "--format", "audacity", "--out", str(target)]) == 2
    assert "--out must be a folder" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_project_exports_and_imports_into_another_project(project, tmp_path, fmt):
    """A person's labels -> export from one project -> import into a fresh one: the same."""
    from annotator.core.label_export import export_labels

    folder, store, _videos = project
    given = {
        "dog park.mp4": ["dog", 'dog, "big"', BACKGROUND, "=cat", "日本", "日本"],
        "sub/rain.mp4": [
            BACKGROUND,
            "rain\tlight" if fmt != "audacity" else "rain light",
            "rain\tlight" if fmt != "audacity" else "rain light",
            BACKGROUND,
            "+drops",
        ],
    }
    store.import_labels({v: dict(enumerate(labels)) for v, labels in given.items()}, "setup")
    out = (
        tmp_path / "export" / ("" if FORMATS[fmt].one_file_per_video else f"x{FORMATS[fmt].suffix}")
    )
    result = export_labels(folder, fmt, out)
    other = tmp_path / "other"
    (other / "sub").mkdir(parents=True)
    fresh = ProjectStore.for_folder(other)
    try:
        fresh.add_videos(DURATIONS)
        # the other project holds the same videos, so relative paths from the export resolve
        # by file name
        videos = {name: other / name for name in DURATIONS}
        files = [f for f in result.files if f.suffix != ".xml"]
        if FORMATS[fmt].one_file_per_video:  # per-video files match by their own name
            assert sorted(f.stem for f in files) == ["dog park", "rain"]
        plan = plan_import(fresh, videos, files, fmt=None)
        apply_import(fresh, plan, add_classes=True)
        for video, labels in given.items():
            assert fresh.human_labels(video) == dict(enumerate(labels)), (fmt, video)
    finally:
        fresh.close()
