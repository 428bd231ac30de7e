"""The library's review queue: order across videos, progress and the estimate of the rest."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.review_queue import VideoSeconds, build_queue, estimate_accuracy
from test_doubt import _table


def test_queue_orders_all_videos_by_doubt_and_skips_reviewed_seconds():
    a = VideoSeconds("a.mp4", _table([(2, 0.95), (2, 0.4), (2, 0.95)]))
    b = VideoSeconds("b.mp4", _table([(2, 0.6), (2, 0.95)]), human={0: "background"})
    c = VideoSeconds("c.mp4", None, duration=4.0)
    queue = build_queue([a, b, c])
    assert [(i.video, i.second) for i in queue.items][:1] == [("a.mp4", 1)]
    assert ("b.mp4", 0) not in [(i.video, i.second) for i in queue.items]
    assert len(queue.items) == 4
    doubts = [i.doubt for i in queue.items]
    assert doubts == sorted(doubts, reverse=True)
    assert queue.items[0].reason == "confidence 0.40"
    assert queue.unannotated == ["c.mp4"]
    assert (queue.reviewed_seconds, queue.total_seconds) == (1, 5)
    assert queue.progress() == "1 of 5 seconds reviewed (20 %)"


def test_estimate_is_the_mean_confidence_of_the_unreviewed_seconds():
    a = VideoSeconds("a.mp4", _table([(2, 0.9), (2, 0.5), (2, 0.7)]), human={1: "background"})
    estimate = build_queue([a]).estimate
    assert estimate.seconds == 2
    assert estimate.accuracy == estimate.mean == pytest.approx(0.8)
    assert estimate.low < 0.8 < estimate.high
    assert "2 unreviewed seconds: 80.0 %" in estimate.describe()


def test_interval_narrows_with_more_seconds_and_counts_runs_together():
    few = estimate_accuracy([np.full(10, 0.8)], [np.arange(10)])
    many = estimate_accuracy([np.full(1000, 0.8)], [np.arange(1000)])
    assert (many.high - many.low) < (few.high - few.low)
    one_run = estimate_accuracy([np.full(1000, 0.8)], [np.zeros(1000)])
    assert (one_run.high - one_run.low) > (many.high - many.low)
    sure = estimate_accuracy([np.ones(5)], [np.zeros(5)])
    assert sure.accuracy == sure.low == sure.high == 1.0
    assert estimate_accuracy([], []).accuracy is None


def test_the_interval_holds_how_far_the_confidence_level_may_be_off():
    # 1000 seconds in separate runs: their own spread is tiny, the level's is not.
    sampled = estimate_accuracy([np.full(1000, 0.8)], [np.arange(1000)])
    shaky = estimate_accuracy([np.full(1000, 0.8)], [np.arange(1000)], level_sd=0.1)
    assert shaky.accuracy == sampled.accuracy == pytest.approx(0.8)
    assert sampled.high - sampled.low < 0.1
    half = 1.959964 * np.hypot(0.1, 0.4 / np.sqrt(1000))
    assert (shaky.low, shaky.high) == pytest.approx((0.8 - half, 0.8 + half))
    assert estimate_accuracy([np.full(9, 0.9)], [np.arange(9)], level_sd=0.1).high == 1.0
    # The person is told why it is wide and what narrows it; not where the level is sure.
    assert "labelling whole videos" in shaky.describe() and shaky.as_dict()["level_sd"] == 0.1
    assert "whole videos" not in sampled.describe()


def test_the_library_queue_reads_again_only_the_videos_that_changed(tmp_path):
    from annotator.core.review_queue import LibraryQueue, queue_from_store
    from annotator.core.store import ProjectStore

    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"a.mp4": 3.0, "b.mp4": 2.0, "c.mp4": 4.0})
    a = _table([(2, 0.95), (2, 0.4), (2, 0.95)])
    store.save_predictions("a.mp4", a)
    store.save_predictions("b.mp4", _table([(2, 0.6), (2, 0.95)]).assign(video="b.mp4"))
    library = LibraryQueue(store)
    queue = library.reload()
    assert queue.unannotated == ["c.mp4"] and queue.total_seconds == 5
    store.set_labels("a.mp4", {1: "background"}, "accept")
    assert library.queue().reviewed_seconds == 0  # not read again yet
    updated = library.update(["a.mp4"])
    whole = queue_from_store(store)
    assert [(i.video, i.second, i.doubt) for i in updated.items] == [
        (i.video, i.second, i.doubt) for i in whole.items
    ]
    assert updated.reviewed_seconds == whole.reviewed_seconds == 1
    assert updated.estimate == whole.estimate
    store.close()
