"""The public Python API: a few stable functions over the ones the command line calls.

    import annotator

    table = annotator.annotate_folder("resources/samples")      # a pandas DataFrame
    bundle = annotator.train("data/novel", "attention-light", "models/novel")
    table = annotator.annotate_folder("~/Videos/birds", model=bundle, recursive=True)

`annotate_folder` returns the rows `annotate` writes to its per-second CSV, `train` and
`evaluate` do what the commands of the same names do. Nothing here prints: pass `progress` to
follow a long job. Bad inputs raise `annotator.AnnotatorError` (a one-line reason)
or, for single videos of a folder, are listed in the result (see `annotate_folder`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .core.errors import AnnotatorError
from .core.feature_cache import FeatureCache
from .core.feature_set_readers import open_feature_set
from .core.feature_sets import feature_folder_kind
from .core.media_files import collect_videos
from .core.paths import path_relative_to_folder
from .core.table import PER_SECOND_COLUMNS
from .ml import bundle as bundles
from .ml.batch import annotate_batch
from .ml.bundle import ModelBundle

log = logging.getLogger(__name__)

__all__ = [
    "AnnotatorError",
    "ModelBundle",
    "annotate_folder",
    "evaluate",
    "load_bundle",
    "train",
]


def load_bundle(name_or_path=None) -> ModelBundle:
    """A model bundle by name (a folder under `models/`, e.g. "attention") or by path.

    Without a name: the default bundle, the installed one with the best held-out accuracy (what
    `annotate` uses without `--model`). Its `classes`, `tag` ("name@version") and `card` (the
    card.json as a dict) describe it. A missing or damaged bundle raises `AnnotatorError`
    naming the file and the problem.
    """
    if isinstance(name_or_path, ModelBundle):
        return name_or_path
    return bundles.load_bundle(name_or_path or bundles.default_bundle_name())


def annotate_folder(
    folder,
    model=None,
    recursive: bool = False,
    jobs: int = 1,
    *,
    use_cache: bool = True,
    progress=None,
    cancel=None,
) -> pd.DataFrame:
    """Label every second of every video in `folder` (or of one video file).

    `model` is a bundle name, a path or a `ModelBundle` (default: the default bundle);
    `recursive` descends into sub-folders; `jobs` videos are decoded at a time. Features are
    cached (`~/.cache/av-annotator/features`, or `$AV_ANNOTATOR_CACHE`) unless `use_cache` is
    False. `progress(done, total, path)` is called after each video; `cancel()` returning True
    stops the batch at the next second.

    Returns the per-second table, one row per second of each video, in the columns of the
    per-second CSV (`video, second, start, end, label, confidence, audio_label, ...`); `video`
    is the path relative to `folder`, as in a CSV written into that folder. Videos that fail do
    not stop the batch: `table.attrs["failures"]` lists `(path, reason)` pairs,
    `table.attrs["warnings"]` the per-video warnings (a missing stream, footage unlike the
    model's training data), `table.attrs["skipped"]` the files that are not media by name and
    `table.attrs["model"]` the bundle's tag.
    """
    bundle = load_bundle(model)
    folder = Path(folder).expanduser()
    files, failures, skipped = collect_videos([folder], recursive)
    base = folder if folder.is_dir() else folder.parent
    result = annotate_batch(
        files,
        bundle,
        jobs=jobs,
        cache=FeatureCache(),
        use_cache=use_cache,
        progress=progress,
        cancel=cancel,
        name_for=lambda path: path_relative_to_folder(path, base),
    )
    tables = [annotation.table for annotation in result.annotations]
    table = (
        pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=PER_SECOND_COLUMNS)
    )
    table.attrs.update(
        failures=failures + result.failures,
        warnings=[w for annotation in result.annotations for w in annotation.warnings],
        skipped=skipped,
        model=bundle.tag,
        cancelled=result.cancelled,
    )
    for path, reason in table.attrs["failures"]:
        log.warning("%s: %s", path, reason)
    return table


def train(
    data_spec,
    arch: str,
    out,
    epochs: int | None = None,
    seed: int = 0,
    *,
    overwrite: bool = False,
    progress=None,
    epoch_progress=None,
    cancel=None,
    trust_pickles: bool = False,
    calibration_folds: int | None = None,
) -> ModelBundle:
    """Train a model of type `arch` on labelled data and save it as a bundle in `out`.

    `data_spec` is what `main.py train --data` takes: a `demo-data` folder, a per-second CSV
    beside its videos (only `source=human` rows are truth), a project folder the app has
    labelled, an AVE root, or a folder of AVE feature files or the research's pickles (these
    only with `trust_pickles=True`: a pickle can run code). `arch` is a model type name
    ("visual", "audio", "fusion", "attention", "attention-light"); `epochs` defaults to the
    command's (40). The bundle is calibrated on its held-out videos and carries its familiarity
    summary, as with the command. `out` must not exist unless `overwrite`.

    `progress(done, total, video)` follows the feature extraction, `epoch_progress(report)`
    each epoch (`report.epoch`, `.epochs`, `.loss`, `.val_accuracy`, `.seconds_left`);
    `cancel()` returning True stops training and writes nothing. Labels that cannot train a
    model raise `AnnotatorError` saying what to label. `calibration_folds` is the command's
    `--calibration-folds`: it caps the extra trainings of the out-of-fold calibration (0: the
    held-out videos alone, quicker, with a confidence that ranks worse).
    """
    _import_tensorflow()
    sizes = {"epochs": epochs} if epochs is not None else {}
    if feature_folder_kind(data_spec):
        from .ml.feature_training import train_on_features

        return train_on_features(
            open_feature_set(data_spec, trust_pickles), arch, out, seed=seed, **sizes
        )
    from .ml.training import train as train_on_videos

    return train_on_videos(
        data_spec,
        arch,
        out,
        seed=seed,
        overwrite=overwrite,
        progress=progress,
        epoch_progress=epoch_progress,
        cancel=cancel,
        calibration_folds=calibration_folds,
        **sizes,
    )


def evaluate(data_spec, model=None, *, progress=None, trust_pickles: bool = False) -> dict:
    """Score a bundle on labelled data: the report `main.py evaluate --json` prints.

    Per-second accuracy overall, on event seconds, per class and per head, each with a 95 %
    interval; calibration error, confusion matrix, sound-event-detection metrics and the share
    of unfamiliar seconds. A SPEC with a test split (AVE) is scored on that split.
    """
    _import_tensorflow()
    if feature_folder_kind(data_spec):
        from .ml.feature_evaluation import evaluate_feature_set

        bundle = bundles.load_bundle(model or bundles.default_bundle_name(), for_videos=False)
        return evaluate_feature_set(open_feature_set(data_spec, trust_pickles), bundle)
    from .ml.evaluation import evaluate as evaluate_videos

    return evaluate_videos(data_spec, load_bundle(model), progress=progress)


def _import_tensorflow() -> None:
    """Training and evaluation build Keras models: load TensorFlow without its start-up notices."""
    from .ml.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
