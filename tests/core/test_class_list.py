"""The project's own classes: kept in the store, changed with the human labels that use them."""

from __future__ import annotations

import pytest

from annotator.core.class_list import CLASS_COLOURS, ClassListError
from annotator.core.store import ProjectStore


@pytest.fixture
def store(tmp_path):
    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"a.mp4": 6.0, "b.mp4": 4.0})
    yield store
    store.close()


def test_classes_are_added_in_order_with_distinct_colours_and_survive_reopening(store):
    store.classes.add("Bell")
    store.classes.add("Drone", "#123456")
    store.classes.add("Frog")
    assert store.classes.names() == ["Bell", "Drone", "Frog"]
    colours = store.classes.colours()
    assert colours["Drone"] == "#123456"
    assert colours["Bell"] == CLASS_COLOURS[0] and colours["Frog"] == CLASS_COLOURS[1]
    again = ProjectStore(store.path)
    assert again.classes.names() == ["Bell", "Drone", "Frog"] and again.classes.initialised()
    again.close()


@pytest.mark.parametrize(
    "name, reason",
    [
        ("", "needs a name"),
        ("  ", "needs a name"),
        ("background", "always there"),
        ("Background", "always there"),
        ("a\nb", "control characters"),
        ("x" * 81, "at most"),
    ],
)
def test_bad_names_are_refused_with_the_reason(store, name, reason):
    with pytest.raises(ClassListError, match=reason):
        store.classes.add(name)
    assert store.classes.names() == []


def test_a_name_taken_twice_and_a_bad_colour_are_refused(store):
    store.classes.add("Bell")
    with pytest.raises(ClassListError, match="exists already"):
        store.classes.add("Bell")
    with pytest.raises(ClassListError, match="#rrggbb"):
        store.classes.recolour("Bell", "red")
    with pytest.raises(ClassListError, match="background is always there"):
        store.classes.recolour("background", "#ffffff")
    store.classes.recolour("Bell", "#ABCDEF")
    assert store.classes.colours()["Bell"] == "#abcdef"


def test_rename_changes_the_labels_and_logs_one_edit_per_video(store):
    store.classes.add("Bell")
    store.set_labels("a.mp4", {0: "Bell", 1: "Bell", 2: "background"}, "paint")
    store.set_labels("b.mp4", {3: "Bell"}, "paint")
    assert store.classes.rename("Bell", "Church bell") == 3
    assert store.classes.names() == ["Church bell"]
    assert store.human_labels("a.mp4") == {0: "Church bell", 1: "Church bell", 2: "background"}
    assert store.human_labels("b.mp4") == {3: "Church bell"}
    log = store.edit_log()
    renames = log[log.description == "Rename class Bell to Church bell"]
    assert sorted(renames.video) == ["a.mp4", "b.mp4"]
    assert renames.iloc[0].changes == {0: ["Bell", "Church bell"], 1: ["Bell", "Church bell"]}
    store.classes.add("Frog")
    with pytest.raises(ClassListError, match="merge into it instead"):
        store.classes.rename("Frog", "Church bell")


def test_merge_moves_the_labels_and_remove_leaves_them_unlabelled_but_logged(store):
    for name in ("Bell", "Bicycle bell", "Frog"):
        store.classes.add(name)
    store.set_labels("a.mp4", {0: "Bell", 1: "Bicycle bell", 2: "Frog", 3: "Frog"}, "paint")
    assert store.classes.merge("Bicycle bell", "Bell") == 1
    assert store.classes.names() == ["Bell", "Frog"]
    assert store.human_labels("a.mp4") == {0: "Bell", 1: "Bell", 2: "Frog", 3: "Frog"}
    assert store.classes.remove("Frog") == 2
    assert store.human_labels("a.mp4") == {0: "Bell", 1: "Bell"}  # unlabelled, not background
    last = store.edit_log().iloc[-1]
    assert last.description == "Remove class Frog" and last.changes == {
        2: ["Frog", None],
        3: ["Frog", None],
    }
    assert store.classes.merge("Bell", "background") == 2
    assert store.human_labels("a.mp4") == {0: "background", 1: "background"}
    with pytest.raises(ClassListError, match="no class named"):
        store.classes.merge("Nothing", "background")
    store.classes.add("Frog")
    with pytest.raises(ClassListError, match="into itself"):
        store.classes.merge("Frog", "Frog")


def test_initialise_happens_once_and_ensure_adds_labels_painted_with_unknown_classes(store):
    store.classes.initialise(["Sparkler", "background", "Chess clock"])
    assert store.classes.names() == ["Sparkler", "Chess clock"]
    store.classes.remove("Sparkler")
    store.classes.initialise(["Sparkler"])  # the user's own list stays
    assert store.classes.names() == ["Chess clock"]
    assert store.classes.ensure(["Chess clock", "Flat tyre", "background", None]) == ["Flat tyre"]
    store.classes.move("Flat tyre", 0)
    assert store.classes.names() == ["Flat tyre", "Chess clock"]


def test_labelled_counts_cover_background_and_videos(store):
    store.set_labels("a.mp4", {0: "Bell", 1: "background"}, "paint")
    store.set_labels("b.mp4", {0: "Bell"}, "paint")
    assert store.classes.labelled_seconds() == {"Bell": 2, "background": 1}
    assert store.classes.labelled_videos() == {"Bell": 2, "background": 1}
