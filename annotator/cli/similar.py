"""`similar FOLDER --video V --second S [--to E] [--top K] [--stream both|audio|visual] [--json]`:
the seconds anywhere in the folder most like one second (or a span), by cosine on the cached
per-second embeddings (ml.similarity). Videos whose features are not cached yet are computed
first (with progress), so the search covers the whole folder; nothing is downloaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.errors import AnnotatorError
from ..ml.similarity import SEARCHES, STREAM_WORDS, Match


def add_parser(sub) -> None:
    p = sub.add_parser("similar", help="the most similar seconds anywhere in the folder")
    p.add_argument("folder", help="a folder of videos")
    p.add_argument("--video", required=True, help="the video (its name in the folder)")
    p.add_argument("--second", type=int, required=True, help="the second (0-based)")
    p.add_argument("--to", type=int, help="last second of a span to search from (inclusive)")
    p.add_argument("--top", type=int, default=20, help="how many seconds to list (default 20)")
    p.add_argument(
        "--stream", choices=SEARCHES, default="both", help="compare by sound, picture or both"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def _labels(folder, matches: list[Match]) -> dict:
    """The reviewed label (a person's, else the model's) of each match, where a store has one."""
    from ..core.store import ProjectStore
    from .interchange import _has_store

    if not _has_store(Path(folder)):  # a folder never opened as a project gets no store from this
        return {}
    try:
        store = ProjectStore.for_folder(folder)
    except AnnotatorError:
        return {}
    try:
        tables = {}
        for video in {m.video for m in matches}:
            try:
                table = store.reviewed_table(video)
            except AnnotatorError:
                continue
            tables[video] = dict(zip(table["second"], table["label"]))
        return {(m.video, m.second): tables.get(m.video, {}).get(m.second, "") for m in matches}
    finally:
        store.close()


def _query_seconds(args) -> list[int]:
    last = args.second if args.to is None else args.to
    if args.second < 0 or last < args.second:
        raise AnnotatorError(f"--second {args.second} --to {last}: not a span of seconds")
    return list(range(args.second, last + 1))


def run(args) -> int:
    from ..core.feature_cache import FeatureCache
    from ..ml.similarity import find_similar, library_embeddings, video_paths
    from .progress import ProgressBar

    if args.top < 1:
        print("error: --top must be 1 or more", file=sys.stderr)
        return 2
    videos = video_paths(args.folder)
    if args.video not in videos:
        raise AnnotatorError(f"{args.folder}: no video named {args.video!r} in this folder")
    seconds = _query_seconds(args)
    library = library_embeddings(
        videos, FeatureCache(), compute=True, progress=ProgressBar("features")
    )
    for name, reason in library.failed:
        print(f"not searched: {name}: {reason}", file=sys.stderr)
    if args.video in dict(library.failed):
        raise AnnotatorError(f"{args.video}: {dict(library.failed)[args.video]}")
    matches, used = find_similar(library, args.video, seconds, args.stream, args.top)
    labels = _labels(args.folder, matches)
    if args.stream == "both" and len(used) == 1:
        print(
            f"note: {args.video} has no {STREAM_WORDS[_other(used[0])]} there; "
            f"compared by {STREAM_WORDS[used[0]]} alone",
            file=sys.stderr,
        )
    if len(videos) == 1:
        print("note: a folder of one video; the matches are its own seconds", file=sys.stderr)
    if args.json:
        report = {
            "query": {"video": args.video, "seconds": seconds},
            "streams": used,
            "matches": [
                {**m.as_dict(), "label": labels.get((m.video, m.second), "")} for m in matches
            ],
        }
        print(json.dumps(report, indent=1))
        return 0
    print(f"like {args.video} {_span(seconds)}, by {' and '.join(STREAM_WORDS[s] for s in used)}:")
    for rank, m in enumerate(matches, start=1):
        label = labels.get((m.video, m.second), "")
        print(f"{rank:>3d}\t{m.video}\t{m.second:>4d} s\t{m.similarity:.3f}\t{label}")
    return 0


def _other(stream: str) -> str:
    return "visual" if stream == "audio" else "audio"


def _span(seconds: list[int]) -> str:
    return f"{seconds[0]} s" if len(seconds) == 1 else f"{seconds[0]}–{seconds[-1]} s"
