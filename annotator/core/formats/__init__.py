"""Label formats: the tool's own CSVs and the formats of the tools people already label with.

Each format is one module with one `LabelFormat` (can_read / parse / read / write); this registry
names them for `--format` and guesses a file's format from its first bytes. A new format is one
new module and one line here. Shared by all: `catalog` (which video a file means), `seconds` (from
events to per-second labels, every event accounted for); some formats keep a helper beside them
(`elan_tiers`, `boris_tabular`, `labelstudio_config`).
"""

from __future__ import annotations

from pathlib import Path

from .audacity import AudacityLabels
from .base import LabelFileError, LabelFormat, VideoLabels
from .boris import BorisAggregatedEvents
from .dcase import DcaseEventList
from .elan import ElanDocument
from .labelstudio import LabelStudioJson
from .per_second_csv import PerSecondCsv
from .catalog import VideoCatalog
from .seconds import ReadOptions, ReadResult, ReadVideo, parse_min_cover
from .segments_csv import SegmentsCsv

# The order is the order of guessing: the most particular first, Audacity's bare numbers last.
FORMATS: dict[str, LabelFormat] = {
    f.name: f
    for f in (
        PerSecondCsv(),
        SegmentsCsv(),
        DcaseEventList(),
        AudacityLabels(),
        ElanDocument(),
        BorisAggregatedEvents(),
        LabelStudioJson(),
    )
}
_GUESS_ORDER = ("eaf", "labelstudio", "csv", "segments", "boris", "dcase", "audacity")

__all__ = [
    "FORMATS",
    "LabelFileError",
    "LabelFormat",
    "ReadOptions",
    "ReadResult",
    "ReadVideo",
    "VideoCatalog",
    "VideoLabels",
    "format_named",
    "guess_format",
    "parse_min_cover",
]


def format_named(name: str) -> LabelFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise LabelFileError(f"unknown format {name!r}; one of {', '.join(FORMATS)}") from None


def guess_format(path) -> LabelFormat:
    """The format a file looks like; LabelFileError when it looks like none."""
    path = Path(path)
    if not path.is_file():
        raise LabelFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise LabelFileError(f"{path}: empty file: no labels to import")
    for name in _GUESS_ORDER:
        if FORMATS[name].can_read(path):
            return FORMATS[name]
    raise LabelFileError(
        f"{path}: cannot tell its format from its first line; give --format ({', '.join(FORMATS)})"
    )
