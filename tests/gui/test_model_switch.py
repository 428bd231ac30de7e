"""Switching models: a video the new model cannot annotate keeps its earlier predictions, marked
as such, and stays viewable and playable; the timeline and the card say which model is which."""

from __future__ import annotations

import shutil

import pytest

from annotator.gui.folder_view import status_text


def test_a_video_the_next_model_cannot_annotate_keeps_its_predictions_marked(
    make_window, odd_clips, tmp_path, qtbot, annotate_all
):
    folder = tmp_path / "silent"
    folder.mkdir()
    shutil.copy(odd_clips["no_audio"], folder / "no audio.mp4")
    window = make_window(folder)
    panel = window.bundle_panel
    if not (panel.choose("attention") and any(b.name == "audio" for b in panel.bundles)):
        pytest.skip("needs the shipped attention and audio bundles")
    attention_tag = panel.current().tag
    assert "classes + background, learned from" in panel.card.text()
    annotate_all(window)
    name = "no audio.mp4"
    assert window.project.entry(name).status == "done"
    assert window.predicted_by.text() == f"Predictions by {attention_tag}"

    panel.choose("audio")
    audio_tag = panel.current().tag
    assert (
        window.predicted_by.text() == f"Predictions by {attention_tag} (the next run uses "
        f"{audio_tag})"
    )
    window.annotation_panel.again.setChecked(True)
    annotate_all(window)

    entry = window.project.entry(name)
    assert entry.status == "failed" and entry.reason.startswith(f"{audio_tag} could not annotate")
    assert "no audio stream" in entry.reason
    assert entry.model == attention_tag  # the kept predictions' model
    assert f"showing {attention_tag}'s earlier predictions" in status_text(entry)
    assert set(window.timeline.predictions["model"]) == {attention_tag}
    assert window.predicted_by.text().startswith(
        f"Predictions by {attention_tag} (kept from an earlier run; the last run failed"
    )
    window.show_video(name)  # as when it is selected again
    assert window.player.still.picture is None
    # Its pictures and sound: from the tiles built when it was first shown, else built now.
    qtbot.waitUntil(window.timeline.preview_complete, timeout=30_000)  # not "loading…"
    qtbot.waitUntil(lambda: window.player.still.picture is not None, timeout=30_000)
    assert window.player.frames.path == entry.path  # loaded in the player: playable
