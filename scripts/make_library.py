"""Build a video library for measuring the app and `annotate` at scale (issue 18).

A real library is not a flat folder of clips: it has nested folders, names with spaces and
non-ASCII letters, thousands of files and recordings hours long. This script builds one from the
sample clips without using much disk:

- N video files, each a hard link of a sample clip (a copy where the file system refuses hard
  links), spread over nested folders (one to three levels, a few files per folder), with spaces
  and unicode in folder and file names;
- optionally long recordings (`--long MINUTES`, repeatable): the samples concatenated in turn
  until the length is reached, by ffmpeg's concat demuxer without re-encoding (seconds of work
  for two hours), written under `long recordings/`.

    python scripts/make_library.py OUT --files 2000 [--long 20 --long 120] [--seed 0]
                                   [--samples resources/samples] [--per-folder 1-5]

OUT must not exist or be empty. Prints one JSON line: the root, the number of files and folders,
and the long recordings with their durations. The layout depends only on --files and --seed, so
two runs with the same arguments give the same paths.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from annotator.core.media import ffmpeg_exe, probe  # noqa: E402
from annotator.core.media_files import MEDIA_EXTENSIONS  # noqa: E402

DEFAULT_SAMPLES = PROJECT_ROOT / "resources" / "samples"
LONG_FOLDER = "long recordings"

# Names a user's library really has: spaces, accents, other scripts, emoji, punctuation.
TOP_FOLDERS = ["Holidays 2019", "Année 2024", "家族ビデオ", "Field recordings", "Été à Zürich"]
MID_FOLDERS = ["day 01", "Día de campo", "Ωmega tests", "concert – live", "старые плёнки", "misc"]
LEAF_FOLDERS = ["cam A", "cam B", "phone", "drone ✈", "backup (1)"]
FILE_STEMS = ["clip", "Aufnahme", "vidéo", "録画", "take ✓", "my video"]


def sample_clips(folder: Path) -> list[Path]:
    clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA_EXTENSIONS)
    if not clips:
        raise SystemExit(f"{folder}: no sample videos")
    return clips


def folder_for(rng: random.Random, index: int) -> Path:
    """A nested folder one to three levels deep, its name drawn from the lists above."""
    parts = [f"{rng.choice(TOP_FOLDERS)}"]
    depth = rng.choice([1, 2, 2, 3, 3])
    if depth >= 2:
        parts.append(f"{rng.choice(MID_FOLDERS)} {rng.randint(1, 40):02d}")
    if depth >= 3:
        parts.append(rng.choice(LEAF_FOLDERS))
    return Path(*parts)


def link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def make_short_files(out: Path, clips: list[Path], count: int, per_folder: tuple[int, int], seed):
    """Place `count` links of the samples in nested folders; returns (files, folders) made."""
    rng = random.Random(seed)
    made, folders = 0, set()
    while made < count:
        folder = out / folder_for(rng, made)
        folder.mkdir(parents=True, exist_ok=True)
        folders.add(folder)
        for _ in range(min(rng.randint(*per_folder), count - made)):
            clip = clips[made % len(clips)]
            name = f"{rng.choice(FILE_STEMS)} {made:05d}{clip.suffix}"
            link_or_copy(clip, folder / name)
            made += 1
    return made, len(folders)


def make_long_recording(out: Path, clips: list[Path], minutes: float) -> Path:
    """The samples concatenated in turn to `minutes`, stream-copied (no re-encoding)."""
    seconds = minutes * 60.0
    durations = [probe(clip).duration for clip in clips]
    entries, total, index = [], 0.0, 0
    while total < seconds:
        entries.append(clips[index % len(clips)])
        total += durations[index % len(clips)]
        index += 1
    folder = out / LONG_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"recording {minutes:g} min – ünïcode.mp4"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        for clip in entries:
            quoted = str(clip.resolve()).replace("'", "'\\''")
            listing.write(f"file '{quoted}'\n")
    try:
        command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0"]
        command += ["-i", listing.name, "-t", f"{seconds:.3f}", "-c", "copy", str(target)]
        subprocess.run(command, check=True)
    finally:
        os.unlink(listing.name)
    return target


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create (must not exist or be empty)")
    parser.add_argument("--files", type=int, default=200, help="short video files (default 200)")
    parser.add_argument(
        "--long",
        type=float,
        action="append",
        default=[],
        metavar="MINUTES",
        help="add a long recording of this many minutes (repeatable)",
    )
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--per-folder", default="1-5", metavar="MIN-MAX", help="files per folder (default 1-5)"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    low, _, high = args.per_folder.partition("-")
    per_folder = (int(low), int(high or low))
    if args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"{args.out}: exists and is not empty")
    args.out.mkdir(parents=True, exist_ok=True)
    clips = sample_clips(args.samples)
    files, folders = make_short_files(args.out, clips, args.files, per_folder, args.seed)
    long_ones = []
    for minutes in args.long:
        path = make_long_recording(args.out, clips, minutes)
        long_ones.append({"path": str(path), "duration": round(probe(path).duration, 2)})
    report = {"root": str(args.out), "files": files, "folders": folders, "long": long_ones}
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
