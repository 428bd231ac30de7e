"""Bad bundles are clear errors; Keras safe mode stays on."""

import json
import shutil

import keras
import pytest

from annotator.core.errors import BundleError
from annotator.ml.architectures import build_model
from annotator.ml.bundle import load_bundle, save_bundle
from annotator.core.conventions import audio_settings, visual_settings

CLASSES = ["bark", "bell", "background"]


def _card(name="tiny", architecture="visual"):
    return {
        "name": name,
        "version": "0.0.1",
        "architecture": architecture,
        "classes": CLASSES,
        "feature_settings": {"visual": visual_settings(1), "audio": audio_settings()},
    }


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles") / "tiny"
    save_bundle(build_model("visual", len(CLASSES)), _card(), out)
    return out


def test_a_saved_bundle_loads_and_names_itself(good_bundle):
    bundle = load_bundle(good_bundle)
    assert bundle.tag == "tiny@0.0.1" and bundle.modalities == ("visual",)
    assert bundle.model().output["event"].shape[-1] == 3


def test_missing_or_malformed_card(good_bundle, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(good_bundle, broken)
    (broken / "card.json").write_text("{not json")
    with pytest.raises(BundleError, match="malformed JSON"):
        load_bundle(broken)
    (broken / "card.json").unlink()
    with pytest.raises(BundleError, match="no card.json"):
        load_bundle(broken)
    (broken / "card.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(BundleError, match="missing version, architecture"):
        load_bundle(broken)


def test_feature_settings_that_do_not_match_are_named(good_bundle, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(good_bundle, other)
    card = _card()
    card["feature_settings"]["visual"]["backbone"] = "densenet201"
    (other / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match="visual.backbone is 'densenet201'"):
        load_bundle(other)


def test_truncated_model_file(good_bundle, tmp_path):
    cut = tmp_path / "cut"
    shutil.copytree(good_bundle, cut)
    data = (cut / "model.keras").read_bytes()
    (cut / "model.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="truncated or corrupt"):
        load_bundle(cut).model()


def test_a_lambda_layer_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "ran.txt"
    inputs = {
        "visual": keras.Input((None, 1280), name="visual"),
        "visual_present": keras.Input((None,), name="visual_present"),
    }
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs["visual"])
    model = keras.Model(
        inputs, {"event": keras.layers.Dense(3, activation="softmax", name="event")(x)}
    )
    out = tmp_path / "evil"
    save_bundle(model, _card("evil"), out)
    with pytest.raises(BundleError, match="Lambda"):
        load_bundle(out).model()
    assert not marker.exists()


def test_unknown_name_lists_what_is_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("AV_ANNOTATOR_MODELS", str(tmp_path))
    with pytest.raises(BundleError, match="not found"):
        load_bundle("nope")
