"""The numpy head is the Keras model: within 1e-5 on every output of the four shipped bundles,
the same CSV bytes on the samples, and `annotate` runs without importing TensorFlow. A graph
the numpy head cannot run falls back to Keras."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from annotator.core.csv_io import write_per_second_csv
from annotator.core.feature_cache import FeatureCache
from annotator.ml.batch import annotate_batch
from annotator.ml.bundle import load_bundle, save_bundle
from annotator.ml.numpy_head import load_numpy_head
from annotator.ml.pipeline import prepare_video

SAMPLES = sorted((PROJECT_ROOT / "resources" / "samples").glob("*.mp4"))
SHIPPED = ["visual", "audio", "fusion", "attention"]
INPUTS = ("log_mel", "audio_present", "visual", "visual_present")


def _random_batch(windows: int, seconds: int, seed: int) -> dict:
    """Feature-like inputs, with some seconds of each stream absent."""
    rng = np.random.default_rng(seed)
    return {
        "log_mel": rng.normal(-2, 1.5, (windows, seconds, 96, 64)).astype(np.float32),
        "audio_present": (rng.random((windows, seconds)) > 0.2).astype(np.float32),
        "visual": rng.normal(0, 1, (windows, seconds, 1280)).astype(np.float32),
        "visual_present": (rng.random((windows, seconds)) > 0.2).astype(np.float32),
    }


def _sample_batches(bundle) -> list[dict]:
    batches = []
    for clip in SAMPLES:
        features = prepare_video(clip, bundle, cache=FeatureCache()).features
        batches.append(
            {
                name: getattr(features, name)[None]
                for name in INPUTS
                if getattr(features, name) is not None
            }
        )
    return batches


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_every_output_matches_keras_to_1e5(name):
    bundle = load_bundle(name)
    model, head = bundle.model(), load_numpy_head(bundle.path / "model.keras")
    batches = [
        _random_batch(4, 10, 0),
        _random_batch(1, 7, 1),
        _random_batch(3, 1, 2),
        *_sample_batches(bundle),
    ]
    for batch in batches:
        batch = {key: value for key, value in batch.items() if key in model.input}
        expected = {key: np.asarray(value) for key, value in model(batch, training=False).items()}
        got = head(batch)
        assert set(got) == set(expected)
        for key in expected:
            assert got[key].dtype == np.float32
            np.testing.assert_allclose(got[key], expected[key], rtol=0, atol=1e-5, err_msg=key)


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_the_samples_csv_is_byte_identical_to_the_keras_run(name, tmp_path):
    outputs = []
    for numpy_head in (True, False):
        bundle = load_bundle(name)
        if not numpy_head:
            bundle._numpy_head = False  # as if the graph held a layer numpy cannot run
        result = annotate_batch(SAMPLES, bundle, jobs=2, cache=FeatureCache())
        assert result.ok
        out = tmp_path / f"{numpy_head}.csv"
        write_per_second_csv(pd.concat([a.table for a in result.annotations]), out)
        outputs.append(out)
    assert filecmp.cmp(*outputs, shallow=False)


def test_a_layer_numpy_does_not_know_runs_on_keras(tmp_path):
    """A Conv1D head (not among the numpy layers): no numpy head, and Keras labels it."""
    visual = keras.Input((None, 1280), name="visual")
    present = keras.Input((None,), name="visual_present")
    x = keras.layers.Conv1D(4, 3, padding="same")(visual)
    event = keras.layers.Dense(9, activation="softmax", name="event")(x)
    model = keras.Model({"visual": visual, "visual_present": present}, {"event": event})
    card = {**load_bundle("visual").card, "name": "conv1d"}
    bundle = save_bundle(model, card, tmp_path / "conv1d")
    assert load_bundle(bundle.path).numpy_head() is None
    result = annotate_batch(SAMPLES[:1], load_bundle(bundle.path), cache=FeatureCache())
    assert result.ok and len(result.annotations[0].table) == 10


def test_annotate_imports_no_tensorflow(tmp_path):
    """A fresh `annotate` of a clip: rows written, and neither TensorFlow nor Keras imported."""
    script = (
        "import sys; from annotator.cli import main; "
        f"status = main(['annotate', {str(SAMPLES[0])!r}, '--out', "
        f"{str(tmp_path / 'one.csv')!r}]); "
        "print(status, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.split()[-3:] == ["0", "False", "False"], done.stderr[-2000:]
    assert len(pd.read_csv(tmp_path / "one.csv")) == 10
