"""`review FOLDER [--model M] [--limit N] [--json]`: the library's review queue, likeliest mistakes
first, in the app's order (core.review_queue), with the estimated accuracy of the rest.

Without predictions there is nothing to doubt: the command says so and names the way out. With
`--model`, the videos not yet annotated by that bundle are annotated first (through the feature
cache, into the folder's project store, exactly as the app would), then the queue is printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.errors import AnnotatorError
from ..core.review_queue import QueueItem, ReviewQueue, queue_from_store


def add_parser(sub) -> None:
    p = sub.add_parser(
        "review", help="the folder's review queue: the seconds likeliest wrong, across videos"
    )
    p.add_argument("folder", help="a project folder (its videos and store)")
    p.add_argument(
        "--model",
        help="annotate the videos this bundle has not annotated yet, first (name or path)",
    )
    p.add_argument("--limit", type=int, default=20, help="seconds to list (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def open_project(folder):
    """(store, {video name: path}) of a project folder; the store knows every video in it."""
    from ..core.media_files import collect_videos
    from ..core.store import ProjectStore, relative_video_name

    folder = Path(folder)
    if not folder.is_dir():
        raise AnnotatorError(f"{folder}: not a folder")
    files, _problems, _skipped = collect_videos([folder], recursive=False)
    if not files:
        raise AnnotatorError(f"{folder}: no videos in this folder")
    videos = {relative_video_name(folder, path): path for path in files}
    store = ProjectStore.for_folder(folder)
    store.add_videos({name: None for name in videos})
    return store, videos


def level_of(model: str | None):
    """The queue's `level_of`: the level uncertainty of the bundles that made the predictions
    (the installed ones, and `model`, which may be named by its path)."""
    from ..ml.bundle import installed_bundles, load_bundle
    from ..ml.calibration import level_sd_of_bundles

    bundles = installed_bundles(for_videos=True)[0] + ([load_bundle(model)] if model else [])
    return lambda tags: level_sd_of_bundles(tags, bundles)


def annotate_missing(store, videos: dict, model: str) -> list[str]:
    """Annotate, into the store, the videos the bundle has not annotated; their failures."""
    from ..core.feature_cache import FeatureCache
    from ..ml.batch import annotate_batch
    from ..ml.bundle import load_bundle
    from .progress import ProgressBar

    bundle = load_bundle(model)
    names = {str(path): name for name, path in videos.items()}
    todo = [path for name, path in videos.items() if store.video(name)["model"] != bundle.tag]
    if not todo:
        return []
    print(f"annotating {len(todo)} video(s) with {bundle.tag}", file=sys.stderr)
    result = annotate_batch(
        todo,
        bundle,
        cache=FeatureCache(),
        progress=ProgressBar("annotate"),
        name_for=lambda path: names[str(path)],
    )
    for annotation in result.annotations:
        name = str(annotation.table["video"].iloc[0])
        store.save_predictions(name, annotation.table, annotation.attention, annotation.familiarity)
    return [f"{path}: {reason}" for path, reason in result.failures]


def _no_predictions(folder, queue: ReviewQueue) -> str:
    return (
        f"{folder}: no predictions yet in its {len(queue.unannotated)} video(s), so nothing to "
        f"doubt; annotate them first: `review {folder} --model NAME` (or in the app)"
    )


def _line(item: QueueItem) -> str:
    return f"{item.video}\t{item.second:>4d} s\t{item.label}\t{item.confidence:.2f}\t{item.reason}"


def _print_table(queue: ReviewQueue, limit: int) -> None:
    print("video\tsecond\tlabel\tconfidence\treason")
    for item in queue.top(limit):
        print(_line(item))
    print(queue.progress())
    print(queue.estimate.describe())


def as_json(folder, queue: ReviewQueue, limit: int) -> dict:
    return {
        "folder": str(folder),
        "items": [item.as_dict() for item in queue.top(limit)],
        "queued_seconds": len(queue.items),
        "reviewed_seconds": queue.reviewed_seconds,
        "total_seconds": queue.total_seconds,
        "estimated_accuracy": queue.estimate.as_dict(),
        "unannotated": queue.unannotated,
    }


def run(args) -> int:
    if args.limit < 0:
        print("error: --limit must be 0 or more", file=sys.stderr)
        return 2
    store, videos = open_project(args.folder)
    try:
        failures = annotate_missing(store, videos, args.model) if args.model else []
        queue = queue_from_store(store, level_of(args.model))
    finally:
        store.close()
    for failure in failures:
        print(f"  failed: {failure}", file=sys.stderr)
    if not queue.items and queue.unannotated and len(queue.unannotated) == len(videos):
        print(f"error: {_no_predictions(args.folder, queue)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(args.folder, queue, args.limit), indent=1))
    else:
        _print_table(queue, args.limit)
    if queue.unannotated:
        names = ", ".join(queue.unannotated[:5]) + (" …" if len(queue.unannotated) > 5 else "")
        print(
            f"not in the queue, no predictions yet: {len(queue.unannotated)} video(s) ({names})",
            file=sys.stderr,
        )
    if len(videos) == 1:
        print("note: a folder of one video; the queue is that video's seconds", file=sys.stderr)
    return 1 if failures else 0
