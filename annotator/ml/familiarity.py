"""How familiar each second is: a compact summary of the seconds a bundle was trained on, and a
score for every new second against it.

Per stream the model reads, each second is described by the same input the model gets: the
backbone's embedding of its frame (visual) and the mean and spread of each mel band (audio).
The summary keeps, per stream: the standardisation, the leading principal directions, and per
class a mean and a Ledoit-Wolf shrunk precision matrix in those directions, plus the typical
energy left outside them. A second's distance is its Mahalanobis distance to the nearest class
plus its energy outside the principal directions, each relative to what training seconds show.
The threshold is fitted on held-out seconds so only a small share of them are flagged.

Stored as `familiarity.npz` beside `model.keras`: plain float and string arrays, loaded with
`allow_pickle=False`, so nothing in it can run code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BundleError
from ..core.npz import read_npz

FAMILIARITY_FILE = "familiarity.npz"
EMBEDDING_DESCRIPTION = {
    "visual": "backbone embedding of the second's frame(s)",
    "audio": "per-mel-band mean and standard deviation of the second's log-mel patch",
}
# Every stream of the training clips is summarised, even one the model does not read: an
# audio-only bundle trained on the demo clips is as much out of its depth on real footage as
# the others, and the sound's simple statistics alone do not show it (measured: real film
# soundtracks and speech sit inside the spread of the demo clips' noise, hums and beeps).
FAMILIARITY_STREAMS = ("audio", "visual")
PRINCIPAL_DIRECTIONS = 32
# A class with fewer labelled seconds gets no summary of its own, so its new seconds look
# unfamiliar. A user's class may have two clips of ten seconds, eight of them in the training
# split (at 20, a 10-clip bundle flagged 14.5 % of new seconds of its own classes); the shrunk
# covariance copes with few seconds.
MIN_SECONDS_PER_CLASS = 8
TARGET_FLAGGED_SHARE = 0.02  # held-out seconds flagged unfamiliar by the fitted threshold


def stream_embeddings(features, modality: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(seconds, dims) per-second description of one stream and its (seconds,) presence mask."""
    if modality == "visual":
        if features.visual is None:
            return None
        return np.asarray(features.visual, np.float64), features.visual_present > 0
    if features.log_mel is None:
        return None
    log_mel = np.asarray(features.log_mel, np.float64)
    described = np.concatenate([log_mel.mean(axis=1), log_mel.std(axis=1)], axis=1)
    return described, features.audio_present > 0


def _ledoit_wolf(centred: np.ndarray) -> np.ndarray:
    """Shrunk covariance (Ledoit & Wolf 2004, the estimator scikit-learn implements)."""
    n, p = centred.shape
    sample = centred.T @ centred / n
    mu = np.trace(sample) / p
    delta = ((sample - mu * np.eye(p)) ** 2).sum() / p
    squared = centred**2
    beta = min(delta, ((squared.T @ squared) / n - sample**2).sum() / p / n)
    shrinkage = beta / delta if delta > 0 else 1.0
    return (1 - shrinkage) * sample + shrinkage * mu * np.eye(p)


@dataclass
class StreamSummary:
    mean: np.ndarray  # (dims,) standardisation
    scale: np.ndarray  # (dims,)
    directions: np.ndarray  # (k, dims) principal directions of the standardised seconds
    class_means: np.ndarray  # (groups, k)
    precisions: np.ndarray  # (groups, k, k)
    residual: float  # mean squared energy outside the directions, training seconds
    typical: float = 1.0  # median distance of held-out seconds (sets the stream's unit)

    @classmethod
    def fit(cls, x: np.ndarray, groups: np.ndarray) -> "StreamSummary":
        mean = x.mean(0)
        spread = x.std(0)
        # A dimension nearly constant in training would make any change in it look infinitely
        # strange; a floor keeps the distance about the whole picture, not one feature.
        scale = np.maximum(spread, 0.1 * np.median(spread) + 1e-6)
        z = (x - mean) / scale
        k = max(1, min(PRINCIPAL_DIRECTIONS, len(z) - 1, z.shape[1]))
        directions = np.linalg.svd(z, full_matrices=False)[2][:k]
        y = z @ directions.T
        residual = float(np.mean((z**2).sum(1) - (y**2).sum(1)))
        names, counts = np.unique(groups, return_counts=True)
        kept = [g for g, c in zip(names, counts) if g >= 0 and c >= MIN_SECONDS_PER_CLASS]
        members = [groups == g for g in kept] or [np.ones(len(y), bool)]
        class_means = np.stack([y[m].mean(0) for m in members])
        precisions = np.stack([np.linalg.inv(_ledoit_wolf(y[m] - y[m].mean(0))) for m in members])
        return cls(mean, scale, directions, class_means, precisions, max(residual, 1e-9))

    def distance(self, x: np.ndarray) -> np.ndarray:
        """Per-second distance in units where a typical held-out second is 1."""
        z = (x - self.mean) / self.scale
        y = z @ self.directions.T
        k = self.directions.shape[0]
        offsets = y[:, None, :] - self.class_means[None]  # (n, groups, k)
        mahalanobis = np.einsum("ngi,gij,ngj->ng", offsets, self.precisions, offsets).min(1) / k
        outside = np.maximum((z**2).sum(1) - (y**2).sum(1), 0.0) / self.residual
        return 0.5 * (mahalanobis + outside) / self.typical

    def arrays(self, prefix: str) -> dict:
        return {
            f"{prefix}_mean": self.mean,
            f"{prefix}_scale": self.scale,
            f"{prefix}_directions": self.directions,
            f"{prefix}_class_means": self.class_means,
            f"{prefix}_precisions": self.precisions,
            f"{prefix}_residual": np.array(self.residual),
            f"{prefix}_typical": np.array(self.typical),
        }

    @classmethod
    def from_arrays(cls, data, prefix: str) -> "StreamSummary":
        return cls(
            *(
                data[f"{prefix}_{name}"]
                for name in ("mean", "scale", "directions", "class_means", "precisions")
            ),
            float(data[f"{prefix}_residual"]),
            float(data[f"{prefix}_typical"]),
        )


@dataclass
class FamiliaritySummary:
    streams: dict  # modality -> StreamSummary
    threshold: float  # a second is unfamiliar when its distance is above this

    def distances(self, features) -> np.ndarray:
        """Per second: the largest distance over the streams present (a real picture is strange
        even when the sound is not); 0 where no stream the model reads is present."""
        worst = np.zeros(features.seconds)
        for modality, summary in self.streams.items():
            described = stream_embeddings(features, modality)
            if described is None:
                continue
            x, present = described
            if present.any():
                worst[present] = np.maximum(worst[present], summary.distance(x[present]))
        return worst

    def familiarity(self, features) -> np.ndarray:
        """Per second in (0, 1]: 1 within the training data's range, threshold/distance beyond
        it (0.5 = twice as far out as the boundary)."""
        distances = self.distances(features)
        return np.minimum(1.0, self.threshold / np.maximum(distances, 1e-12))

    def save(self, bundle_dir) -> Path:
        path = Path(bundle_dir) / FAMILIARITY_FILE
        arrays = {
            "modalities": np.array(sorted(self.streams)),
            "threshold": np.array(self.threshold),
        }
        for modality, summary in self.streams.items():
            arrays.update(summary.arrays(modality))
        np.savez_compressed(path, **arrays)
        return path


def load_summary(bundle_dir) -> FamiliaritySummary | None:
    """The bundle's summary, or None where it has none (a bundle from before calibration)."""
    path = Path(bundle_dir) / FAMILIARITY_FILE
    if not path.exists():
        return None
    try:
        data = read_npz(path)
        streams = {str(m): StreamSummary.from_arrays(data, str(m)) for m in data["modalities"]}
        return FamiliaritySummary(streams, float(data["threshold"]))
    except (ValueError, KeyError, OSError) as exc:
        raise BundleError(f"{path}: not a familiarity summary ({exc})") from exc


# With fewer held-out videos than this (a user's own bundle: a handful of validation videos),
# the threshold also comes from the fit videos themselves, each scored by a summary fitted
# without it (out of fold). Measured: 40 labelled novel clips, threshold on their 6 validation
# videos alone: 3 % of those seconds flagged, but 23-36 % of new clips' seconds of the same
# classes; 10 clips (2 held-out videos): 14.5 %.
# A fold's seconds count only where their class is still among the videos the fold's summary
# was fitted on: with a dozen clips a left-out video often holds the only example of its class,
# and its seconds would set the threshold as if new classes were familiar. A new clip of a
# class the model was taught always has that class in the summary, which is what the
# threshold is for.
FEW_HELD_OUT_VIDEOS = 30
CROSS_FIT_FOLDS = 10


def _stream_arrays(fit_set: list[tuple], modality: str):
    """(seconds, dims) descriptions of one stream's present seconds and their class indices."""
    xs, groups = [], []
    for features, truth in fit_set:
        described = stream_embeddings(features, modality)
        if described is not None and described[1].any():
            xs.append(described[0][described[1]])
            groups.append(np.asarray(truth)[described[1]])
    if not xs:
        return None
    return np.concatenate(xs), np.concatenate(groups)


def _fit_streams(fit_set: list[tuple], modalities) -> dict:
    streams = {}
    for modality in modalities:
        arrays = _stream_arrays(fit_set, modality)
        if arrays is not None:
            streams[modality] = StreamSummary.fit(*arrays)
    return streams


def _distances_before_units(streams: dict, scored_videos) -> dict:
    """{modality: distance of every scored second where the stream is present}, for summaries
    whose unit (`typical`) is not set yet (it is 1). `scored_videos` = [(features, mask of the
    seconds that count, or None for all)]."""
    out = {}
    for modality, summary in streams.items():
        held = []
        for features, counted in scored_videos:
            described = stream_embeddings(features, modality)
            if described is None:
                continue
            x, present = described
            keep = present if counted is None else present & counted
            if keep.any():
                held.append(x[keep])
        if held:
            out[modality] = summary.distance(np.concatenate(held))
    return out


def _cross_fitted(fit_set: list[tuple], modalities, folds: int):
    """[(per-stream summaries fitted without a fold, [(that fold's features, mask of its
    seconds whose class the kept videos have)])], folds by video."""
    order = np.arange(len(fit_set))
    out = []
    for fold in range(min(folds, len(fit_set))):
        left_out = order[fold::folds]
        kept = [fit_set[i] for i in np.setdiff1d(order, left_out)]
        if not left_out.size or not kept:
            continue
        known = np.unique(np.concatenate([np.asarray(truth) for _f, truth in kept]))
        known = known[known >= 0]
        scored = [(fit_set[i][0], np.isin(np.asarray(fit_set[i][1]), known)) for i in left_out]
        scored = [(features, mask) for features, mask in scored if mask.any()]
        if scored:
            out.append((_fit_streams(kept, modalities), scored))
    return out


def fit_summary(
    fit_set: list[tuple],
    held_out: list,
    modalities: tuple[str, ...],
    target: float = TARGET_FLAGGED_SHARE,
) -> tuple[FamiliaritySummary, dict]:
    """Fit on `fit_set` = [(features, per-second class index or -1)], set units and the
    threshold on `held_out` = [features] (and, when it holds few videos, on the fit videos
    too, each scored by a summary fitted without it). Returns the summary and what the card
    records."""
    streams = _fit_streams(fit_set, modalities)
    if not streams:
        raise ValueError("no seconds with a stream the model reads: cannot fit familiarity")
    # Scored seconds: the held-out videos against the summary, plus, with few held-out
    # videos, every fit video against the summary fitted without its fold.
    scored = [(streams, [(features, None) for features in held_out])]
    cross_fitted = len(held_out) < FEW_HELD_OUT_VIDEOS and len(fit_set) >= 2
    if cross_fitted:
        scored += _cross_fitted(fit_set, modalities, CROSS_FIT_FOLDS)
    # Each stream's unit: the median distance of the scored seconds.
    pooled: dict = {}
    for fold, videos in scored:
        for modality, distances in _distances_before_units(fold, videos).items():
            pooled.setdefault(modality, []).append(distances)
    for fold, _videos in scored:
        for modality, stream in fold.items():
            if modality in pooled:
                stream.typical = float(np.median(np.concatenate(pooled[modality])))
    held_distances = np.concatenate(
        [
            FamiliaritySummary(fold, 1.0).distances(features)[
                slice(None) if counted is None else counted
            ]
            for fold, videos in scored
            for features, counted in videos
        ]
    )
    summary = FamiliaritySummary(streams, 1.0)
    summary.threshold = float(np.quantile(held_distances, 1 - target))
    flagged = float((held_distances > summary.threshold).mean())
    return summary, {
        "threshold": round(summary.threshold, 4),
        "held_out_flagged_share": round(flagged, 4),
        "held_out_seconds": int(len(held_distances)),
        **(
            {
                "cross_fitted": f"{min(CROSS_FIT_FOLDS, len(fit_set))} folds of the fit videos, "
                "each scored by a summary fitted without it (the seconds of classes the other "
                "videos have), beside the held-out videos"
            }
            if cross_fitted
            else {}
        ),
        "embedding": {m: EMBEDDING_DESCRIPTION[m] for m in streams},
        "principal_directions": {m: int(s.directions.shape[0]) for m, s in streams.items()},
        "classes_summarised": {m: int(len(s.class_means)) for m, s in streams.items()},
    }
