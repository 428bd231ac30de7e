"""What a cluster engine sends back from its workers: a labelled video's per-second rows with its
familiarity, attention and head outputs, as plain data (JSON; no pickle).

Only this crosses the object store, never decoded frames, audio or features: a 10 s video's
record is a few kB.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from ...core.media import MediaInfo
from ...core.table import PER_SECOND_COLUMNS
from ..pipeline import VideoAnnotation


def table_to_json(table: pd.DataFrame) -> dict:
    """The per-second rows, column by column; floats keep every bit (JSON numbers are exact
    for Python floats), NaN stays NaN."""
    return {column: table[column].tolist() for column in PER_SECOND_COLUMNS}


def table_from_json(columns: dict) -> pd.DataFrame:
    table = pd.DataFrame({column: columns[column] for column in PER_SECOND_COLUMNS})
    table["second"] = table["second"].astype(np.int64)
    for column in ("start", "end", "confidence", "audio_confidence", "visual_confidence"):
        table[column] = table[column].astype(np.float64)
    return table


def _array_to_json(values):
    """An array as JSON, every value exact (Python floats hold float32 and float64 values)."""
    if values is None:
        return None
    values = np.asarray(values)
    return {"dtype": str(values.dtype), "values": values.tolist()}


def _array_from_json(data):
    return None if data is None else np.asarray(data["values"], dtype=data["dtype"])


def annotation_to_record(annotation: VideoAnnotation) -> dict:
    """A labelled video as plain JSON data: its per-second rows, media info and warnings, and
    every per-second array the local engine gives (familiarity, attention, the calibrated
    probabilities and confidences of each head), so no engine's result is poorer than another's.
    """
    return {
        "table": table_to_json(annotation.table),
        "info": dataclasses.asdict(annotation.info),
        "warnings": list(annotation.warnings),
        "familiarity": _array_to_json(annotation.familiarity),
        "attention": _array_to_json(annotation.attention),
        "probabilities": {k: _array_to_json(v) for k, v in annotation.probabilities.items()},
        "confidences": {k: _array_to_json(v) for k, v in annotation.confidences.items()},
        "visual_decoding": annotation.visual_decoding,
    }


def annotation_from_record(record: dict) -> VideoAnnotation:
    return VideoAnnotation(
        table_from_json(record["table"]),
        MediaInfo(**record["info"]),
        attention=_array_from_json(record.get("attention")),
        warnings=record["warnings"],
        probabilities={k: _array_from_json(v) for k, v in record.get("probabilities", {}).items()},
        familiarity=_array_from_json(record.get("familiarity")),
        confidences={k: _array_from_json(v) for k, v in record.get("confidences", {}).items()},
        visual_decoding=record.get("visual_decoding", ""),
    )


def pack_annotation(annotation: VideoAnnotation) -> str:
    return json.dumps(annotation_to_record(annotation))


def unpack_annotation(text: str) -> VideoAnnotation:
    return annotation_from_record(json.loads(text))
