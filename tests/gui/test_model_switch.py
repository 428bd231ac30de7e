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


def test_a_bundle_calibrated_out_of_fold_shows_its_accuracy_over_every_labelled_video(tmp_path):
    from annotator.gui.bundle_panel import card_html
    from annotator.ml.bundle import ModelBundle

    card = {
        "name": "birds",
        "version": "1.0.0",
        "architecture": "attention-light",
        "classes": ["Bird", "background"],
        # The validation split: 2 videos, 18 seconds, a noisy figure on its own.
        "metrics": {"per_second_accuracy": 0.5556, "videos": 2, "heads": {"audio": 0.44}},
        "calibration": {"level_uncertainty": {"videos": 10, "sd": 0.1265, "accuracy": 0.857}},
    }
    bundle = ModelBundle(tmp_path, card)
    assert bundle.held_out() == (0.857, 10, 0.1265)
    assert bundle.held_out_accuracy == 0.857
    text = card_html(bundle)
    assert "85.7% per second on 10 videos" in text and "± 25%" in text
    assert "audio 44%" not in text  # the heads were measured on the 2 videos only
    # A card without the out-of-fold figure (the shipped bundles') keeps its validation split.
    del card["calibration"]
    assert ModelBundle(tmp_path, card).held_out() == (0.5556, 2, None)
    assert "55.6% per second — heads: audio 44%" in card_html(ModelBundle(tmp_path, card))


def test_a_bundle_trained_again_on_every_video_says_it_learned_from_all_of_them(tmp_path):
    from annotator.gui.bundle_panel import model_knowledge
    from annotator.ml.bundle import ModelBundle

    training = {"data": "birds/labels.csv", "videos": 8, "validation_videos": 2}
    card = {"name": "birds", "version": "1.0.0", "classes": ["Bird", "background"]}
    kept = ModelBundle(tmp_path, {**card, "training": training})
    assert "learned from 8 videos of birds/labels.csv" in model_knowledge(kept)
    again = {**training, "final_model_trained_on_all_videos": True}
    assert "learned from 10 videos" in model_knowledge(
        ModelBundle(tmp_path, {**card, "training": again})
    )
