"""Each builder labels every second; save/load round-trips in safe mode; attention survives a
missing stream."""

import keras
import numpy as np
import pytest

from annotator.ml.architectures import ARCHITECTURES, build_model

CLASSES = 9


def _batch(seconds=10, audio=True, visual=True, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "log_mel": rng.normal(size=(2, seconds, 96, 64)).astype("float32"),
        "audio_present": np.full((2, seconds), float(audio), "float32"),
        "visual": rng.normal(size=(2, seconds, 1280)).astype("float32"),
        "visual_present": np.full((2, seconds), float(visual), "float32"),
    }


def _inputs_for(model, batch):
    return {name: value for name, value in batch.items() if name in model.input}


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_second_gets_a_distribution_and_the_model_round_trips(architecture, tmp_path):
    model = build_model(architecture, CLASSES)
    batch = _inputs_for(model, _batch(seconds=7))
    outputs = model(batch, training=False)
    assert outputs["event"].shape == (2, 7, CLASSES)
    assert np.allclose(np.asarray(outputs["event"]).sum(-1), 1.0, atol=1e-5)
    if architecture in ("fusion", "attention"):
        assert outputs["audio_event"].shape == outputs["visual_event"].shape == (2, 7, CLASSES)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    again = loaded(batch, training=False)
    for name, value in outputs.items():
        np.testing.assert_allclose(np.asarray(again[name]), np.asarray(value), atol=1e-6)


def test_attention_weights_are_per_second_and_follow_the_present_stream():
    model = build_model("attention", CLASSES)
    both = np.asarray(model(_batch(), training=False)["attention"])
    assert both.shape == (2, 10, 2) and np.allclose(both.sum(-1), 1.0)
    no_audio = model(_batch(audio=False), training=False)
    assert np.allclose(np.asarray(no_audio["attention"])[..., 1], 1.0)
    assert np.isfinite(np.asarray(no_audio["event"])).all()
    no_visual = model(_batch(visual=False), training=False)
    assert np.allclose(np.asarray(no_visual["attention"])[..., 0], 1.0)


def test_a_missing_audio_stream_does_not_change_what_fusion_sees_of_it():
    """With audio absent, whatever the audio input holds must not move the prediction."""
    model = build_model("fusion", CLASSES)
    a = _batch(audio=False, seed=1)
    b = dict(a, log_mel=np.zeros_like(a["log_mel"]))
    np.testing.assert_allclose(
        np.asarray(model(a)["event"]), np.asarray(model(b)["event"]), atol=1e-6
    )


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("transformer", CLASSES)


def test_head_agreement_picks_the_class_both_streams_allow_and_ignores_a_missing_one():
    """A bell is heard (Church bell or Bicycle bell) and balls bounce (Frog chorus or Bicycle
    bell): with no opinion of its own, the fused head names the one class both allow."""
    from annotator.ml.layers import HeadAgreement

    layer = HeadAgreement()
    scores = np.zeros((1, 1, 3), "float32")  # Church bell, Bicycle bell, Frog chorus
    heard = np.array([[[0.5, 0.45, 0.05]]], "float32")
    seen = np.array([[[0.05, 0.45, 0.5]]], "float32")
    present = np.ones((1, 1), "float32")
    both = np.asarray(layer([scores, heard, seen, present, present]))
    assert both.argmax(-1)[0, 0] == 1 and np.isclose(both.sum(), 1.0)
    # Without pictures the sound alone decides; the picture head's output is not consulted.
    no_pictures = np.asarray(layer([scores, heard, seen, present, 0 * present]))
    np.testing.assert_allclose(
        no_pictures, np.asarray(layer([scores, heard, 0 * seen + 1, present, 0 * present]))
    )
    assert no_pictures.argmax(-1)[0, 0] == 0


def test_attention_light_adds_the_head_agreement_and_round_trips(tmp_path):
    model = build_model("attention-light", CLASSES)
    assert any(type(layer).__name__ == "HeadAgreement" for layer in model.layers)
    batch = _inputs_for(model, _batch(seconds=5))
    outputs = model(batch, training=False)
    assert np.allclose(np.asarray(outputs["event"]).sum(-1), 1.0, atol=1e-5)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(
        np.asarray(loaded(batch, training=False)["event"]), np.asarray(outputs["event"]), atol=1e-6
    )
