"""The project store: predictions and human edits survive closing, reopening and a kill."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from annotator.core.store import (
    PROJECT_DIR_NAME,
    ProjectStore,
    StoreError,
    fallback_store_path,
    relative_video_name,
)
from annotator.core.table import PER_SECOND_COLUMNS, build_table

CLASSES = ["Chess clock", "Sparkler", "background"]


def _predicted(video="clip.mp4", duration=7.4, seed=0):
    rng = np.random.default_rng(seed)
    seconds = 8 if duration == 7.4 else int(np.ceil(duration))
    probs = rng.dirichlet(np.ones(3), seconds)
    return build_table(
        video,
        duration,
        CLASSES,
        probs,
        rng.dirichlet(np.ones(3), seconds),
        rng.dirichlet(np.ones(3), seconds),
        model="attention@1.0.0",
    )


@pytest.fixture
def store(tmp_path):
    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"clip.mp4": 7.4, "other.mp4": 3.0})
    yield store
    store.close()


def test_store_lives_in_the_folder_with_wal_and_full_sync(store, tmp_path):
    assert store.path == tmp_path / PROJECT_DIR_NAME / "project.sqlite"
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_unwritable_folder_falls_back_to_the_user_data_dir(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / PROJECT_DIR_NAME).write_text("a file where the project folder would go")
    store = ProjectStore.for_folder(folder, data_dir=tmp_path / "data")
    assert store.path == fallback_store_path(folder, tmp_path / "data")
    assert store.path.is_relative_to(tmp_path / "data")
    store.close()


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="not a folder"):
        ProjectStore.for_folder(tmp_path / "nowhere")


def test_predictions_round_trip_with_attention(store):
    table = _predicted()
    attention = np.tile([[0.3, 0.7]], (8, 1))
    store.save_predictions("clip.mp4", table, attention)
    back = store.predictions("clip.mp4")
    assert list(back.columns) == PER_SECOND_COLUMNS
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    np.testing.assert_allclose(store.attention("clip.mp4"), attention)
    video = store.video("clip.mp4")
    assert video["status"] == "done" and video["model"] == "attention@1.0.0"


def test_familiarity_is_stored_beside_the_predictions_and_replaced_with_them(store):
    table = _predicted()
    familiarity = np.array([1, 1, 0.4, 0.2, 1, 1, 1, 0.9])
    store.save_predictions("clip.mp4", table, None, familiarity)
    np.testing.assert_allclose(store.familiarity("clip.mp4"), familiarity)
    pd.testing.assert_frame_equal(store.predictions("clip.mp4"), table, check_dtype=False)
    store.save_predictions("clip.mp4", table)  # a bundle without a summary: none kept
    assert store.familiarity("clip.mp4") is None
    with pytest.raises(ValueError, match="familiarity has shape"):
        store.save_predictions("clip.mp4", table, None, familiarity[:3])


def test_missing_modality_is_stored_as_empty(store):
    table = build_table("other.mp4", 3.0, CLASSES, np.eye(3), None, np.eye(3), model="m@1")
    store.save_predictions("other.mp4", table)
    back = store.predictions("other.mp4")
    assert (back["audio_label"] == "").all() and back["audio_confidence"].isna().all()
    assert store.attention("other.mp4") is None


def test_human_labels_override_predictions_in_the_reviewed_table(store):
    store.save_predictions("clip.mp4", _predicted())
    store.set_labels("clip.mp4", {2: "Sparkler", 3: "Sparkler"}, "paint Sparkler 2-4 s")
    reviewed = store.reviewed_table("clip.mp4", video_column="videos/clip.mp4")
    edited = reviewed[reviewed["second"].isin([2, 3])]
    assert (edited["label"] == "Sparkler").all() and (edited["source"] == "human").all()
    assert (edited["confidence"] == 1.0).all()
    untouched = reviewed[~reviewed["second"].isin([2, 3])]
    assert (untouched["source"] == "model").all()
    assert (reviewed["video"] == "videos/clip.mp4").all()


def test_clearing_a_label_returns_the_second_to_the_model(store):
    store.save_predictions("clip.mp4", _predicted())
    store.set_labels("clip.mp4", {1: "Sparkler"}, "assign")
    store.set_labels("clip.mp4", {1: None}, "clear")
    assert store.human_labels("clip.mp4") == {}
    assert (store.reviewed_table("clip.mp4")["source"] == "model").all()
    log = store.edit_log("clip.mp4")
    assert list(log["description"]) == ["assign", "clear"]
    assert log["changes"].iloc[1] == {1: ["Sparkler", None]}


def test_human_rows_for_a_video_without_predictions(store):
    store.set_labels("other.mp4", {0: "Chess clock"}, "assign")
    reviewed = store.reviewed_table("other.mp4")
    assert list(reviewed["label"]) == ["Chess clock", "background", "background"]
    assert list(reviewed["source"]) == ["human", "model", "model"]


def test_bad_edits_are_refused_with_a_reason(store):
    with pytest.raises(StoreError, match="outside the video"):
        store.set_labels("clip.mp4", {8: "Sparkler"}, "too far")
    with pytest.raises(StoreError, match="non-empty"):
        store.set_labels("clip.mp4", {0: "  "}, "blank")
    with pytest.raises(StoreError, match="not in this project"):
        store.set_labels("missing.mp4", {0: "Sparkler"}, "unknown video")
    assert store.edit_log().empty


def test_status_summary_and_main_label(store):
    store.save_predictions("clip.mp4", _predicted())
    store.set_labels("clip.mp4", {s: "Sparkler" for s in range(8)}, "all Sparkler")
    store.set_status("other.mp4", "failed", "no audio or video stream")
    videos = store.videos().set_index("video")
    assert videos.loc["clip.mp4", "main_label"] == "Sparkler"
    assert videos.loc["clip.mp4", "edited_seconds"] == 8
    assert videos.loc["other.mp4", "status"] == "failed"
    assert videos.loc["other.mp4", "reason"] == "no audio or video stream"


def test_reopening_restores_everything(tmp_path):
    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"clip.mp4": 7.4})
    store.save_predictions("clip.mp4", _predicted())
    store.set_labels("clip.mp4", {4: "Chess clock"}, "assign")
    store.close()
    again = ProjectStore.for_folder(tmp_path)
    assert again.human_labels("clip.mp4") == {4: "Chess clock"}
    assert len(again.predictions("clip.mp4")) == 8
    again.close()


def test_relative_names_use_forward_slashes(tmp_path):
    (tmp_path / "sub").mkdir()
    assert relative_video_name(tmp_path, tmp_path / "sub" / "a.mp4") == "sub/a.mp4"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(CLASSES + [None])), max_size=20))
def test_human_labels_equal_a_replay_of_the_edit_log(tmp_path_factory, edits):
    store = ProjectStore.for_folder(tmp_path_factory.mktemp("replay"))
    store.add_videos({"clip.mp4": 7.4})
    expected: dict = {}
    for second, label in edits:
        store.set_labels("clip.mp4", {second: label}, "edit")
        expected[second] = label
    assert store.human_labels("clip.mp4") == {s: v for s, v in expected.items() if v}
    store.close()


# A child process edits as fast as it can and reports each edit id once set_labels returned.
_EDITOR = """
import json, random, sys
from annotator.core.store import ProjectStore
store = ProjectStore.for_folder(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
labels = ["Chess clock", "Sparkler", "background", None]
while True:
    change = {s: rng.choice(labels) for s in rng.sample(range(600), rng.randint(1, 300))}
    edit_id = store.set_labels("long.mp4", change, "child edit")
    print(json.dumps([edit_id, change]), flush=True)
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_editor_loses_no_committed_edit(tmp_path, seed):
    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"long.mp4": 600.0})
    store.close()
    child = subprocess.Popen(
        [sys.executable, "-c", _EDITOR, str(tmp_path), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    acknowledged = []
    deadline = time.time() + 60
    wanted = 5 + seed * 7
    while len(acknowledged) < wanted and time.time() < deadline:
        acknowledged.append(json.loads(child.stdout.readline()))
    time.sleep(0.003 * seed)  # land the kill at a different point of a transaction each time
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert len(acknowledged) == wanted

    store = ProjectStore.for_folder(tmp_path)
    assert store.integrity_check() == "ok"
    log = store.edit_log("long.mp4")
    committed = set(log["id"])
    assert {edit_id for edit_id, _ in acknowledged} <= committed
    # The labels are exactly what the committed edits say, in order: no half-applied edit.
    replay: dict = {}
    for changes in log["changes"]:
        replay.update({s: after for s, (_before, after) in changes.items()})
    assert store.human_labels("long.mp4") == {s: v for s, v in replay.items() if v}
    by_id = dict(zip(log["id"], log["changes"]))
    for edit_id, change in acknowledged:
        assert {s: after for s, (_before, after) in by_id[edit_id].items()} == {
            int(s): label for s, label in change.items()
        }
    store.close()
    with sqlite3.connect(tmp_path / PROJECT_DIR_NAME / "project.sqlite") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
