"""The review queue and find similar in the real window (offscreen), on the annotated samples:
keys accept, correct and skip; progress and the estimate follow; a bulk label from find similar
is one edit, undone as one."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from annotator.core.conventions import BACKGROUND
from annotator.core.feature_cache import FeatureCache
from annotator.ml.similarity import library_embeddings

pytestmark = pytest.mark.gui


def _queue(window, qtbot):
    """Q, as a user presses it: the queue comes forward with its first second shown."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, Qt.Key_Q)
    panel = window.review_queue
    qtbot.waitUntil(panel.list.hasFocus, timeout=5_000)
    return panel


def test_the_queue_follows_accepts_corrects_and_skips(make_window, annotated, qtbot):
    window = make_window(annotated)
    panel = _queue(window, qtbot)
    queue = panel.queue
    assert queue.items and queue.reviewed_seconds == 0
    doubts = [item.doubt for item in queue.items]
    assert doubts == sorted(doubts, reverse=True)
    assert "unreviewed seconds" in panel.estimate.text() and "%" in panel.estimate.text()
    assert panel.progress.text().startswith(f"0 of {queue.total_seconds} seconds reviewed")

    first = panel.current()
    assert (first.video, first.second) == (queue.items[0].video, queue.items[0].second)
    assert window.timeline.video == first.video
    assert window.timeline.cursor_second() == first.second  # the cursor (and player) follow
    row = panel.list.topLevelItem(0)
    assert row.text(4) == first.reason and row.text(3) == f"{first.confidence:.2f}"
    qtbot.waitUntil(lambda: not panel.list.topLevelItem(0).icon(0).isNull(), timeout=30_000)

    before = queue.estimate.accuracy
    qtbot.keyClick(panel.list, Qt.Key_A)  # accept: the model's label becomes the person's
    store = window.project.store
    assert store.human_labels(first.video) == {first.second: first.label}
    assert panel.queue.reviewed_seconds == 1
    assert panel.progress.text().startswith("1 of")
    assert (first.video, first.second) not in [(i.video, i.second) for i in panel.queue.items]
    assert panel.queue.estimate.seconds == queue.estimate.seconds - 1
    assert panel.queue.estimate.accuracy >= before  # the most doubtful second left the rest

    second = panel.current()  # the next most doubtful is shown at once
    assert (second.video, second.second) == (
        panel.queue.items[0].video,
        panel.queue.items[0].second,
    )
    assert window.timeline.video == second.video
    assert window.timeline.cursor_second() == second.second
    qtbot.keyClick(panel.list, Qt.Key_0)  # correct: background
    assert store.human_labels(second.video)[second.second] == BACKGROUND
    assert panel.queue.reviewed_seconds == 2

    window.review.undo_group.undo()  # Ctrl+Z: the correction goes, the queue takes it back
    assert second.second not in store.human_labels(second.video)
    qtbot.waitUntil(lambda: panel.queue.reviewed_seconds == 1, timeout=5_000)
    assert (second.video, second.second) in [(i.video, i.second) for i in panel.queue.items]

    panel.refresh(select_first=True)
    third = panel.current()
    qtbot.keyClick(panel.list, Qt.Key_N)  # skip: to the end of the list, nothing labelled
    assert panel.current() != third and third.second not in store.human_labels(third.video)
    assert panel.queue.reviewed_seconds == 1
    assert panel.ordered()[-1] == third


def test_predictions_again_update_the_estimate(make_window, annotated, qtbot):
    window = make_window(annotated)
    panel = _queue(window, qtbot)
    name = panel.queue.items[0].video
    predictions = window.project.predictions(name)
    lowered = predictions.copy()
    lowered["confidence"] = 0.2  # as a retrained model that doubts this video would say
    window.project.record_predictions(name, lowered, window.project.attention(name))
    window.annotation.videoAnnotated.emit(name)
    qtbot.waitUntil(lambda: panel.queue.estimate.accuracy < 0.9, timeout=5_000)
    assert panel.queue.items[0].video == name
    assert panel.queue.items[0].confidence == pytest.approx(0.2)


def test_the_estimate_holds_the_level_uncertainty_of_the_bundle_that_labelled(
    make_window, annotated, qtbot
):
    window = make_window(annotated)
    panel = _queue(window, qtbot)
    plain = panel.queue.estimate
    tags = set(window.project.store.videos()["model"])
    labelled_by = [b for b in window.bundle_panel.bundles if b.tag in tags]
    assert labelled_by  # the shipped bundle the samples were annotated with
    for bundle in labelled_by:  # as a bundle trained on ten clips would record it
        bundle.card.setdefault("calibration", {})["level_uncertainty"] = {"videos": 10, "sd": 0.1}
    panel.reload()
    widened = panel.queue.estimate
    assert widened.accuracy == pytest.approx(plain.accuracy)
    assert widened.accuracy - widened.low >= 1.959964 * 0.1 - 1e-9 > plain.accuracy - plain.low
    assert f"{widened.low * 100:.1f}" in panel.estimate.text()


def test_find_similar_lists_labels_in_one_edit_and_undoes_it(make_window, annotated, qtbot):
    window = make_window(annotated)
    names = window.project.names()
    # The copied clips are new files to the feature cache: cache their features as a run does.
    videos = {name: window.project.entry(name).path for name in names}
    assert not library_embeddings(videos, FeatureCache(), compute=True).missing
    window.folder_view.select(names[0])
    window.timeline.seek(3.0)
    panel = window.find_similar
    panel.top.setValue(6)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    with qtbot.waitSignal(panel.searched, timeout=30_000):
        qtbot.keyClick(window, Qt.Key_F)  # F, as a user presses it
    assert window.find_similar_dock.isVisible()
    assert len(panel.matches) == 6
    assert (names[0], 3) not in [(m.video, m.second) for m in panel.matches]
    similarity = [m.similarity for m in panel.matches]
    assert similarity == sorted(similarity, reverse=True)
    assert panel.list.topLevelItemCount() == 6
    qtbot.waitUntil(lambda: not panel.list.topLevelItem(0).icon(0).isNull(), timeout=30_000)

    panel.list.topLevelItem(5).setCheckState(0, Qt.Unchecked)  # choose five of six
    chosen = panel.chosen()
    store = window.project.store
    edits_before = len(store.edit_log())
    label = window.timeline.classes[0]
    assert panel.assign(label)
    for match in chosen:
        assert store.human_labels(match.video)[match.second] == label
    left_out = panel.matches[5]
    assert store.human_labels(left_out.video).get(left_out.second) != label
    log = store.edit_log()
    new = log.iloc[edits_before:]
    assert len(new) == len({m.video for m in chosen})  # one transaction, one entry per video
    assert new["description"].nunique() == 1

    window.review.undo_group.undo()  # Ctrl+Z: the whole bulk edit goes
    for match in chosen:
        assert match.second not in store.human_labels(match.video)
    window.review.undo_group.redo()
    assert all(store.human_labels(m.video)[m.second] == label for m in chosen)


def test_find_similar_says_what_it_cannot_do(make_window, annotated, qtbot, tmp_path):
    window = make_window(annotated, cache_dir=tmp_path / "empty-cache")
    panel = window.find_similar
    window.folder_view.select(window.project.names()[0])
    panel.find()  # reads the (empty) cache on the thread pool, then says why it cannot search
    said = f"{window.project.names()[0]}: no features cached yet; annotate it first"
    qtbot.waitUntil(lambda: panel.note.text() == said, timeout=30_000)
    assert panel.list.topLevelItemCount() == 0
