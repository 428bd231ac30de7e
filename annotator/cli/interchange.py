"""`export` and `import`: other tools' label files out of and into a project.

The import plan is printed in the dry run and the real run alike: per file, its events kept,
merged and lost to the per-second conversion (each lost one with its times), and how its media
were matched; the real run ends with the same count of lost events and their labels.
"""

from __future__ import annotations

from pathlib import Path

from ..core.formats import FORMATS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export", help="write a project's labels (or a per-second CSV's) in another tool's format"
    )
    p.add_argument("source", metavar="FOLDER_OR_CSV", help="a project folder or a per-second CSV")
    p.add_argument(
        "--format", required=True, choices=list(FORMATS), dest="fmt", help="the format to write"
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="file to write (a folder for audacity and eaf: one file per video)",
    )
    p.add_argument(
        "--literal-labels",
        action="store_true",
        help="write labels starting with = + - @ as they are in .tsv files (by default they get "
        "a leading apostrophe, as in the CSVs, so a spreadsheet cannot run them as formulas)",
    )
    p.set_defaults(func=run_export)
    p = sub.add_parser("import", help="read label files into a project folder as human labels")
    p.add_argument("files", nargs="+", metavar="FILE", help="label files to read")
    p.add_argument(
        "--into", required=True, metavar="FOLDER", help="the project folder (its videos)"
    )
    p.add_argument(
        "--format",
        default=None,
        choices=list(FORMATS),
        dest="fmt",
        help="the files' format (default: guessed from each file)",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    p.add_argument(
        "--add-classes",
        action="store_true",
        help="accept labels the project does not know yet as new classes",
    )
    p.add_argument(
        "--min-cover",
        default="0.5",
        metavar="FRACTION|any",
        help="the part of a second an event must cover to give it its label (default 0.5); "
        "'any' gives each second to an event that touches it, so short events are kept",
    )
    p.add_argument(
        "--tier",
        action="append",
        default=[],
        metavar="NAME",
        help="ELAN: a tier to import as human labels (repeatable; default: the first "
        "time-aligned tier)",
    )
    p.add_argument(
        "--video",
        default=None,
        metavar="NAME",
        help="the video a file about one video labels (a three-column DCASE list, an Audacity "
        "track), when its name does not say",
    )
    p.set_defaults(func=run_import)


def run_export(args) -> int:
    from ..core.label_export import export_labels

    result = export_labels(args.source, args.fmt, args.out, literal_labels=args.literal_labels)
    print(result.summary())
    for path in result.files:
        print(f"  {path}")
    return 0


def run_import(args) -> int:
    from ..core.formats import ReadOptions, parse_min_cover
    from ..core.label_import import apply_import, plan_import
    from ..core.media_files import collect_videos
    from ..core.store import ProjectStore, relative_video_name

    options = ReadOptions(parse_min_cover(args.min_cover), tuple(args.tier), args.video)
    folder = Path(args.into)
    if args.dry_run and not _has_store(folder):
        # A dry run leaves no trace: a folder without a project is planned against an empty one.
        store = ProjectStore(":memory:", folder)
    else:
        store = ProjectStore.for_folder(folder)
    try:
        files, _problems, _skipped = collect_videos([folder], recursive=False)
        videos = {relative_video_name(folder, path): path for path in files}
        plan = plan_import(store, videos, args.files, args.fmt, options=options)
        print("\n".join(plan.summary()))
        if args.dry_run:
            print("dry run: nothing changed")
            return 0
        edits = apply_import(store, plan, add_classes=args.add_classes)
        print(f"imported into {store.path} ({len(edits)} edit(s), one per video)")
        if plan.events_lost:
            print(plan.lost_summary())
    finally:
        store.close()
    return 0


def _has_store(folder: Path) -> bool:
    from ..core.store import PROJECT_DIR_NAME, STORE_FILE_NAME, fallback_store_path

    return (folder / PROJECT_DIR_NAME / STORE_FILE_NAME).exists() or fallback_store_path(
        folder
    ).exists()
