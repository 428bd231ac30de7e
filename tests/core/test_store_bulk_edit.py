"""One label for seconds of several videos (find similar): one transaction, all or nothing."""

from __future__ import annotations

import pytest

from annotator.core.store import ProjectStore


@pytest.fixture
def store(tmp_path):
    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"a.mp4": 5.0, "b.mp4": 3.0})
    yield store
    store.close()


def test_a_bulk_edit_writes_every_video_in_one_step_and_undoes_as_one(store):
    store.set_labels("b.mp4", {0: "Frog"}, "earlier")
    labels = {"a.mp4": {1: "Bell", 2: "Bell"}, "b.mp4": {0: "Bell"}}
    expected = {"a.mp4": {1: None, 2: None}, "b.mp4": {0: "Frog"}}
    changes = store.change_labels_of_videos(labels, "Label 3 seconds Bell", expected)
    assert all(change.edit_id for change in changes.values())
    assert store.human_labels("a.mp4") == {1: "Bell", 2: "Bell"}
    assert store.human_labels("b.mp4") == {0: "Bell"}
    log = store.edit_log()
    assert list(log["description"][-2:]) == ["Label 3 seconds Bell"] * 2

    undo = store.change_labels_of_videos(expected, "undo", labels, all_or_nothing=False)
    assert not any(change.changed_elsewhere for change in undo.values())
    assert store.human_labels("a.mp4") == {} and store.human_labels("b.mp4") == {0: "Frog"}


def test_a_second_changed_elsewhere_refuses_the_whole_edit(store):
    store.set_labels("b.mp4", {0: "Frog"}, "another window")
    labels = {"a.mp4": {1: "Bell"}, "b.mp4": {0: "Bell"}}
    expected = {"a.mp4": {1: None}, "b.mp4": {0: None}}  # what this window still showed
    changes = store.change_labels_of_videos(labels, "bulk", expected)
    assert changes["b.mp4"].changed_elsewhere == {0: "Frog"}
    assert changes["a.mp4"].edit_id is None
    assert store.human_labels("a.mp4") == {}  # rolled back with the rest
    assert "bulk" not in list(store.edit_log()["description"])
