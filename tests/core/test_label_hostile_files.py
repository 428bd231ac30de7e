"""No label file, however built, ends in a traceback: the real files of each tool broken at
random (hypothesis), nested too deep, too big, in other encodings, with CRLF line ends or empty
tiers are each imported the same or refused in one line naming the file, and the store is left
as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.formats import LabelFileError, ReadOptions
from annotator.core.formats import labelstudio_config
from annotator.core.label_import import plan_import
from annotator.core.store import ProjectStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "interchange"
FILES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix not in (".xml", ".md"))
FORMAT_OF = {"audacity": "audacity", "boris": "boris", "dcase": "dcase", "elan": "eaf",
             "labelstudio": "labelstudio"}  # fmt: skip
_STEMS = {
    "103_marron1_May_24_2016_73006746": 10, "405_marron1_June_14_2016_69640887": 31,
    "cold_forest_daylight_label": 61, "spinetail": 21, "video_test_25fps_180s": 180,
    "video_test_25fps_360s": 360, "binary1": 4, "mini_reference": 4, "office_snr0_high_v2": 91,
    "a010": 200, "a013": 111, "a129": 242, "b008": 212, "b099": 242, "b100": 182, "test": 20,
    "fables_01_03_aesop_64kb": 100, "barradeen-emotional": 99, "opossum_snow_short": 3,
    "opossum_snow": 3,
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A store that knows every video the fixtures name and its duration (nothing to probe)."""
    folder = tmp_path_factory.mktemp("hostile")
    scenes = (FIXTURES / "dcase" / "scene_reference.txt").read_text().splitlines()
    durations = {f"{stem}.mp4": float(s) for stem, s in _STEMS.items()}
    durations |= {f"{Path(line.split(chr(9))[0]).stem}.mp4": 5.0 for line in scenes}
    store = ProjectStore.for_folder(folder)
    store.add_videos(durations)
    yield folder, store, {name: folder / name for name in durations}
    store.close()


def _state(store: ProjectStore):
    return len(store.edit_log()), sorted(store.label_names()), store.videos().values.tolist()


def _one_line_or_plan(store, videos, path: Path, fmt=None, options=None):
    """The plan, or None after checking the refusal is one line naming the file."""
    try:
        return plan_import(store, videos, [path], fmt, options=options)
    except LabelFileError as exc:
        text = str(exc)
        assert "\n" not in text and text.startswith(str(path)), text
        return None


def _mutated(data: bytes, how: str, at: int, end: int, junk: bytes) -> bytes:
    at, end = sorted((at % (len(data) + 1), end % (len(data) + 1)))
    if how == "truncate":
        return data[:at]
    if how == "insert":
        return data[:at] + junk + data[at:]
    if how == "replace":
        return data[:at] + junk + data[end:]
    lines = data.split(b"\n")  # repeat a line elsewhere
    line = lines[at % len(lines)]
    lines.insert(end % (len(lines) + 1), line)
    return b"\n".join(lines)


JUNK = st.binary(max_size=12) | st.sampled_from(
    [
        b"\t",
        b"\t\t",
        b'"',
        b"'",
        b"-1",
        b"nan",
        b"1e999",
        b"<",
        b"&x;",
        b"]]>",
        b"{",
        b"[",
        b"\r",
        b"\x00",
        b"\xff\xfe",
        b"STATE",
        b"START",
        b"=cmd|x",
        b"9999999",
    ]  # fmt: skip
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=st.sampled_from(FILES),
    how=st.sampled_from(["truncate", "insert", "replace", "repeat"]),
    at=st.integers(0, 10**6),
    end=st.integers(0, 10**6),
    junk=JUNK,
    named=st.booleans(),
)
def test_broken_real_files_are_one_line_or_read(project, tmp_path_factory, source, how, at, end,
                                                junk, named):  # fmt: skip
    folder, store, videos = project
    before = _state(store)
    path = tmp_path_factory.mktemp("broken") / source.name
    path.write_bytes(_mutated(source.read_bytes(), how, at, end, junk))
    for beside in source.parent.glob(f"{source.stem}.label-config.xml"):
        (path.parent / beside.name).write_bytes(beside.read_bytes())
    fmt = FORMAT_OF[source.parent.name] if named else None
    _one_line_or_plan(store, videos, path, fmt, ReadOptions(min_cover=0.0))
    assert _state(store) == before


@pytest.mark.parametrize(
    "text",
    [
        "[" * 200_000,
        '{"data": ' * 200_000,
        '[{"data": {"video": "test.mp4"}, "annotations": ' + "[" * 100_000,
    ],  # fmt: skip
    ids=["lists", "objects", "inside a task"],
)
def test_deep_json_is_refused_in_one_line(project, tmp_path, text):
    folder, store, videos = project
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelFileError) as error:
        plan_import(store, videos, [path])
    assert "\n" not in str(error.value) and str(error.value).startswith(str(path))
    assert "nested too deep" in str(error.value) or "not JSON" in str(error.value)


def test_huge_json_is_refused_in_one_line(project, tmp_path, monkeypatch):
    folder, store, videos = project
    monkeypatch.setattr(labelstudio_config, "MAX_JSON_BYTES", 1000)
    path = tmp_path / "many.json"
    path.write_text("[" + ",".join(['{"data": {"video": "test.mp4"}}'] * 100) + "]")
    with pytest.raises(LabelFileError, match=r"many\.json: 0 MB of JSON is more than the 0 MB"):
        plan_import(store, videos, [path])


TEXT_FILES = [p for p in FILES if p.suffix != ".eaf"]


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.name)
def test_other_encodings_and_line_ends(project, tmp_path, source):
    """UTF-16 with a BOM (a spreadsheet's "Unicode text") and CRLF line ends read the same as
    the UTF-8 original; an XML document whose bytes contradict its declaration is one line."""
    folder, store, videos = project
    fmt = FORMAT_OF[source.parent.name]
    expected = plan_import(store, videos, [source], fmt).labels
    for beside in source.parent.glob(f"{source.stem}.label-config.xml"):
        (tmp_path / beside.name).write_bytes(beside.read_bytes())
    text = source.read_bytes().decode("utf-8")
    crlf = tmp_path / source.name
    crlf.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
    assert plan_import(store, videos, [crlf], fmt).labels == expected
    crlf.write_bytes(text.encode("utf-16"))
    plan = _one_line_or_plan(store, videos, crlf, fmt)
    if source.suffix != ".eaf":
        assert plan is not None and plan.labels == expected


def test_latin1_is_one_line_naming_the_line(project, tmp_path):
    folder, store, videos = project
    path = tmp_path / "spinetail.txt"
    text = (FIXTURES / "audacity" / "spinetail.txt").read_text(encoding="utf-8")
    path.write_bytes(text.replace("CRER", "CRÉR").encode("latin-1"))
    with pytest.raises(LabelFileError) as error:
        plan_import(store, videos, [path])
    assert str(error.value) == (
        f"{path}: line 3: not UTF-8 text (byte 0xc9 at offset 68; Latin-1 or another legacy "
        "encoding?): save the file as UTF-8"
    )


def test_empty_tiers_are_one_line(project, tmp_path):
    folder, store, videos = project
    source = FIXTURES / "elan" / "test2.eaf"
    empty = _one_line_or_plan(
        store, videos, source, options=ReadOptions(tiers=("R004 (Utterance)",))
    )
    assert empty is None
    stripped = tmp_path / "test.eaf"
    text = source.read_text(encoding="utf-8")
    start, end = text.index("<TIER "), text.rindex("</TIER>") + len("</TIER>")
    stripped.write_text(text[:start] + '<TIER LINGUISTIC_TYPE_REF="Utterance" TIER_ID="P1"/>'
                        + text[end:], encoding="utf-8")  # fmt: skip
    with pytest.raises(LabelFileError) as error:
        plan_import(store, videos, [stripped])
    assert str(error.value) == (
        f"{stripped}: no tier holds time-aligned annotations: nothing to import "
        "(tiers and their annotations: 'P1' (0), 'R004 (Utterance)' (0))"
    )


LABEL_STUDIO_TASK = (
    '[{"data": {"video": "test.mp4", "fps": %s}, "annotations": [{"result": [{"type": "labels",'
    ' "value": {"start": 0, "end": %s, "labels": ["x"]}}]}]}]'
)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("inf.json", LABEL_STUDIO_TASK % (24, "1e999"), "not a finite number"),
        ("nan.json", LABEL_STUDIO_TASK % (24, "NaN"), "not a finite number"),
        ("big.json", LABEL_STUDIO_TASK % (24, "1" + "0" * 400), "int too large"),
        ("fps.json", LABEL_STUDIO_TASK % ("1" + "0" * 400, 2), "fps .* is not a frame rate"),
        (
            "tiny.json",
            LABEL_STUDIO_TASK.replace('"labels",', '"timelinelabels",').replace(
                '"start": 0, "end": %s, "labels"',
                '"ranges": [{"start": 1, "end": %s}], "timelinelabels"',
            )
            % ("1e-320", 2),
            "not a finite number",
        ),
        ("test.eaf", "ENCODING", "unreadable encoding"),
        ("test.eaf", "SLOT", "not whole milliseconds"),
    ],
)
def test_numbers_and_encodings_no_reader_can_hold(project, tmp_path, name, text, message):
    """Found by the hypothesis test: an unknown XML encoding, times past float's range."""
    folder, store, videos = project
    eaf = (FIXTURES / "elan" / "test.eaf").read_text(encoding="utf-8")
    text = {
        "ENCODING": eaf.replace('encoding="UTF-8"', 'encoding="AUTF-8"', 1),
        "SLOT": eaf.replace('TIME_VALUE="', 'TIME_VALUE="' + "9" * 400, 1),
    }.get(text, text)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelFileError, match=message) as error:
        plan_import(store, videos, [path])
    assert "\n" not in str(error.value) and str(error.value).startswith(str(path))
