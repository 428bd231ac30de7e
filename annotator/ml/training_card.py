"""The card of a bundle `train` made: what it is, what it was trained on and how (the held-out
metrics and the calibration are added when they are known)."""

from __future__ import annotations

import datetime

from ..core.conventions import FRAMES_DECODED_POLICY, audio_settings, visual_settings
from .bundle import ModelBundle
from .cost import multiply_adds_per_second
from .model_types import model_type

CONTEXT_SECONDS = 10  # seconds per training window: the model's context


def training_card(
    name,
    version,
    architecture,
    plan,
    hp,
    visual_fps,
    seed,
    epochs,
    fitted,
    training_seconds,
    model,
    batch_size,
    learning_rate,
    counts,
    warm_start,
) -> dict:
    modalities = model_type(architecture).modalities
    settings = {}
    if "audio" in modalities:
        settings["audio"] = audio_settings()
    if "visual" in modalities:
        # What its features were, as computed; loading checks the visual_settings part only.
        settings["visual"] = {
            **visual_settings(visual_fps),
            "frames_decoded": FRAMES_DECODED_POLICY,
        }
    warm = warm_start.tag if isinstance(warm_start, ModelBundle) else warm_start
    return {
        "name": name,
        "version": version,
        "architecture": architecture,
        "classes": plan.classes,
        "feature_settings": settings,
        "context_seconds": CONTEXT_SECONDS,
        "training": {
            "data": plan.labelled.source,
            "videos": len(plan.train_videos),
            "validation_videos": len(plan.val_videos),
            "labelled_seconds": counts,
            "final_model_trained_on_all_videos": bool(plan.refit and plan.val_videos),
            "seed": seed,
            "epochs": epochs,
            "epochs_run": fitted.epochs_run,
            "best_epoch": fitted.best_epoch,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "hyperparameters": hp,
            "warm_start": str(warm) if warm else None,
            "training_seconds": round(training_seconds, 1),
        },
        "parameter_count": int(model.count_params()),
        "multiply_adds_per_second": int(multiply_adds_per_second(model, architecture, visual_fps)),
        "date": datetime.date.today().isoformat(),
    }
