"""An hours-long recording on the timeline, at small scale: a 20-minute video made by ffmpeg's
test sources (96x54 pictures, a tone changing every minute), its pictures and sound built into
the tile pyramid once per session, and a per-second table made without running a model.

Fit shows the whole video, the overview strip frames the view and moves it, and the tiles held
in memory stay under their limit however far the view travels.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from annotator.core.table import build_table
from annotator.gui.timeline.lanes import AudioLane, ThumbnailLane
from annotator.gui.timeline.preview_task import PreviewLoader, PyramidBuild, _BuildSignals
from annotator.gui.timeline.pyramid import SOUND_BINS_PER_SECOND, TILE_BINS
from annotator.gui.timeline.state import TimelineState
from annotator.gui.timeline.tiles import CACHED_TILES, PreviewTiles, TileStore
from annotator.gui.timeline.view import TITLE_WIDTH, TimelineView

from conftest import PROJECT_ROOT

pytestmark = pytest.mark.gui

MINUTES = 20
CLASSES = ["Chess clock", "Sparkler", "background"]
LANES_WIDTH = 700


def _script():
    path = PROJECT_ROOT / "scripts" / "measure_long_video.py"
    spec = importlib.util.spec_from_file_location("measure_long_video", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def long_video(tmp_path_factory, qapp):
    """(video, tile store): the 20-minute recording and its pyramid, built once."""
    folder = tmp_path_factory.mktemp("long-video")
    video = _script().make_test_recording(folder / "recording.mp4", MINUTES * 60)
    store = TileStore(video, folder / "cache")
    PyramidBuild(video, store, 1, _BuildSignals()).run()  # on this thread: done when it returns
    assert store.complete_layout() is not None
    return video, store


def _table(seconds: int):
    """A per-second table: a Sparkler event every ten minutes, a Chess clock one at minute 7."""
    codes = np.full(seconds, 2)
    for start in range(300, seconds, 600):
        codes[start : start + 40] = 1
    codes[420:450] = 0
    probs = np.eye(3)[codes] * 0.6 + 0.1
    return build_table("recording.mp4", float(seconds), CLASSES, probs, probs, probs, model="m@1")


@pytest.fixture
def view(qtbot, long_video):
    video, store = long_video
    state = TimelineState()
    state.set_classes(CLASSES)
    view = TimelineView(state)
    qtbot.addWidget(view)
    view.resize(TITLE_WIDTH + LANES_WIDTH, 600)
    view.show()
    qtbot.waitExposed(view)
    seconds = MINUTES * 60
    state.show_video(str(video), float(seconds), _table(seconds), None, {})
    state.set_preview(PreviewTiles(store, store.complete_layout(), complete=True))
    return view


def test_fit_shows_the_whole_recording_and_zooming_out_stops_there(view):
    state = view.state
    state.set_zoom(60.0, anchor=600.0, anchor_x=100.0)
    view.fit()
    assert state.view_start == 0
    assert state.visible_seconds(view.canvas.lane_width()) == pytest.approx(state.duration)
    view.zoom_out()
    assert state.visible_seconds(view.canvas.lane_width()) == pytest.approx(state.duration)
    # Ten hours fit as well: the least zoom is no longer a fixed 0.5 pixel a second.
    state.set_duration(36_000.0)
    view.fit()
    assert state.visible_seconds(view.canvas.lane_width()) == pytest.approx(36_000.0)
    assert state.pixels_per_second < 0.05


def test_fitted_lanes_read_the_sparse_levels_not_every_second(view):
    state, canvas = view.state, view.canvas
    view.fit()
    axis = canvas.axis()
    level, seconds = view.lane(ThumbnailLane).shown(state, axis, ThumbnailLane.height)
    assert level > 0 and 1 < len(seconds) <= LANES_WIDTH // 20
    assert all(state.preview.picture(level, s) is not None for s in seconds)
    xs, envelope, _mel = view.lane(AudioLane).columns(state, axis)
    assert len(xs) == pytest.approx(canvas.lane_width(), abs=2)  # one column per pixel
    assert np.all(envelope[:, 0] <= envelope[:, 1]) and envelope[:, 1].max() > 0.1
    assert not canvas.grab().isNull()
    assert len(state.preview.cache) <= 6  # a screen of the whole video: a handful of tiles


def test_the_overview_frames_the_view_follows_scrolling_and_a_click_moves_it(view, qtbot):
    state, overview = view.state, view.overview
    state.set_zoom(6.0, anchor=0.0)
    frame = overview.view_rect()
    assert frame.left() == pytest.approx(0, abs=1)
    expected = overview.strip_width() * state.visible_seconds(view.canvas.lane_width()) / 1200
    assert frame.width() == pytest.approx(expected, abs=1)
    view.scrollbar.setValue(view.scrollbar.maximum() // 2)
    assert overview.view_rect().center().x() == pytest.approx(overview.strip_width() / 2, abs=2)
    click_x = int(overview.strip_width() * 0.8)
    qtbot.mouseClick(overview, Qt.LeftButton, pos=QPoint(click_x, 10))
    middle = state.view_start + state.visible_seconds(view.canvas.lane_width()) / 2
    assert middle == pytest.approx(overview.time_at(click_x), abs=2)
    assert overview.view_rect().center().x() == pytest.approx(click_x, abs=2)
    assert view.scrollbar.value() == int(state.view_start * 1000)  # the lanes moved too


def test_the_overview_summarises_labels_per_pixel(view):
    labels = view.overview.labels("predicted")
    width = view.overview.strip_width()
    assert len(labels) == width
    # the 30-second Chess clock event at minute 7 is narrower than a second per pixel allows
    # to see at this width (~1.7 s a pixel), yet it still shows: events win their pixels.
    at = lambda second: labels[second * width // 1200]  # noqa: E731
    assert at(435) == "Chess clock" and at(320) == "Sparkler" and at(100) == "background"
    assert set(view.overview.labels("human")) == {None}


def test_tiles_held_stay_under_the_limit_while_the_view_crosses_the_whole_video(view):
    state, canvas = view.state, view.canvas
    state.set_zoom(60.0, anchor=0.0)
    cache = state.preview.cache
    page = state.visible_seconds(canvas.lane_width())
    held = []
    while state.view_start + page < state.duration:
        state.scroll_to(state.view_start + page)
        canvas.repaint()
        held.append(len(cache))
    state.set_audio_view("spectrogram")
    for start in np.linspace(0, state.duration - page, 25):
        state.scroll_to(float(start))
        canvas.repaint()
        held.append(len(cache))
    tiles_in_video = math.ceil(1200 * SOUND_BINS_PER_SECOND / TILE_BINS) + math.ceil(1200 / 64)
    assert cache.loads > tiles_in_video > CACHED_TILES  # every tile was read, and evicted
    assert max(held) <= CACHED_TILES == cache.limit


def test_a_recording_shown_again_is_read_from_its_tiles_not_decoded(long_video, qapp):
    video, store = long_video
    state = TimelineState()
    state.show_video(str(video), MINUTES * 60.0, None, None, {})
    loader = PreviewLoader(state, store.cache.root)
    loader.load("recording.mp4", video)
    assert state.preview_complete() and not loader.building()
    assert state.preview.picture(0, 1199) is not None


def test_switching_away_cancels_the_build_and_leaves_no_half_pyramid(long_video, qtbot, tmp_path):
    video, _store = long_video
    state = TimelineState()
    state.show_video("recording.mp4", MINUTES * 60.0, None, None, {})  # the store's name
    loader = PreviewLoader(state, tmp_path / "cache")
    loader.load("recording.mp4", video)
    qtbot.waitUntil(lambda: state.preview is not None, timeout=30_000)  # started: layout known
    build = loader._build
    loader.cancel()
    assert build.ended.wait(30)
    assert TileStore(video, tmp_path / "cache").complete_layout() is None  # rebuilt next time
    assert not state.preview_complete()


def test_a_file_that_cannot_be_decoded_says_why_in_one_line(qtbot, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    state = TimelineState()
    state.show_video(str(broken), 10.0, None, None, {})
    loader = PreviewLoader(state, tmp_path / "cache")
    with qtbot.waitSignal(loader.failed, timeout=30_000) as failed:
        loader.load("broken.mp4", broken)
    name, reason = failed.args
    assert name == "broken.mp4" and reason and "\n" not in reason
    assert state.preview is None and not loader.building()


def test_a_pyramid_the_cache_budget_cut_into_is_built_again(samples_source, tmp_path, qapp):
    from annotator.core.feature_cache import FeatureCache

    clip = sorted(samples_source.glob("*.mp4"))[0]
    store = TileStore(clip, tmp_path / "cache")
    PyramidBuild(clip, store, 1, _BuildSignals()).run()
    layout = store.complete_layout()
    assert layout is not None
    cache = FeatureCache(tmp_path / "cache")
    cache.prune(cache.usage().bytes // 2)  # the budget evicts the oldest half: the first tiles
    preview = PreviewTiles(store, layout, complete=True)
    pictures = [preview.picture(0, s) for s in range(layout.seconds)]
    envelope, _mel = preview.sound(0, 0, layout.seconds * 100)
    assert (None in pictures or len(envelope) < layout.duration * 99) and preview.damaged
    assert store.complete_layout() is None  # so the next show builds it again
