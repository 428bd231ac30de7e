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
    assert estimate.accuracy == pytest.approx(0.8)
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
