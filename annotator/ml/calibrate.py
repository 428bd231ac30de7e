"""Fit a bundle's honesty: the temperature of each head and the familiarity summary.

`calibrate_bundle` is the one call: training makes it at its end (familiarity from the training
videos, temperatures and threshold from the validation videos); the `calibrate` command makes
it for a bundle already trained (e.g. the shipped ones) on held-out data. Both write the
temperatures and what they were fitted on into the card, and `familiarity.npz` beside the model.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import numpy as np

from ..core.datasets import LabelledVideo, load_spec
from ..core.errors import AnnotatorError, DataSpecError
from .bundle import ModelBundle, write_card
from .calibration import (
    HEADS,
    fit_confidence_map,
    fit_temperature,
    head_confidence,
    scale_probabilities,
)
from .familiarity import FAMILIARITY_FILE, FAMILIARITY_STREAMS, TARGET_FLAGGED_SHARE, fit_summary
from .metrics import expected_calibration_error
from .pipeline import FeatureNeeds, head_probabilities, prepare_video
from .prediction import predict_features

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _EveryStream(FeatureNeeds):
    """The bundle's needs, plus every stream familiarity may score."""

    familiarity_streams: tuple = FAMILIARITY_STREAMS


def _prepared(bundle, videos: list[LabelledVideo], cache, cancel, progress, label: str):
    """(PreparedVideo with every stream, per-second truth index or -1) of each readable video."""
    class_index = {name: i for i, name in enumerate(bundle.classes)}
    needs = _EveryStream(bundle.architecture, bundle.visual_fps)
    out = []
    for done, video in enumerate(videos, start=1):
        try:
            prepared = prepare_video(video.path, needs, cache=cache, cancel=cancel)
        except AnnotatorError as exc:
            log.warning("calibration skips %s", exc)
            continue
        truth = np.array(
            [class_index.get(label, -1) for label in video.labels_for(prepared.features.seconds)]
        )
        out.append((prepared, truth))
        if progress:
            progress(done, len(videos), f"{label}: {video.path.name}")
    return out


def _ece(confidence: np.ndarray, correct: np.ndarray) -> float | None:
    value = expected_calibration_error(confidence, correct)
    return None if value is None else round(value, 4)


def calibrate_bundle(
    bundle: ModelBundle,
    fit_videos: list[LabelledVideo],
    held_out_videos: list[LabelledVideo],
    cache=None,
    *,
    fit_data: str = "",
    held_out_data: str = "",
    note: str = "",
    target: float = TARGET_FLAGGED_SHARE,
    progress=None,
    cancel=None,
) -> ModelBundle:
    """Summarise `fit_videos` for familiarity; fit each head's temperature and the familiarity
    threshold on `held_out_videos`; write both into the bundle. Returns the bundle."""
    if not held_out_videos:
        # Nothing held out (a tiny training set): the fit videos must do, and the card says so.
        held_out_videos, held_out_data = fit_videos, f"{fit_data} (no held-out videos)"
    held = _prepared(bundle, held_out_videos, cache, cancel, progress, "held-out")
    fit = (
        held
        if fit_videos is held_out_videos
        else _prepared(bundle, fit_videos, cache, cancel, progress, "familiarity")
    )
    if not held or not fit:
        # Training on pre-extracted features has no videos to read: the bundle stays as it is.
        log.warning(
            "%s: no readable videos to calibrate on; confidences stay uncalibrated", bundle.tag
        )
        return bundle
    raw: dict[str, list] = {head: [] for head in HEADS}
    truths: dict[str, list] = {head: [] for head in HEADS}
    for prepared, truth in held:
        outputs = predict_features(bundle, prepared.features)
        for head, probabilities in head_probabilities(bundle, outputs, prepared.info).items():
            raw[head].append(probabilities)
            truths[head].append(truth)
    temperatures, maps, before, after = {}, {}, {}, {}
    for head in HEADS:
        if raw[head]:
            probabilities, truth = np.concatenate(raw[head]), np.concatenate(truths[head])
            known = truth >= 0
            probabilities, truth = probabilities[known], truth[known]
            temperatures[head] = fit_temperature(probabilities, truth)
            scaled = scale_probabilities(probabilities, temperatures[head])
            correct = scaled.argmax(1) == truth
            maps[head] = fit_confidence_map(scaled.max(1), correct)
            before[head] = _ece(probabilities.max(1), correct)
            after[head] = _ece(head_confidence(scaled, maps[head]), correct)
    summary, familiarity_card = fit_summary(
        [(p.features, t) for p, t in fit],
        [p.features for p, _t in held],
        FAMILIARITY_STREAMS,
        target,
    )
    summary.save(bundle.path)
    card = dict(bundle.card)
    card["calibration"] = {
        "method": "per head: temperature scaling of the distribution (log-probabilities "
        "divided by T), then an isotonic map from its top probability to the "
        "confidence written out",
        "temperatures": temperatures,
        "confidence_maps": maps,
        "data": held_out_data,
        "videos": len(held),
        "seconds": int(sum(len(t) for _p, t in held)),
        "expected_calibration_error_15_bins": {
            "before": before,
            "after": after,
            "note": "on the calibration data itself",
        },
        "date": datetime.date.today().isoformat(),
        **({"note": note} if note else {}),
    }
    card["familiarity"] = {
        "file": FAMILIARITY_FILE,
        "streams": sorted(summary.streams),
        "fitted_on": fit_data,
        "fit_videos": len(fit),
        "fit_seconds": int(sum(len(t) for _p, t in fit)),
        "threshold_data": held_out_data,
        "target_flagged_share": target,
        **familiarity_card,
    }
    write_card(bundle, card)
    log.info(
        "calibrated %s: temperatures %s; familiarity threshold %.3f",
        bundle.tag,
        temperatures,
        summary.threshold,
    )
    bundle.reset_familiarity()
    return bundle


def calibrate(
    spec,
    bundle: ModelBundle,
    *,
    familiar_spec=None,
    seed: int = 0,
    note: str = "",
    cache=None,
    progress=None,
    cancel=None,
) -> ModelBundle:
    """The `calibrate` command: fit on a SPEC of held-out data. The familiarity summary comes
    from `familiar_spec` (the training data, where the user has it) or, without one, from a
    seeded half of the SPEC's videos while the other half fits the temperatures and threshold."""
    labelled = load_spec(spec)
    videos = labelled.split("val") or labelled.split("test") or labelled.videos
    if familiar_spec is not None:
        familiar = load_spec(familiar_spec)
        fit_videos = familiar.split("train") or familiar.videos
        fit_data, held, held_data = str(familiar_spec), videos, str(spec)
    else:
        order = np.random.default_rng(seed).permutation(len(videos))
        half = len(videos) // 2
        if half < 1:
            raise DataSpecError(f"{spec}: calibration needs at least 2 videos")
        fit_videos = [videos[i] for i in sorted(order[:half])]
        held = [videos[i] for i in sorted(order[half:])]
        fit_data = f"{spec} (a seeded half, seed {seed})"
        held_data = f"{spec} (the other half)"
    bundle = calibrate_bundle(
        bundle,
        fit_videos,
        held,
        cache,
        fit_data=fit_data,
        held_out_data=held_data,
        note=note,
        progress=progress,
        cancel=cancel,
    )
    if "familiarity" not in bundle.card:
        raise DataSpecError(f"{spec}: no readable videos to calibrate on")
    return bundle
