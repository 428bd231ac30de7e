"""Which model a folder's next run uses: the one the reviewer chose in that folder (kept in its
project store), else the newest bundle trained on that folder, else the best installed bundle
that knows every class of the project. A choice made in one folder never follows the reviewer
into another one.
"""

from __future__ import annotations

from pathlib import Path

from ..core.project_preferences import read_preference, write_preference
from ..ml.bundle import ModelBundle

MODEL_KEY = "model"


def knows(bundle: ModelBundle, class_names: list[str]) -> bool:
    return set(class_names) <= set(bundle.classes)


def _trained_at(bundle: ModelBundle) -> float:
    card = Path(bundle.path) / "card.json"
    return card.stat().st_mtime if card.exists() else 0.0


def folder_default(
    bundles: list[ModelBundle], project_models: Path, class_names: list[str]
) -> ModelBundle | None:
    """The newest bundle trained on this folder, else the first (best held-out) bundle that
    knows its classes, else the best one."""
    project_models = Path(project_models).resolve()
    own = [b for b in bundles if Path(b.path).resolve().parent == project_models]
    if own:
        return max(own, key=_trained_at)
    knowing = [b for b in bundles if knows(b, class_names)]
    return (knowing or bundles or [None])[0]


def remembered_model(store) -> str | None:
    value = read_preference(store, MODEL_KEY)
    return value if isinstance(value, str) and value else None


def remember_model(store, bundle: ModelBundle) -> None:
    write_preference(store, MODEL_KEY, bundle.name)
