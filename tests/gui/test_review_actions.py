"""Review actions without a window: the state objects, the store and the undo stacks only."""

from __future__ import annotations

import pytest

from annotator.core.conventions import BACKGROUND

CLASSES = ["Chess clock", "Sparkler", "Whistle kettle", BACKGROUND]


@pytest.fixture
def review(review_session):
    """(actions, project, timeline) on the first annotated sample, predictions set to a known
    pattern so each action's result can be spelled out second by second."""
    actions, project, timeline, name = review_session
    timeline.set_classes(CLASSES)
    predictions = project.predictions(name).iloc[:8].copy()
    predictions["label"] = [
        "background",
        "Sparkler",
        "Sparkler",
        "background",
        "background",
        "Chess clock",
        "Chess clock",
        "background",
    ]
    predictions["confidence"] = [0.9, 0.4, 0.8, 0.9, 0.3, 0.9, 0.9, 0.9]
    predictions["audio_label"] = ["background"] * 4 + ["Sparkler"] * 4
    predictions["visual_label"] = ["background"] * 6 + ["Chess clock"] * 2
    timeline.show_video(name, 8.0, predictions, None, project.human_labels(name))
    return actions, project, timeline


def labels(timeline):
    return [timeline.label_at(s) for s in range(timeline.seconds)]


def test_paint_is_stored_and_undone_per_video(review):
    actions, project, timeline = review
    assert actions.paint(1, 4, "Whistle kettle")
    assert project.human_labels(timeline.video) == {
        1: "Whistle kettle",
        2: "Whistle kettle",
        3: "Whistle kettle",
    }
    assert actions.undo_stack().undoText() == "Paint Whistle kettle 1–4 s"
    actions.undo_stack().undo()
    assert project.human_labels(timeline.video) == {}
    actions.undo_stack().redo()
    assert len(project.human_labels(timeline.video)) == 3
    log = project.store.edit_log(timeline.video)
    assert list(log["description"]) == [
        "Paint Whistle kettle 1–4 s",
        "undo: Paint Whistle kettle 1–4 s",
        "redo: Paint Whistle kettle 1–4 s",
    ]


def test_accept_selection_or_the_segment_at_the_cursor(review):
    actions, project, timeline = review
    timeline.seek(2.2)
    assert actions.accept()
    assert timeline.human == {1: "Sparkler", 2: "Sparkler"}
    timeline.set_selection(4, 7)
    assert actions.accept()
    assert timeline.human == {
        1: "Sparkler",
        2: "Sparkler",
        4: BACKGROUND,
        5: "Chess clock",
        6: "Chess clock",
    }
    reviewed = project.store.reviewed_table(timeline.video)
    assert list(reviewed["source"][:8]) == [
        "model",
        "human",
        "human",
        "model",
        "human",
        "human",
        "human",
        "model",
    ]


def test_split_gives_the_rest_of_a_segment_the_active_label(review):
    actions, _project, timeline = review
    timeline.seek(2.5)
    timeline.set_active_label("Sparkler")
    assert not actions.split()  # the same label would not split anything
    timeline.set_active_label("Whistle kettle")
    assert actions.split()
    assert labels(timeline)[:4] == [BACKGROUND, "Sparkler", "Whistle kettle", BACKGROUND]


def test_merge_joins_the_next_segment_and_the_gap(review):
    actions, _project, timeline = review
    timeline.seek(1.0)
    assert actions.merge()
    assert labels(timeline) == [BACKGROUND] + ["Sparkler"] * 6 + [BACKGROUND]
    timeline.seek(7.5)
    assert not actions.merge()  # background is not a segment


def test_number_keys_clear_and_jumps(review):
    actions, _project, timeline = review
    timeline.seek(0.5)
    assert actions.assign_number(3)
    assert timeline.human == {0: "Whistle kettle"} and timeline.active_label == "Whistle kettle"
    assert not actions.assign_number(9)  # three classes only
    assert actions.clear()
    assert timeline.human == {}

    timeline.set_threshold(0.5)
    assert timeline.doubtful_seconds() == [1, 4]
    assert actions.next_doubtful() and timeline.cursor_second() == 1
    assert actions.next_doubtful() and timeline.cursor_second() == 4
    assert actions.next_doubtful() and timeline.cursor_second() == 1  # wraps round
    assert timeline.disagreement_seconds() == [4, 5, 6, 7]
    assert actions.next_disagreement() and timeline.cursor_second() == 4


def test_edits_refused_by_the_store_are_reported(review):
    actions, _project, timeline = review
    errors = []
    actions.errorOccurred.connect(errors.append)
    assert not actions.apply({99: "Sparkler"}, "out of range")
    assert "outside the video" in errors[0]
    assert actions.undo_stack().count() == 0
