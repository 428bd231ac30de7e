"""The timeline view reacts to its state: zoom, scroll, fit, lanes drawn from the state's values."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect

from annotator.core.table import build_table
from annotator.gui.timeline.lanes import (
    FamiliarityLane,
    HumanLane,
    PredictionLane,
    RulerLane,
    TimeAxis,
    default_lanes,
    format_time,
    runs,
)
from annotator.gui.timeline.state import TimelineState
from annotator.gui.timeline.view import TITLE_WIDTH, TimelineView

CLASSES = ["Chess clock", "Sparkler", "background"]
# The overview strip, every lane and the scroll bar, so no vertical scroll bar takes width.
TALL_ENOUGH = 500


@pytest.fixture
def view(qtbot):
    state = TimelineState()
    state.set_classes(CLASSES)
    view = TimelineView(state)
    qtbot.addWidget(view)
    view.resize(TITLE_WIDTH + 600, TALL_ENOUGH)
    view.show()
    qtbot.waitExposed(view)
    probs = np.eye(3)[[2, 1, 1, 1, 0, 0, 2, 2, 2, 2, 2, 2]] * 0.6 + 0.1
    table = build_table("a.mp4", 11.5, CLASSES, probs, probs, probs, model="m@1")
    state.show_video("a.mp4", 11.5, table, np.full((12, 2), 0.5), {})
    return view


def test_a_new_video_fits_the_width_and_resizing_keeps_it_fitted(view):
    assert view.state.pixels_per_second == pytest.approx(600 / 11.5)
    view.resize(TITLE_WIDTH + 1150, TALL_ENOUGH)
    assert view.state.pixels_per_second == pytest.approx(100.0)


def test_a_short_view_scrolls_the_lower_lanes_and_keeps_the_human_lane_in_sight(view, qtbot):
    view.resize(TITLE_WIDTH + 600, 260)
    qtbot.waitUntil(lambda: view.lanes_area.verticalScrollBar().isVisible())
    viewport = view.lanes_area.viewport()
    human = next(r for lane, r in view.canvas.lane_rects() if isinstance(lane, HumanLane))
    top_left = view.canvas.mapTo(viewport, human.topLeft())
    assert viewport.rect().contains(QRect(top_left, human.size()))
    # the width the vertical scroll bar leaves is what the fitted video fills
    assert view.state.pixels_per_second == pytest.approx(view.canvas.lane_width() / 11.5)


def test_a_duration_found_later_refits(view):
    view.state.set_duration(23.0)
    assert view.state.pixels_per_second == pytest.approx(600 / 23.0)


def test_zoom_keeps_the_cursor_in_place_and_scrolling_follows(view):
    view.state.seek(6.0)
    before = (6.0 - view.state.view_start) * view.state.pixels_per_second
    view.zoom_in()
    view.zoom_in()
    after = (6.0 - view.state.view_start) * view.state.pixels_per_second
    assert after == pytest.approx(before, abs=1)
    assert view.scrollbar.maximum() > 0
    view.scrollbar.setValue(view.scrollbar.maximum())
    assert view.state.view_start == pytest.approx(view.scrollbar.maximum() / 1000)
    view.fit()
    assert view.state.view_start == 0 and view.scrollbar.maximum() == 0


def test_the_cursor_pages_along_when_playback_leaves_the_view(view):
    view.zoom_in()
    for _ in range(6):
        view.zoom_in()
    span = view.state.visible_seconds(view.canvas.lane_width())
    view.state.set_cursor(span + 2.0)
    assert view.state.view_start <= span + 2.0 <= view.state.view_start + span


def test_prediction_blocks_follow_the_threshold(view):
    lane = view.lane(PredictionLane)
    assert [(b.start, b.end, b.label, b.faint) for b in lane.blocks(view.state)][:3] == [
        (0, 1, "background", False),
        (1, 4, "Sparkler", False),
        (4, 6, "Chess clock", False),
    ]
    view.state.set_threshold(0.9)
    assert all(b.faint for b in lane.blocks(view.state))
    assert not view.grab().isNull()


def test_unfamiliar_seconds_are_doubtful_and_the_familiarity_lane_shows_them(view, qtbot):
    state = view.state
    state.set_threshold(0.3)  # every confidence here (0.7) is above it
    assert state.doubtful_seconds() == []
    familiarity = np.ones(12)
    familiarity[[3, 4, 5]] = [0.6, 0.3, 0.9]
    state.set_predictions(state.predictions, state.attention, familiarity=familiarity)
    assert state.doubtful_seconds() == [3, 4, 5]
    assert state.unfamiliar_share() == pytest.approx(3 / 12)
    state.set_human({4: "Sparkler"})  # a person's label settles the doubt
    assert state.doubtful_seconds() == [3, 5]
    assert any(isinstance(lane, FamiliarityLane) for lane in default_lanes())
    np.testing.assert_allclose(FamiliarityLane().values(state), familiarity)
    view.canvas.repaint()  # paints the lane without error
    state.set_predictions(state.predictions, state.attention)  # a bundle without a summary
    assert FamiliarityLane().values(state) is None and state.doubtful_seconds() == []


def test_state_refuses_nonsense_quietly():
    state = TimelineState()
    state.set_threshold(7)
    assert state.threshold == 1.0
    state.set_zoom(1e9)
    assert state.pixels_per_second <= 400
    with pytest.raises(ValueError):
        state.set_audio_view("colour")
    assert state.seconds == 0 and state.label_at(3) == "background"


def test_axis_ruler_and_helpers():
    axis = TimeAxis(left=100, view_start=10, pixels_per_second=20, width=400)
    assert axis.x(10) == 100 and axis.time(140) == 12
    assert list(axis.visible_seconds(100)) == list(range(10, 31))
    assert RulerLane().tick_spacing(20) == 5
    assert format_time(75) == "1:15" and format_time(2.5) == "0:02.5"
    assert runs(["a", "a", "b", None]) == [(0, 2, "a"), (2, 3, "b"), (3, 4, None)]
