"""What a cluster engine sends between its stages: a prepared video's per-second features, and a
labelled video's per-second rows, as plain data (npz arrays and JSON; no pickle).

Only these cross the object store, never decoded frames or audio: a 10 s video's features are
about 300 kB (log-mel patches and embeddings), its rows a few kB.
"""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pandas as pd

from ...core.features import VideoFeatures
from ...core.media import MediaInfo
from ...core.table import PER_SECOND_COLUMNS
from ..pipeline import PreparedVideo, VideoAnnotation

_FEATURE_ARRAYS = ("log_mel", "audio_present", "visual", "visual_present")


def pack_prepared(prepared: PreparedVideo) -> bytes:
    """A prepared video as one npz: its feature arrays, and its media info and warnings as JSON."""
    features = prepared.features
    arrays = {
        name: getattr(features, name)
        for name in _FEATURE_ARRAYS
        if getattr(features, name) is not None
    }
    meta = {
        "path": prepared.path,
        "duration": features.duration,
        "video": features.video,
        "info": dataclasses.asdict(prepared.info),
        "warnings": list(prepared.warnings),
    }
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return buffer.getvalue()


def unpack_prepared(data: bytes) -> PreparedVideo:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        meta = json.loads(str(npz["meta"]))
        arrays = {name: npz[name] for name in _FEATURE_ARRAYS if name in npz.files}
    features = VideoFeatures(video=meta["video"], duration=meta["duration"], **arrays)
    return PreparedVideo(meta["path"], MediaInfo(**meta["info"]), features, meta["warnings"])


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


def pack_annotation(annotation: VideoAnnotation) -> str:
    return json.dumps(
        {
            "table": table_to_json(annotation.table),
            "info": dataclasses.asdict(annotation.info),
            "warnings": list(annotation.warnings),
        }
    )


def unpack_annotation(text: str) -> VideoAnnotation:
    record = json.loads(text)
    return VideoAnnotation(
        table_from_json(record["table"]), MediaInfo(**record["info"]), warnings=record["warnings"]
    )
