"""The seams hold: annotate gives the labels and confidences pinned before the pipeline and
registry refactor, and a fifth model type needs only a registry entry and its builder."""

import keras
import pandas as pd
import pytest

from annotator.cli import main
from annotator.ml.model_types import ArchitectureSpec, register, unregister

from conftest import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "resources" / "samples"
PINNED = PROJECT_ROOT / "tests" / "fixtures" / "pinned"


def _by_clip(table: pd.DataFrame) -> pd.DataFrame:
    table = table.assign(video=table["video"].map(lambda v: v.rsplit("/", 1)[-1]))
    return table.sort_values(["video", "second"]).reset_index(drop=True)


@pytest.mark.parametrize("bundle", ["visual", "audio", "fusion", "attention"])
def test_annotate_on_the_samples_matches_the_pinned_csv(bundle, tmp_path):
    out = tmp_path / f"{bundle}.csv"
    assert main(["annotate", str(SAMPLES), "--model", bundle, "--out", str(out)]) == 0
    got, pinned = _by_clip(pd.read_csv(out)), _by_clip(pd.read_csv(PINNED / f"{bundle}.csv"))
    assert list(got.columns) == list(pinned.columns)
    for column in ("video", "second", "label", "audio_label", "visual_label", "model", "source"):
        assert got[column].fillna("").tolist() == pinned[column].fillna("").tolist(), column
    for column in ("start", "end", "confidence", "audio_confidence", "visual_confidence"):
        pd.testing.assert_series_equal(got[column], pinned[column], atol=2e-4, check_names=False)


def build_toy_visual(classes: int, hp=None) -> keras.Model:
    """Visual only, with a different head: a temporal convolution instead of a recurrent layer."""
    visual = keras.Input((None, 1280), name="visual")
    present = keras.Input((None,), name="visual_present")
    x = keras.layers.Dense(16, activation="relu")(visual)
    x = keras.layers.Multiply()([x, keras.layers.Reshape((-1, 1))(present)])
    x = keras.layers.Conv1D(16, 3, padding="same", activation="relu")(x)
    event = keras.layers.Dense(classes, activation="softmax", name="event")(x)
    return keras.Model({"visual": visual, "visual_present": present}, {"event": event})


@pytest.fixture
def toy_type():
    register(ArchitectureSpec("toy-visual", ("visual",), build_toy_visual, {"visual": "event"}))
    yield "toy-visual"
    unregister("toy-visual")


@pytest.mark.training
def test_a_fifth_model_type_trains_saves_loads_and_annotates(toy_type, demo_dir, tmp_path):
    bundle_dir = tmp_path / "toy"
    assert (
        main(
            [
                "train",
                "--data",
                str(demo_dir),
                "--arch",
                toy_type,
                "--out",
                str(bundle_dir),
                "--epochs",
                "2",
            ]
        )
        == 0
    )
    out = tmp_path / "toy.csv"
    clips = sorted(demo_dir.glob("clip_*.mp4"))[:2]
    assert main(["annotate", *map(str, clips), "--model", str(bundle_dir), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert set(table["model"]) == {"toy@1.0.0"}
    # The registry says its only head is the visual one: the visual columns are filled, audio not.
    assert table["visual_label"].notna().all() and table["audio_label"].isna().all()
    assert (table["visual_confidence"] == table["confidence"]).all()
