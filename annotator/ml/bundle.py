"""Model bundles: `models/<name>/model.keras` + `card.json`, found by name or path.

Reading a card needs no TensorFlow (the app lists bundles before any model is loaded); the Keras
model is loaded on first use, always in Keras safe mode, so nothing in a bundle can run code.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core.conventions import BACKGROUND, audio_settings, visual_settings
from ..core.errors import BundleError

MODELS_ENV = "AV_ANNOTATOR_MODELS"
REQUIRED_CARD_KEYS = ("name", "version", "architecture", "classes", "feature_settings")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_ENV) or PROJECT_ROOT / "models")


@dataclass
class ModelBundle:
    path: Path
    card: dict
    _model: object = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.card["name"]

    @property
    def tag(self) -> str:
        """`name@version`, the value of the CSV's model column."""
        return f"{self.card['name']}@{self.card['version']}"

    @property
    def architecture(self) -> str:
        return self.card["architecture"]

    @property
    def classes(self) -> list[str]:
        return list(self.card["classes"])

    @property
    def modalities(self) -> tuple[str, ...]:
        from .model_types import modalities_of
        return modalities_of(self.architecture)

    @property
    def visual_fps(self) -> int:
        return int(self.card["feature_settings"].get("visual", {}).get("frames_per_second", 1))

    @property
    def context_seconds(self) -> int:
        return int(self.card.get("context_seconds", 10))

    @property
    def held_out_accuracy(self) -> float | None:
        return self.card.get("metrics", {}).get("per_second_accuracy")

    def model(self):
        """The Keras model, loaded once, in safe mode."""
        if self._model is None:
            self._model = _load_keras_model(self.path / "model.keras")
        return self._model


def _load_keras_model(path: Path):
    import keras

    from . import layers  # noqa: F401  (registers the custom layers before loading)

    if not path.exists():
        raise BundleError(f"{path}: missing (a bundle needs model.keras beside card.json)")
    if not zipfile.is_zipfile(path):
        raise BundleError(f"{path}: not a Keras model file (truncated or corrupt)")
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except ValueError as exc:
        if "lambda" in str(exc).lower() or "safe_mode" in str(exc):
            raise BundleError(f"{path}: contains a Lambda layer (code); refused in safe mode") from exc
        raise BundleError(f"{path}: cannot be loaded ({exc})") from exc
    except Exception as exc:  # Keras raises many types for a damaged archive
        raise BundleError(f"{path}: cannot be loaded ({type(exc).__name__}: {exc})") from exc


def resolve_bundle_path(name_or_path) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    in_models = models_dir() / str(name_or_path)
    if in_models.is_dir():
        return in_models
    names = ", ".join(b.name for b in list_bundles()) or "none installed"
    raise BundleError(f"model {name_or_path!r} not found (as a path or under {models_dir()}); "
                      f"installed: {names}")


def read_card(bundle_dir: Path) -> dict:
    card_path = bundle_dir / "card.json"
    if not card_path.exists():
        raise BundleError(f"{bundle_dir}: no card.json (not a model bundle)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{card_path}: malformed JSON ({exc})") from exc
    if not isinstance(card, dict):
        raise BundleError(f"{card_path}: expected a JSON object")
    missing = [key for key in REQUIRED_CARD_KEYS if key not in card]
    if missing:
        raise BundleError(f"{card_path}: missing {', '.join(missing)}")
    if BACKGROUND not in card["classes"]:
        raise BundleError(f"{card_path}: classes must include {BACKGROUND!r}")
    return card


def check_feature_settings(card: dict, where: str) -> None:
    """The bundle must expect exactly the features this version of the tool computes."""
    from .model_types import model_type_names, modalities_of

    if card["architecture"] not in model_type_names():
        raise BundleError(f"{where}: unknown architecture {card['architecture']!r}")
    settings = card["feature_settings"]
    problems = []
    if "audio" in modalities_of(card["architecture"]):
        problems += _differences("audio", settings.get("audio", {}), audio_settings())
    if "visual" in modalities_of(card["architecture"]):
        visual = settings.get("visual", {})
        expected = visual_settings(visual.get("frames_per_second", 1))
        problems += _differences("visual", visual, expected)
    if problems:
        raise BundleError(f"{where}: feature settings do not match this tool: " + "; ".join(problems))


def _differences(kind: str, found: dict, expected: dict) -> list[str]:
    return [f"{kind}.{key} is {found.get(key)!r}, this tool computes {value!r}"
            for key, value in expected.items() if found.get(key) != value]


def load_bundle(name_or_path) -> ModelBundle:
    path = resolve_bundle_path(name_or_path)
    card = read_card(path)
    check_feature_settings(card, str(path / "card.json"))
    return ModelBundle(path, card)


def list_bundles() -> list[ModelBundle]:
    """Every readable bundle under models/, best held-out accuracy first."""
    found = []
    root = models_dir()
    for child in sorted(root.iterdir()) if root.is_dir() else []:
        if not child.name.startswith(".") and (child / "card.json").exists():
            try:
                found.append(load_bundle(child))
            except BundleError:
                continue
    return sorted(found, key=lambda b: -(b.held_out_accuracy or 0.0))


def default_bundle_name() -> str:
    """The installed bundle that scores best held-out."""
    bundles = list_bundles()
    if not bundles:
        raise BundleError(f"no model bundles under {models_dir()}; train one with "
                          "`python main.py train` or pass --model PATH")
    return bundles[0].name


def save_bundle(model, card: dict, out_dir) -> ModelBundle:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.keras")
    (out_dir / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return ModelBundle(out_dir, card, model)
