"""`annotate PATH...`: label every second of videos (files or folders) into a per-second CSV.

Built for libraries: each finished video's rows go to a journal beside the CSV at once
(core/finished_videos.py), so Ctrl-C loses no finished video and running the same command again
labels only the rest; the CSV is then assembled from the journal one video at a time, so memory
does not grow with the number of files. Inside a long video a line of progress appears every few
seconds, and its features are cached a minute at a time, so a re-run resumes where it stopped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.locations import exports_dir
from ..ml.engines import ENGINES, engine_names
from .cache import size_argument
from .progress import ProgressBar, VideoProgress


def add_parser(sub) -> None:
    p = sub.add_parser("annotate", help="label every second of videos (files or folders)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="video files and folders to label")
    p.add_argument(
        "--model",
        default=None,
        help="bundle name under models/ or a path (default: the best installed bundle)",
    )
    p.add_argument(
        "--out",
        default=str(exports_dir() / "annotations.csv"),
        help="per-second CSV to write (default: exports/annotations.csv)",
    )
    p.add_argument("--segments", default=None, help="also write merged segments to this CSV")
    p.add_argument("--recursive", action="store_true", help="descend into sub-folders")
    p.add_argument("--jobs", type=int, default=2, help="videos decoded in parallel (default 2)")
    p.add_argument("--no-cache", action="store_true", help="recompute features (honest timing)")
    p.add_argument(
        "--cache-limit",
        type=size_argument,
        default=None,
        metavar="SIZE",
        help="feature cache size limit, e.g. 20G (default: $AV_ANNOTATOR_CACHE_LIMIT or 20G); "
        "the least recently used features are evicted past it",
    )
    p.add_argument(
        "--engine",
        choices=engine_names(),
        default="local",
        help="; ".join(f"{e.name}: {e.help}" for e in ENGINES.values()),
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="RAY_ADDRESS",
        help="with --engine ray: join this cluster (HOST:PORT, ray://HOST:PORT or "
        "auto); without it a local cluster of --jobs CPUs runs the batch",
    )
    p.set_defaults(func=run)


def _run_batch(args, files, bundle, out: Path, journal):
    """The chosen engine over the files; a BatchResult whose `videos` are all in the journal."""
    from ..core.feature_cache import FeatureCache
    from ..core.paths import video_path_relative_to
    from ..ml.engines import run_engine

    return run_engine(
        args.engine,
        files,
        bundle,
        jobs=args.jobs,
        address=args.address,
        cache=FeatureCache(limit=args.cache_limit),
        use_cache=not args.no_cache,
        progress=ProgressBar("annotate"),
        name_for=lambda p: video_path_relative_to(p, out),
        journal=journal,
        video_progress=VideoProgress("annotate"),
    )


def run(args) -> int:
    from ..core.finished_videos import FinishedVideos, journal_folder
    from ..core.media_files import collect_videos
    from ..ml.bundle import default_bundle_name, load_bundle

    if args.address and not ENGINES[args.engine].takes_address:
        joining = " or ".join(e.name for e in ENGINES.values() if e.takes_address)
        print(f"error: --address needs --engine {joining}", file=sys.stderr)
        return 2
    bundle = load_bundle(args.model or default_bundle_name())
    files, failures, skipped = collect_videos(args.paths, args.recursive)
    out = Path(args.out)
    journal = FinishedVideos(journal_folder(out), bundle.tag)
    print(
        f"annotating {len(files)} file(s) with {bundle.tag} ({bundle.architecture})",
        file=sys.stderr,
    )
    try:
        result = _run_batch(args, files, bundle, out, journal)
    except KeyboardInterrupt:
        _say_what_is_kept(journal)
        raise
    result.failures = failures + result.failures
    names = [video.name for video in result.videos]
    rows = journal.write_csv(names, out)
    if args.segments:
        journal.write_segments(names, args.segments)
    if not result.cancelled:  # every finished video's rows are in the CSV now
        journal.remove()
    print_summary(result, rows, out, args.segments, skipped)
    return 0 if result.ok else 1


def _say_what_is_kept(journal) -> None:
    kept = len(list(journal.folder.glob("*.csv"))) if journal.folder.is_dir() else 0
    if kept:
        print(
            f"{kept} finished video(s) kept in {journal.folder}; run the same command again "
            "to label only the rest",
            file=sys.stderr,
        )


def print_summary(result, rows: int, out, segments, skipped) -> None:
    for video in result.videos:
        for warning in video.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {rows} rows for {len(result.videos)} video(s) to {out}")
    if segments:
        print(f"wrote segments to {segments}")
    for video in result.videos:
        earlier = ", finished by an earlier run" if video.resumed else ""
        print(
            f"  {video.name}: {video.seconds} s, mostly {video.main_label} "
            f"({video.event_seconds} event seconds{earlier})"
        )
    if result.resumed:
        print(
            f"resumed: {result.resumed} video(s) finished by an interrupted run were kept; "
            f"the model ran on {len(result.videos) - result.resumed}"
        )
    print(familiarity_summary(result.videos))
    if skipped:
        print(f"skipped {len(skipped)} non-media file(s) by extension", file=sys.stderr)
    if result.failures:
        print(f"{len(result.failures)} input(s) failed:", file=sys.stderr)
        for path, reason in result.failures:
            print(f"  {path}: {reason}", file=sys.stderr)
    if result.cancelled:
        print("cancelled: the rows above are the videos finished before the stop", file=sys.stderr)


def familiarity_summary(videos) -> str:
    """One line: how much of the batch is unlike the model's training data."""
    scored = [v for v in videos if v.unfamiliar_seconds is not None]
    if not scored:
        return "familiarity: not scored (the bundle has no familiarity summary; run `calibrate`)"
    seconds = sum(v.seconds for v in scored)
    unfamiliar = sum(v.unfamiliar_seconds for v in scored)
    warned = sum(
        1 for v in scored if any("unlike the model's training data" in w for w in v.warnings)
    )
    share = 100 * unfamiliar / max(seconds, 1)
    return (
        f"familiarity: {unfamiliar} of {seconds} s ({share:.0f} %) unlike the model's "
        f"training data; {warned} of {len(scored)} video(s) warned"
    )
