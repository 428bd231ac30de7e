"""Model bundles: `models/<name>/model.keras` + `card.json`, found by name or path.

Reading a card needs no TensorFlow (the app lists bundles before any model is loaded). Labelling
runs the head in numpy, read from model.keras as plain data (`numpy_head/`); the Keras model is
loaded only where that cannot run it, or for training, always in Keras safe mode, so nothing in
a bundle can run code.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core.conventions import BACKGROUND, Z_95, audio_settings, visual_settings
from ..core.errors import BundleError
from ..core.locations import shipped_dir

MODELS_ENV = "AV_ANNOTATOR_MODELS"
REQUIRED_CARD_KEYS = ("name", "version", "architecture", "classes", "feature_settings")
PROJECT_ROOT = Path(__file__).resolve().parents[2]

log = logging.getLogger(__name__)


def models_dir() -> Path:
    """$AV_ANNOTATOR_MODELS, else the shipped models/ (the checkout's, or the installed copy)."""
    return Path(os.environ.get(MODELS_ENV) or shipped_dir("models"))


@dataclass
class ModelBundle:
    path: Path
    card: dict
    _model: object = field(default=None, repr=False)
    _numpy_head: object = field(default=None, repr=False)
    _familiarity: object = field(default=None, repr=False)

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
    def familiarity_streams(self) -> tuple[str, ...]:
        """Streams the familiarity summary scores (may include one the model does not read)."""
        return tuple(self.card.get("familiarity", {}).get("streams", ()))

    @property
    def visual_fps(self) -> int:
        return int(self.card["feature_settings"].get("visual", {}).get("frames_per_second", 1))

    @property
    def context_seconds(self) -> int:
        return int(self.card.get("context_seconds", 10))

    @property
    def feature_files(self) -> dict | None:
        """Where the bundle was trained on pre-extracted feature files: their kind and extractors."""
        return self.card.get("feature_files")

    @property
    def per_video(self) -> bool:
        """One label per video (the research's presets) rather than one per second."""
        return self.card.get("output") == "per-video"

    @property
    def held_out_accuracy(self) -> float | None:
        return self.held_out()[0]

    def held_out(self) -> tuple[float | None, int, float | None]:
        """(per-second accuracy on videos the model did not learn from, how many videos, the
        standard deviation of that accuracy where known): out_of_fold_figure where the card has
        it, else the validation split's."""
        metrics = self.card.get("metrics", {})
        return out_of_fold_figure(self.card) or (
            metrics.get("per_second_accuracy"),
            metrics.get("videos", 0),
            None,
        )

    def model(self):
        """The Keras model, loaded once, in safe mode."""
        if self._model is None:
            self._model = _load_keras_model(self.path / "model.keras")
        return self._model

    def numpy_head(self):
        """The model's inference pass in numpy, read from model.keras without TensorFlow, loaded
        once; None where the graph holds something only Keras runs (then use `model()`)."""
        if self._numpy_head is None:
            self._numpy_head = _load_numpy_head(self.path / "model.keras") or False
        return self._numpy_head or None

    def familiarity(self):
        """The summary of the training data (familiarity.npz, plain arrays), or None where the
        bundle has none; loaded once."""
        if self._familiarity is None:
            from .familiarity import load_summary

            self._familiarity = load_summary(self.path) or False
        return self._familiarity or None

    def reset_familiarity(self) -> None:
        """Forget the loaded summary (after calibration wrote a new one)."""
        self._familiarity = None


def recorded_level(card: dict) -> dict:
    """The calibration's level uncertainty as the card records it (calibrate.level_uncertainty:
    videos, sd, accuracy, seconds); empty for a card calibrated before it was recorded."""
    return card.get("calibration", {}).get("level_uncertainty") or {}


def out_of_fold_figure(card: dict) -> tuple[float, int, float] | None:
    """(accuracy, videos, its standard deviation) over every video the confidence was fitted on,
    each scored by a model trained without it (calibrate.level_uncertainty), where that covers
    more videos than the validation split (2 of 10 clips: 18 seconds, a noisy figure alone)."""
    level = recorded_level(card)
    if level.get("accuracy") is None or level["videos"] <= card.get("metrics", {}).get("videos", 0):
        return None
    return level["accuracy"], level["videos"], level["sd"]


def out_of_fold_text(card: dict) -> str | None:
    """out_of_fold_figure in words (the app's model card, its training result, `train`)."""
    figure = out_of_fold_figure(card)
    if figure is None:
        return None
    accuracy, videos, sd = figure
    return (
        f"{accuracy:.1%} per second on {videos} videos, each scored by a model trained without "
        f"it (95 % interval ± {Z_95 * sd:.0%})"
    )


def _check_model_file(path: Path) -> None:
    if not path.exists():
        raise BundleError(f"{path}: missing (a bundle needs model.keras beside card.json)")
    if not zipfile.is_zipfile(path):
        raise BundleError(f"{path}: not a Keras model file (truncated or corrupt)")


def _load_numpy_head(path: Path):
    """The numpy head of `path`, or None where Keras must run it (an unknown layer, or an
    archive the reader cannot make sense of: Keras then says what is wrong with it)."""
    from .numpy_head import Unsupported, load_numpy_head

    _check_model_file(path)
    try:
        return load_numpy_head(path)
    except Unsupported as exc:
        log.info("%s: runs on Keras (%s)", path, exc)
    except Exception as exc:  # a damaged archive: let Keras' loader give the one-line reason
        log.info("%s: numpy head not read (%s: %s); trying Keras", path, type(exc).__name__, exc)
    return None


def _load_keras_model(path: Path):
    from .runtime import import_tensorflow_quietly

    _check_model_file(path)
    import_tensorflow_quietly()
    import keras

    from . import layers  # noqa: F401  (registers the custom layers before loading)

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except ValueError as exc:
        if "lambda" in str(exc).lower() or "safe_mode" in str(exc):
            raise BundleError(
                f"{path}: contains a Lambda layer (code); refused in safe mode"
            ) from exc
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
    raise BundleError(
        f"model {name_or_path!r} not found (as a path or under {models_dir()}); installed: {names}"
    )


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


def feature_file_refusal(card: dict, where: str) -> str | None:
    """Why a bundle trained on feature files cannot label raw videos (None if it can)."""
    files = card.get("feature_files")
    if not files:
        return None
    names = ", ".join(sorted(set(files.get("extractors", {}).values()))) or "unknown"
    return (
        f"{where}: trained on pre-extracted features ({names}) from {files.get('kind')}; "
        "this install does not run that extractor, so it cannot annotate videos "
        "(evaluate it with --data on such feature files)"
    )


def check_feature_settings(card: dict, where: str, for_videos: bool = True) -> None:
    """The bundle must expect exactly the features this version of the tool computes; a bundle
    trained on feature files is refused for videos and is otherwise checked against the
    feature set it is used on (ml/feature_evaluation.py)."""
    from .model_types import model_type_names, modalities_of

    if card["architecture"] not in model_type_names():
        raise BundleError(f"{where}: unknown architecture {card['architecture']!r}")
    refusal = feature_file_refusal(card, where)
    if refusal and for_videos:
        raise BundleError(refusal)
    if refusal:
        return
    settings = card["feature_settings"]
    problems = []
    if "audio" in modalities_of(card["architecture"]):
        problems += _differences("audio", settings.get("audio", {}), audio_settings())
    if "visual" in modalities_of(card["architecture"]):
        visual = settings.get("visual", {})
        expected = visual_settings(visual.get("frames_per_second", 1))
        problems += _differences("visual", visual, expected)
    if problems:
        raise BundleError(
            f"{where}: feature settings do not match this tool: " + "; ".join(problems)
        )


def _differences(kind: str, found: dict, expected: dict) -> list[str]:
    return [
        f"{kind}.{key} is {found.get(key)!r}, this tool computes {value!r}"
        for key, value in expected.items()
        if found.get(key) != value
    ]


def load_bundle(name_or_path, for_videos: bool = True) -> ModelBundle:
    """The bundle, its card checked; `for_videos=False` also accepts one trained on feature files."""
    path = resolve_bundle_path(name_or_path)
    card = read_card(path)
    check_feature_settings(card, str(path / "card.json"), for_videos)
    return ModelBundle(path, card)


def installed_bundles(
    extra_dirs=(), for_videos: bool = False
) -> tuple[list[ModelBundle], list[str]]:
    """(every usable bundle under models/ and `extra_dirs` (a project's own models), best
    held-out first, [why each other one is not]); only those that label videos if `for_videos`.
    Hidden folders (a bundle being written) are not bundles.

    Reads the cards only (no TensorFlow), so the app lists bundles before any model loads.
    """
    found, problems = [], []
    children = []
    for root in [models_dir(), *map(Path, extra_dirs)]:
        children += sorted(root.iterdir()) if root.is_dir() else []
    for child in children:
        if not child.name.startswith(".") and (child / "card.json").exists():
            try:
                found.append(load_bundle(child, for_videos))
            except BundleError as exc:
                problems.append(str(exc))
    return sorted(found, key=lambda b: -(b.held_out_accuracy or 0.0)), problems


def list_bundles(for_videos: bool = False) -> list[ModelBundle]:
    """Every usable bundle under models/ (only those that label videos if `for_videos`),
    best held-out accuracy first."""
    return installed_bundles(for_videos=for_videos)[0]


def default_bundle_name() -> str:
    """The installed bundle that scores best held-out among those that label videos."""
    bundles = list_bundles(for_videos=True)
    if not bundles:
        raise BundleError(
            f"no model bundles under {models_dir()}; train one with "
            "`python main.py train` or pass --model PATH"
        )
    return bundles[0].name


def write_card(bundle: ModelBundle, card: dict) -> None:
    """Replace the bundle's card.json (and its in-memory card) with `card`."""
    (bundle.path / "card.json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    bundle.card = card


def save_bundle(model, card: dict, out_dir) -> ModelBundle:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.keras")
    (out_dir / "card.json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return ModelBundle(out_dir, card, model)
