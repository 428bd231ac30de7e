"""Prediction over whole videos matches the model's own eager call, whatever the video length
and whatever lengths came before (a relaxed-shape graph once gave wrong audio outputs)."""

import numpy as np
import pytest

from annotator.core.features import VideoFeatures
from annotator.ml.bundle import load_bundle
from annotator.ml.prediction import predict_features


def _features(seconds: float, seed: int) -> VideoFeatures:
    rng = np.random.default_rng(seed)
    n = int(np.ceil(seconds))
    return VideoFeatures(
        "synthetic.mp4",
        seconds,
        log_mel=rng.normal(-2, 1.5, (n, 96, 64)).astype(np.float32),
        audio_present=np.ones(n, np.float32),
        visual=rng.normal(0, 1, (n, 1280)).astype(np.float32),
        visual_present=np.ones(n, np.float32),
    )


def _eager(model, features: VideoFeatures, start: int, end: int) -> np.ndarray:
    inputs = {
        name: getattr(features, name)[None, start:end]
        for name in ("log_mel", "audio_present", "visual", "visual_present")
        if name in model.input
    }
    return np.asarray(model(inputs, training=False)["event"])[0]


@pytest.mark.parametrize("architecture", ["audio", "attention"])
def test_every_length_matches_the_eager_model(architecture):
    bundle = load_bundle(architecture)
    model = bundle.model()
    for seconds, seed in ((10, 0), (7.4, 1), (3, 2), (10, 3), (1, 4)):
        features = _features(seconds, seed)
        predicted = predict_features(bundle, features)["event"]
        np.testing.assert_allclose(
            predicted, _eager(model, features, 0, features.seconds), atol=1e-4
        )


def test_long_videos_are_windowed_and_the_tail_window_is_shifted_back():
    bundle = load_bundle("attention")
    features = _features(95.5, 5)
    predicted = predict_features(bundle, features)["event"]
    assert predicted.shape == (96, len(bundle.classes))
    np.testing.assert_allclose(predicted[:10], _eager(bundle.model(), features, 0, 10), atol=1e-4)
    np.testing.assert_allclose(
        predicted[90:], _eager(bundle.model(), features, 86, 96)[4:], atol=1e-4
    )
