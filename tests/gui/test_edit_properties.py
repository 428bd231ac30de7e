"""Property-based: any sequence of paints, undos and redos leaves the store, the timeline and a
plain reference model (a list of states with undo/redo stacks) in agreement."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


LABELS = ["Sparkler", "Chess clock", "background"]
SECONDS = 8

step = st.one_of(
    st.tuples(
        st.just("paint"), st.integers(0, SECONDS - 1), st.integers(1, 4), st.sampled_from(LABELS)
    ),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
)


@pytest.fixture
def editing(review_session):
    actions, project, timeline, name = review_session
    timeline.set_classes(LABELS)
    timeline.show_video(
        name,
        float(SECONDS),
        project.predictions(name).iloc[:SECONDS].copy(),
        None,
        project.human_labels(name),
    )
    return actions, project, timeline


def _reset(actions, project, timeline):
    everything = {s: None for s in range(SECONDS)}
    project.change_labels(timeline.video, everything, "reset", project.human_labels(timeline.video))
    timeline.set_human({})
    actions.undo_stack().clear()


class Reference:
    """What undo/redo should do, in plain Python."""

    def __init__(self):
        self.state, self.undone, self.done = {}, [], []

    def paint(self, start, end, label):
        after = dict(self.state)
        after.update({s: label for s in range(start, end)})
        if after != self.state:
            self.done.append(self.state)
            self.state, self.undone = after, []

    def undo(self):
        if self.done:
            self.undone.append(self.state)
            self.state = self.done.pop()

    def redo(self):
        if self.undone:
            self.done.append(self.state)
            self.state = self.undone.pop()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=15))
def test_store_timeline_and_reference_agree_after_any_edit_sequence(editing, steps):
    actions, project, timeline = editing
    _reset(actions, project, timeline)
    reference = Reference()
    stack = actions.undo_stack()
    for kind, *args in steps:
        if kind == "paint":
            start, length, label = args
            end = min(SECONDS, start + length)
            actions.paint(start, end, label)
            reference.paint(start, end, label)
        elif kind == "undo":
            stack.undo()
            reference.undo()
        else:
            stack.redo()
            reference.redo()
        assert project.human_labels(timeline.video) == reference.state
        assert timeline.human == reference.state
    assert project.store.integrity_check() == "ok"
