"""The palette with many classes, and what moving a segment's edge does to its neighbours."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect

from annotator.gui.label_palette import MAX_ROWS, LabelPalette
from annotator.gui.timeline.edges import edge_near, resize_changes, resized
from annotator.gui.timeline.state import TimelineState

A, B = "Sparkler", "Flat tyre"


def test_moving_an_edge_hands_seconds_to_the_touching_segment_or_clears_them():
    human = {2: A, 3: A, 4: A, 5: B, 6: B}
    assert resize_changes(human, 2, 5, "end", 3, 10) == {3: B, 4: B}  # B grows into them
    assert resize_changes(human, 2, 5, "end", 7, 10) == {5: A, 6: A}
    assert resize_changes(human, 2, 5, "start", 4, 10) == {2: None, 3: None}  # nothing left
    assert resize_changes(human, 2, 5, "start", 0, 10) == {0: A, 1: A}
    assert resize_changes(human, 2, 5, "end", 1, 10) == {3: B, 4: B}  # keeps one second
    assert resized(human, 5, 7, "end", 10, 8) == {**human, 7: B}  # not past the video
    # Where A ends and B starts, the pointer's side picks the segment.
    assert edge_near(human, 10, 4.97, 0.1) == (2, 5, "end")
    assert edge_near(human, 10, 5.03, 0.1) == (5, 7, "start")
    assert edge_near(human, 10, 3.5, 0.1) is None


def test_many_classes_wrap_then_scroll_and_the_active_one_is_shown(qtbot):
    state = TimelineState()
    state.set_classes([f"Class {n:02d}" for n in range(40)])
    palette = LabelPalette(state)
    qtbot.addWidget(palette)
    palette.resize(520, 200)
    palette.show()
    qtbot.waitExposed(palette)
    rows = palette._flow.rows(palette.area.viewport().width())
    assert len(rows) > MAX_ROWS
    assert palette.area.height() <= MAX_ROWS * (palette._row_height() + 3) + 2
    last = "Class 39"
    palette.choose(last)
    qtbot.wait(20)
    button = palette.buttons[last]
    viewport = palette.area.viewport()
    assert viewport.rect().contains(QRect(button.mapTo(viewport, QPoint(0, 0)), button.size()))
    assert last in palette.active_chip.text() and state.active_label == last
