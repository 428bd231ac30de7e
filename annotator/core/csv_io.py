"""Reading and writing the per-second and segments CSV files.

Writes are atomic (a temporary file renamed into place) so an interrupted export never leaves a
half-written file, and text cells are made safe for spreadsheets: a cell starting with = + - @
gets a leading apostrophe so it cannot become a formula. Reading removes that apostrophe again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_write
from .errors import DataSpecError
from .table import PER_SECOND_COLUMNS, SEGMENT_COLUMNS

_TEXT_COLUMNS = ("video", "label", "audio_label", "visual_label", "model", "source")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FLOAT_DECIMALS = {
    "start": 3,
    "end": 3,
    "confidence": 4,
    "audio_confidence": 4,
    "visual_confidence": 4,
}


def _neutralise(cell):
    # A cell that already starts with apostrophes before a formula character gets one more, so
    # reading gives back exactly what was written (a label "'=" stays "'=").
    if isinstance(cell, str) and cell.lstrip("'").startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def _restore(cell):
    if (
        isinstance(cell, str)
        and cell.startswith("'")
        and cell[1:].lstrip("'").startswith(_FORMULA_STARTS)
    ):
        return cell[1:]
    return cell


def _prepare_for_csv(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame[columns].copy()
    for column in columns:
        if column in _TEXT_COLUMNS:
            out[column] = out[column].fillna("").astype(str).map(_neutralise)
        elif column in _FLOAT_DECIMALS:
            out[column] = pd.to_numeric(out[column]).round(_FLOAT_DECIMALS[column])
    return out


def write_csv_atomic(frame: pd.DataFrame, path, columns: list[str]) -> Path:
    """Write `frame[columns]` to `path` atomically (see core.atomic)."""
    path = Path(path)
    safe = _prepare_for_csv(frame, columns)
    with atomic_write(path) as handle:
        safe.to_csv(handle, index=False)
    return path


def write_per_second_csv(table: pd.DataFrame, path) -> Path:
    return write_csv_atomic(table, path, PER_SECOND_COLUMNS)


def write_segments_csv(segments: pd.DataFrame, path) -> Path:
    return write_csv_atomic(segments, path, SEGMENT_COLUMNS)


def read_per_second_csv(path) -> pd.DataFrame:
    """Read a per-second CSV, checking its columns; text cells come back as plain strings."""
    path = Path(path)
    try:
        frame = pd.read_csv(
            path,
            dtype={c: str for c in _TEXT_COLUMNS},
            keep_default_na=False,
            na_values={c: [""] for c in _FLOAT_DECIMALS},
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataSpecError(f"{path}: cannot read as a per-second CSV ({exc})") from exc
    missing = [c for c in ("video", "second", "label") if c not in frame.columns]
    if missing:
        raise DataSpecError(
            f"{path}: missing columns {', '.join(missing)}; expected {','.join(PER_SECOND_COLUMNS)}"
        )
    for column in PER_SECOND_COLUMNS:
        if column not in frame.columns:
            frame[column] = "" if column in _TEXT_COLUMNS else np.nan
    for column in _TEXT_COLUMNS:
        frame[column] = frame[column].astype(str).map(_restore)
    frame["second"] = pd.to_numeric(frame["second"]).astype(np.int64)
    return frame[PER_SECOND_COLUMNS]
