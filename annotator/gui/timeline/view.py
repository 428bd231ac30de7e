"""TimelineView: the lanes stacked on one time axis, zoomable and scrollable.

Mouse: click or drag on most lanes seeks (the player follows); drag on the Human lane paints the
active label over the range, or, started on a segment's edge, moves that edge (either way);
drag on the Predicted lane selects a range (for "accept"). Wheel scrolls, Ctrl+wheel zooms
around the pointer. The view never edits anything itself: a painted range is announced with
`rangePainted`, a moved edge with `edgeMoved`, and the review actions turn them into edits.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .overview import OverviewStrip
from .colors import CURSOR_COLOR, LANE_ALTERNATE, LANE_BACKGROUND, SELECTION_COLOR, TITLE_BACKGROUND
from .edges import EDGE_GRAB_PIXELS, edge_near
from .lanes import HumanLane, Lane, PredictionLane, TimeAxis, default_lanes
from .state import TimelineState

TITLE_WIDTH = 92
ZOOM_STEP = 1.25
# Lanes always on screen however short the window (ruler, pictures, sound, Predicted, Human: what
# reviewing needs); the lanes below them scroll vertically.
MINIMUM_VISIBLE_LANES = 5


def settle_long_lived_objects() -> None:
    """Collect garbage once, then move every object alive now (the window, the shown video's
    table) out of the cyclic collector's sight. Without this, its full passes walked them all
    every few dozen zoom or scroll steps and took ~50 ms of such a step (measured on a 2-hour
    recording: steps of 40 ms CPU with outliers of 90-110 ms, none with the collector off)."""
    gc.collect()
    gc.freeze()


class LaneCanvas(QWidget):
    """Paints every lane and turns mouse gestures into seeks, selections and painted ranges."""

    rangePainted = Signal(int, int, str)  # [start, end) seconds, label
    edgeMoved = Signal(int, int, str, int)  # segment [start, end), "start" or "end", new boundary
    zoomedByWheel = Signal()
    resized = Signal()  # the lanes' width changed (the window, or the vertical scroll bar)

    def __init__(self, state: TimelineState, lanes: list[Lane], parent=None):
        super().__init__(parent)
        self.state = state
        self.lanes = lanes
        self._gesture: str | None = None  # "seek", "paint", "edge" or "select" while pressed
        self._anchor_second = 0
        self._edge: tuple[int, int, str] | None = None
        self.setMouseTracking(True)  # the pointer shows where an edge can be grabbed
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFocusPolicy(Qt.ClickFocus)
        for signal in (
            state.videoChanged,
            state.durationChanged,
            state.predictionsChanged,
            state.humanLabelsChanged,
            state.previewChanged,
            state.cursorChanged,
            state.viewChanged,
            state.selectionChanged,
            state.thresholdChanged,
            state.paintPreviewChanged,
        ):
            signal.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(800, sum(lane.height for lane in self.lanes))

    def minimumSizeHint(self) -> QSize:
        return QSize(TITLE_WIDTH + 100, sum(lane.height for lane in self.lanes))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def lane_width(self) -> float:
        return max(1.0, self.width() - TITLE_WIDTH)

    def axis(self) -> TimeAxis:
        return TimeAxis(
            TITLE_WIDTH, self.state.view_start, self.state.pixels_per_second, self.lane_width()
        )

    def lane_rects(self) -> list[tuple[Lane, QRect]]:
        rects, top = [], 0
        for lane in self.lanes:
            rects.append((lane, QRect(0, top, self.width(), lane.height)))
            top += lane.height
        return rects

    def lane_at(self, y: float) -> Lane | None:
        for lane, rect in self.lane_rects():
            if rect.top() <= y < rect.bottom() + 1:
                return lane
        return None

    # ---- painting ----------------------------------------------------------------------------

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing, False)
        axis = self.axis()
        for index, (lane, rect) in enumerate(self.lane_rects()):
            lane_area = rect.adjusted(TITLE_WIDTH, 0, 0, 0)
            painter.fillRect(lane_area, LANE_ALTERNATE if index % 2 else LANE_BACKGROUND)
            if self.state.video:
                painter.save()
                painter.setClipRect(lane_area)
                lane.paint(painter, rect, self.state, axis)
                painter.restore()
            title = QRect(0, rect.top(), TITLE_WIDTH, rect.height())
            painter.fillRect(title, TITLE_BACKGROUND)
            lane.paint_title(painter, title)
        if self.state.video:
            self._paint_selection_and_cursor(painter, axis)
        painter.end()

    def _paint_selection_and_cursor(self, painter: QPainter, axis: TimeAxis) -> None:
        painter.setClipRect(QRect(TITLE_WIDTH, 0, int(axis.width) + 1, self.height()))
        if self.state.selection:
            start, end = self.state.selection
            painter.fillRect(
                QRectF(axis.x(start), 0, axis.x(end) - axis.x(start), self.height()),
                SELECTION_COLOR,
            )
        x = axis.x(self.state.cursor)
        painter.setPen(QPen(CURSOR_COLOR, 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    # ---- mouse -------------------------------------------------------------------------------

    def _second_at(self, x: float) -> int:
        t = self.axis().time(max(x, TITLE_WIDTH))
        return int(min(max(t, 0.0), max(self.state.seconds - 1, 0)))

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton or not self.state.video:
            return super().mousePressEvent(event)
        position = event.position()
        lane = self.lane_at(position.y())
        self._anchor_second = self._second_at(position.x())
        self._edge = self._edge_under(position) if isinstance(lane, HumanLane) else None
        if self._edge:
            self._gesture = "edge"
        elif isinstance(lane, HumanLane):
            self._gesture = "paint"
        elif isinstance(lane, PredictionLane) or event.modifiers() & Qt.ShiftModifier:
            self._gesture = "select"
        else:
            self._gesture = "seek"
        self._follow(position)

    def mouseMoveEvent(self, event) -> None:
        if self._gesture:
            self._follow(event.position())
        elif self.state.video:
            grab = isinstance(self.lane_at(event.position().y()), HumanLane) and self._edge_under(
                event.position()
            )
            if grab:
                self.setCursor(Qt.SizeHorCursor)
            else:
                self.unsetCursor()

    def _edge_under(self, position: QPointF) -> tuple[int, int, str] | None:
        return edge_near(
            self.state.human,
            self.state.seconds,
            self.axis().time(max(position.x(), TITLE_WIDTH)),
            EDGE_GRAB_PIXELS / self.state.pixels_per_second,
        )

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.LeftButton or not self._gesture:
            return super().mouseReleaseEvent(event)
        self._follow(event.position())
        if self._gesture == "paint" and self.state.paint_preview:
            start, end, label = self.state.paint_preview
            self.state.set_paint_preview(None)
            self.rangePainted.emit(start, end, label)
        elif self._gesture == "edge" and self.state.edge_preview:
            preview = self.state.edge_preview
            self.state.set_edge_preview(None)
            if preview[3] != (preview[0] if preview[2] == "start" else preview[1]):
                self.edgeMoved.emit(*preview)
        self._gesture = None

    def _follow(self, position: QPointF) -> None:
        second = self._second_at(position.x())
        start, end = min(second, self._anchor_second), max(second, self._anchor_second) + 1
        if self._gesture == "edge":
            boundary = round(self.axis().time(max(position.x(), TITLE_WIDTH)))
            self.state.set_edge_preview((*self._edge, int(boundary)))
        elif self._gesture == "paint":
            self.state.set_paint_preview((start, end, self.state.active_label))
        elif self._gesture == "select":
            self.state.set_selection(start, end)
        else:
            self.state.seek(self.axis().time(max(position.x(), TITLE_WIDTH)))

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            return
        if event.modifiers() & Qt.ControlModifier:
            factor = ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP
            x = event.position().x() - TITLE_WIDTH
            self.state.set_zoom(
                self.state.pixels_per_second * factor,
                anchor=self.axis().time(event.position().x()),
                anchor_x=x,
            )
            self.zoomedByWheel.emit()
        else:
            seconds = self.state.visible_seconds(self.lane_width()) * 0.1
            self.state.scroll_to(self.state.view_start - seconds * (1 if delta > 0 else -1))
        event.accept()


class _LanesArea(QScrollArea):
    """A scroll area that asks for every lane's height: the window shows all the lanes when it
    has the room, and scrolls the lower ones only when it has not."""

    def sizeHint(self) -> QSize:
        lanes = self.widget()
        return QSize(super().sizeHint().width(), lanes.sizeHint().height() if lanes else 0)


class TimelineView(QWidget):
    """The lanes plus a horizontal scroll bar, kept in step with the TimelineState.

    The lanes sit in a vertical scroll area: in a short window the lower lanes scroll instead of
    pushing the window taller than the screen (the first MINIMUM_VISIBLE_LANES always show)."""

    def __init__(self, state: TimelineState, parent=None):
        super().__init__(parent)
        self.state = state
        self.canvas = LaneCanvas(state, default_lanes())
        self.lanes_area = _LanesArea(self)
        self.lanes_area.setWidget(self.canvas)
        self.lanes_area.setWidgetResizable(True)
        self.lanes_area.setFrameShape(QFrame.NoFrame)
        self.lanes_area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.lanes_area.setVerticalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        lanes_height = sum(lane.height for lane in self.canvas.lanes)
        self.lanes_area.setMinimumHeight(
            sum(lane.height for lane in self.canvas.lanes[:MINIMUM_VISIBLE_LANES])
        )
        self.lanes_area.setMaximumHeight(lanes_height)
        self.scrollbar = QScrollBar(Qt.Horizontal, self)
        self.overview = OverviewStrip(state, lanes_width=self.canvas.lane_width)
        self.fit_button = QToolButton()
        self.fit_button.setText("Whole video")
        self.fit_button.setToolTip("Show the whole video (Ctrl+0)")
        self.fit_button.setFixedWidth(TITLE_WIDTH - 4)
        self.fit_button.clicked.connect(self.fit)
        overview_row = QHBoxLayout()
        overview_row.setContentsMargins(0, 0, 0, 2)
        overview_row.setSpacing(4)
        overview_row.addWidget(self.fit_button, 0, Qt.AlignTop)
        overview_row.addWidget(self.overview, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(overview_row)
        layout.addWidget(self.lanes_area, 100)
        layout.addWidget(self.scrollbar)
        layout.addStretch(1)
        self._fitted = True  # the whole video is shown, and stays so when the window resizes
        self.scrollbar.valueChanged.connect(lambda ms: state.scroll_to(ms / 1000.0))
        self.canvas.zoomedByWheel.connect(lambda: setattr(self, "_fitted", False))
        self.overview.moved.connect(lambda: setattr(self, "_fitted", False))
        self.canvas.resized.connect(self._on_canvas_resized)
        state.viewChanged.connect(self._sync_scrollbar)
        state.videoChanged.connect(self.fit)
        state.videoChanged.connect(settle_long_lived_objects)
        state.durationChanged.connect(self._on_duration)
        state.cursorChanged.connect(lambda t: state.keep_visible(t, self.canvas.lane_width()))

    def lane(self, kind: type) -> Lane:
        """The first lane of a kind (tests and the main window read lanes through this)."""
        return next(lane for lane in self.canvas.lanes if isinstance(lane, kind))

    def fit_zoom(self) -> float:
        """The zoom at which the whole video fills the lanes' width."""
        return self.canvas.lane_width() / max(self.state.duration, 1.0)

    def fit(self) -> None:
        """Show the whole video, however long."""
        self.state.set_least_zoom(self.fit_zoom())
        self.state.set_zoom(self.fit_zoom(), anchor=0.0, anchor_x=0.0)
        self._fitted = True

    def _on_duration(self, _duration: float) -> None:
        self.state.set_least_zoom(self.fit_zoom())
        if self._fitted:
            self.fit()
        self._sync_scrollbar()

    def zoom_in(self) -> None:
        self._zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom(1 / ZOOM_STEP)

    def _zoom(self, factor: float) -> None:
        self._fitted = False
        # Zoom around the cursor so the place being reviewed stays put.
        x = (self.state.cursor - self.state.view_start) * self.state.pixels_per_second
        self.state.set_zoom(
            self.state.pixels_per_second * factor,
            anchor=self.state.cursor,
            anchor_x=min(max(x, 0.0), self.canvas.lane_width()),
        )

    def _on_canvas_resized(self) -> None:
        self.state.set_least_zoom(self.fit_zoom())
        if self._fitted:
            self.fit()
        self._sync_scrollbar()

    def _sync_scrollbar(self) -> None:
        visible = self.state.visible_seconds(self.canvas.lane_width())
        hidden = max(0.0, self.state.duration - visible)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, int(hidden * 1000))
        self.scrollbar.setPageStep(int(visible * 1000))
        self.scrollbar.setSingleStep(max(1, int(visible * 100)))
        self.scrollbar.setValue(int(self.state.view_start * 1000))
        self.scrollbar.blockSignals(False)
