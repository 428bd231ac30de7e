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
from .calibration import HEADS, MARGIN_FLOOR, fit_temperature, scale_probabilities
from .confidence_model import (
    apply_confidence_model,
    apply_following,
    evidence,
    evidence_for,
    fit_confidence_model,
    fit_following,
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


def _known(per_video: list, head: str):
    """[(that head's distributions, the other heads', truth)] over the seconds of known truth,
    per video (evidence reads a second's neighbours, so videos stay apart)."""
    out = []
    for heads, truth in per_video:
        if head in heads:
            keep = truth >= 0
            out.append((heads[head][keep], {h: p[keep] for h, p in heads.items()}, truth[keep]))
    return [(p, h, t) for p, h, t in out if len(t)]


def _following(fused_map: dict, scaled: list) -> tuple[dict, np.ndarray]:
    """A modality head's map that follows the fused confidence, and its confidence on the fit
    seconds; `scaled` = [(the head's distributions, every head's, truth)] per video."""
    fused = [heads["event"] for _p, heads, _t in scaled]
    fused_confidence = [
        apply_confidence_model(fused_map, f, heads) for f, (_p, heads, _t) in zip(fused, scaled)
    ]
    following = fit_following(
        np.concatenate([p.argmax(1) for p, _h, _t in scaled]),
        np.concatenate([f.argmax(1) for f in fused]),
        np.concatenate([t for _p, _h, t in scaled]),
    )
    confidence = [
        apply_following(following, p, f, c)
        for (p, _h, _t), f, c in zip(scaled, fused, fused_confidence)
    ]
    return following, np.concatenate(confidence)


def level_uncertainty(per_video: list) -> dict:
    """How far the fused confidence's level may be off, from the number of videos it was fitted
    on (`per_video` as for fit_heads). A video's seconds are mostly right or wrong together (a
    clip the model misreads), so each video counts as one draw, read right or not: the standard
    deviation is that of a share of V such draws, the share being the mean share of a video's
    seconds read right smoothed by one video all right and one all wrong (ten videos with no
    wrong second do not make a model that is never wrong)."""
    right = [
        (heads["event"].argmax(1) == truth)[truth >= 0]
        for heads, truth in per_video
        if "event" in heads and (truth >= 0).any()
    ]
    videos = len(right)
    smoothed = (sum(float(r.mean()) for r in right) + 1.0) / (videos + 2.0)
    seconds = np.concatenate(right) if right else np.zeros(0, bool)
    return {
        "videos": videos,
        "sd": round(float(np.sqrt(smoothed * (1.0 - smoothed) / max(videos, 1))), 4),
        # The fused label's accuracy on those seconds: the held-out accuracy of the bundle's
        # recipe over every video that fitted the confidence (ModelBundle.held_out).
        "accuracy": round(float(seconds.mean()), 4) if len(seconds) else None,
        "seconds": int(len(seconds)),
    }


def fit_heads(per_video: list) -> tuple[dict, dict, dict, dict]:
    """Temperatures, confidence maps and the calibration error before and after, per head,
    from `per_video` = [({head: distributions}, truth indices or -1)] of seconds the model
    did not learn from."""
    chosen = {head: _known(per_video, head) for head in HEADS}
    chosen = {head: videos for head, videos in chosen.items() if videos}
    temperatures = {
        head: fit_temperature(
            np.concatenate([p for p, _h, _t in videos]),
            np.concatenate([t for _p, _h, t in videos]),
        )
        for head, videos in chosen.items()
    }
    maps, before, after = {}, {}, {}
    # The fused label first: a modality head's confidence follows it (confidence_model.py).
    for head in sorted(chosen, key=lambda h: h != "event"):
        videos = chosen[head]
        # Every head's distributions as annotation will see them: temperature-scaled.
        scaled = [
            (
                scale_probabilities(p, temperatures[head], MARGIN_FLOOR),
                {
                    h: scale_probabilities(q, temperatures[h], MARGIN_FLOOR)
                    for h, q in heads.items()
                },
                t,
            )
            for p, heads, t in videos
        ]
        correct = np.concatenate([p.argmax(1) == t for p, _h, t in scaled])
        if head != "event" and "event" in maps:
            maps[head], confidence = _following(maps["event"], scaled)
        else:
            names = evidence_for(head, videos[0][1], len(correct), int((~correct).sum()))
            x = np.concatenate([evidence(names, p, heads) for p, heads, _t in scaled])
            maps[head] = fit_confidence_model(x, correct, names)
            confidence = np.concatenate(
                [apply_confidence_model(maps[head], p, heads) for p, heads, _t in scaled]
            )
        before[head] = _ece(np.concatenate([p.max(1) for p, _h, _t in videos]), correct)
        after[head] = _ece(confidence, correct)
    return temperatures, maps, before, after


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
    scored: tuple | None = None,
) -> ModelBundle:
    """Summarise `fit_videos` for familiarity; fit each head's temperature and confidence map
    on `held_out_videos` (or on `scored` = (ScoredVideos, what they are), seconds scored by
    models that did not learn from them: out_of_fold.py) and the familiarity threshold on
    `held_out_videos`; write both into the bundle. Returns the bundle."""
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
    if scored:
        per_video = [(head_probabilities(bundle, v.outputs), v.truth) for v in scored[0]]
        scored_data, scored_seconds = scored[1], int(sum((v.truth >= 0).sum() for v in scored[0]))
    else:
        per_video = [
            (head_probabilities(bundle, predict_features(bundle, p.features), p.info), t)
            for p, t in held
        ]
        scored_data, scored_seconds = held_out_data, int(sum((t >= 0).sum() for _p, t in held))
    temperatures, maps, before, after = fit_heads(per_video)
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
        "divided by T); the fused label's confidence is a logistic map (Platt scaling) from "
        "evidence: its log-margin between its top two labels, the modality heads' "
        "log-probability of that label and whether the label is steady across its neighbours "
        "(with few seconds: the weakest support any head gives it); a modality head's "
        "confidence follows the fused one: the same where it names the fused label, else the "
        "chance that the fused label is wrong times the rate at which the head is then right "
        "(confidence_model.py)",
        "temperatures": temperatures,
        "confidence_maps": maps,
        "data": scored_data,
        "videos": len(per_video),
        "seconds": scored_seconds,
        # The review queue widens its estimate's interval by this (calibration.level_sd).
        "level_uncertainty": level_uncertainty(per_video),
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
