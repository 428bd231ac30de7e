"""What every label format shares: the labels it writes, the events it reads, and its interface.

A format reads a file into `Event`s (intervals, or single seconds for per-second files) naming
their videos as the file does; `seconds.py` turns them into per-second labels once the videos
are known. It writes `VideoLabels`: one video's per-second labels with who gave each one.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import pandas as pd

from ..conventions import BACKGROUND
from ..errors import AnnotatorError
from ..table import second_spans

HUMAN, MODEL = "human", "model"
SNIFF_BYTES = 64 * 1024


class LabelFileError(AnnotatorError):
    """A label file cannot be read or written; the message names the file and the line or
    element."""


@dataclass
class VideoLabels:
    """One video's per-second labels: `labels[s]` is None where nobody labelled second s."""

    path: Path  # the media file
    duration: float
    labels: list[str | None]
    sources: list[str]  # "human" or "model" per second ("" where unlabelled)
    table: pd.DataFrame | None = None  # the full per-second rows (CSV keeps the model's columns)
    model: str = ""  # bundle-name@version of the model labels, when known

    def __post_init__(self):
        self.path = Path(self.path)
        if len(self.labels) != len(second_spans(self.duration)) or len(self.sources) != len(
            self.labels
        ):
            raise ValueError(
                f"{self.path}: {len(self.labels)} labels and {len(self.sources)} "
                f"sources for {len(second_spans(self.duration))} seconds"
            )


@dataclass
class Run:
    """Consecutive seconds with one label: start/end in seconds, the last ending at the duration."""

    start: float
    end: float
    label: str
    source: str
    first: int  # first second
    last: int  # last second (inclusive)


def runs(
    video: VideoLabels,
    keep: Callable[[str, str], bool] = lambda label, source: True,
    by_source: bool = True,
) -> list[Run]:
    """Merge equal consecutive labels (and sources, when `by_source`) that `keep` accepts."""
    spans = second_spans(video.duration)
    merged: list[Run] = []
    for second, (label, source) in enumerate(zip(video.labels, video.sources)):
        if label is None or not keep(label, source):
            continue
        previous = merged[-1] if merged else None
        if (
            previous
            and previous.last == second - 1
            and previous.label == label
            and (previous.source == source or not by_source)
        ):
            previous.end, previous.last = spans[second][1], second
            if source == HUMAN:
                previous.source = HUMAN  # a merged run is a person's if any second is
            continue
        merged.append(Run(spans[second][0], spans[second][1], label, source, second, second))
    return merged


def event_runs(video: VideoLabels) -> list[Run]:
    """The events of an event list: runs of non-background labels, whoever gave them."""
    return runs(video, lambda label, _source: label != BACKGROUND, by_source=False)


@dataclass
class ExportOptions:
    """How to write: labels as they are (else spreadsheet-safe in .tsv files), and the videos
    whose Label Studio regions are audio regions (they came in that way)."""

    literal_labels: bool = False
    audio_regions: frozenset[str] = frozenset()  # video file names


@dataclass
class Event:
    """A labelled interval (or one second, for per-second files) as a file states it."""

    video: str  # as the file names it; "" for a file that holds one video
    start: float
    end: float
    label: str
    source: str = HUMAN
    where: str = ""  # "line 12", "tier human labels, annotation a3"
    second: int | None = None  # per-second files: the second itself, no interval arithmetic


@dataclass
class ParsedFile:
    """What a file says, before its videos are matched to the project's."""

    path: Path
    events: list[Event] = field(default_factory=list)
    videos: dict[str, str] = field(default_factory=dict)  # video reference -> where it is named
    fills_background: bool = False  # an event list: seconds it does not cover are background
    fill_sources: dict[str, str] = field(default_factory=dict)  # video -> source of that fill
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # more references to try
    notes: list[str] = field(default_factory=list)
    sound: set[str] = field(default_factory=set)  # references labelled as sound (audio regions)

    def name_video(self, reference: str, where: str) -> None:
        self.videos.setdefault(reference, where)

    def add(self, event: Event) -> None:
        self.name_video(event.video, event.where)
        self.events.append(event)


class LabelFormat:
    """The interface every format module implements (and registers in formats/__init__)."""

    name = ""  # the --format value
    title = ""  # shown in menus and the README table
    suffix = ""  # of the written file(s)
    one_file_per_video = False
    reads_sources = False  # the file says which labels a person gave (else all are human)

    def can_read(self, path: Path) -> bool:
        """Whether the file looks like this format (from its name and first bytes only)."""
        raise NotImplementedError

    def parse(self, path: Path) -> ParsedFile:
        """The file's events; LabelFileError naming the line or element if it is malformed."""
        raise NotImplementedError

    def parse_with(self, path: Path, options) -> ParsedFile:
        """`parse`, for formats whose reading takes options (ELAN's tiers); see ReadOptions."""
        return self.parse(path)

    def write(self, videos: list[VideoLabels], out: Path) -> list[Path]:
        """Write the videos' labels to `out` (a file, or a folder for one file per video);
        returns the files written."""
        raise NotImplementedError

    def write_with(self, videos: list[VideoLabels], out: Path, options) -> list[Path]:
        """`write`, for formats whose writing takes ExportOptions."""
        return self.write(videos, out)


# ---- helpers shared by the format modules --------------------------------------------------------


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (a BOM allowed), or UTF-16 when a BOM says so (spreadsheets save "Unicode text"
    that way); LabelFileError naming the first undecodable byte otherwise."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LabelFileError(
                f"{path}: UTF-16 text with a broken character at byte {exc.start}"
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LabelFileError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}; Latin-1 or another legacy encoding?): save the file as UTF-8"
        ) from exc


def read_text(path: Path) -> str:
    """The file as text (see decode_text); LabelFileError if missing, empty or binary."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    text = decode_text(data, path)
    if not text.strip():
        raise LabelFileError(f"{path}: empty file: no labels to import")
    return text


def sniff(path: Path) -> str:
    """The first bytes of a file as text, for `can_read` ('' when unreadable)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return ""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    return head.decode("utf-8-sig", errors="replace")


def first_line(text: str) -> str:
    return text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")


def parse_time(text: str, path: Path, where: str, what: str = "time") -> float:
    """A time in seconds; a decimal comma is accepted (some locales write one)."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise LabelFileError(f"{path}: {where}: {what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise LabelFileError(f"{path}: {where}: {what} {text.strip()!r} is not a finite number")
    return value


def check_label(label: str, path: Path, where: str) -> str:
    label = label.strip()
    if not label:
        raise LabelFileError(f"{path}: {where}: empty label")
    return label


def write_text_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file in the same folder, then rename: never a half-written file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise LabelFileError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def per_video_paths(videos: list[VideoLabels], folder: Path, suffix: str) -> list[Path]:
    """One file per video in `folder`, named after the video; equal names get -2, -3…"""
    taken: dict[str, int] = {}
    paths = []
    for video in videos:
        stem = video.path.stem or "video"
        count = taken.get(stem.casefold(), 0) + 1
        taken[stem.casefold()] = count
        paths.append(
            Path(folder) / (f"{stem}{suffix}" if count == 1 else f"{stem}-{count}{suffix}")
        )
    return paths


def out_folder(out: Path) -> Path:
    """The folder a one-file-per-video format writes into; it must not be an existing file."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LabelFileError(
            f"{out}: is a file; this format writes one file per video, so --out must be a folder"
        )
    return out
