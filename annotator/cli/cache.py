"""`cache`: what the feature cache holds, against its limit; `--prune` and `--clear` free room.

The cache keeps every video's per-second features (about 100 MB per hour of video) so a second
model or a re-run never decodes a video again. It has a size limit (default 20 GB; set it with
`AV_ANNOTATOR_CACHE_LIMIT` or `--limit`), past which the least recently used entries go.
"""

from __future__ import annotations

import argparse
import json

from ..core.feature_cache import LIMIT_ENV, FeatureCache, format_size, parse_size
from ..core.errors import AnnotatorError


def size_argument(text: str) -> int:
    """argparse type for a size such as 20G, 500M or a number of bytes."""
    try:
        return parse_size(text)
    except AnnotatorError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub) -> None:
    p = sub.add_parser(
        "cache", help="show the feature cache's size and limit; --prune or --clear to free room"
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument(
        "--prune",
        action="store_true",
        help="evict the least recently used entries down to the limit",
    )
    action.add_argument("--clear", action="store_true", help="remove every entry")
    p.add_argument(
        "--limit",
        type=size_argument,
        default=None,
        metavar="SIZE",
        help=f"the limit to report and prune to, e.g. 5G (default: ${LIMIT_ENV} or 20G)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    cache = FeatureCache(limit=args.limit)
    before = cache.usage()
    if args.clear:
        after = cache.clear()
    elif args.prune:
        after = cache.prune()
    else:
        after = before
    report = {
        "folder": str(cache.root),
        "bytes": after.bytes,
        "entries": after.entries,
        "limit_bytes": cache.limit,
        "freed_bytes": before.bytes - after.bytes,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    share = 100 * after.bytes / cache.limit if cache.limit else 0
    print(f"feature cache: {cache.root}")
    print(
        f"  {format_size(after.bytes)} in {after.entries} entries "
        f"(limit {format_size(cache.limit)}, {share:.0f} % used)"
    )
    if args.prune or args.clear:
        print(f"  freed {format_size(before.bytes - after.bytes)}")
    return 0
