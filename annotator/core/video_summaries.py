"""Per-video summaries kept in the project store: what the video list shows of each video.

A library of thousands of videos must open and sort without reading every video's predictions,
so the store keeps, per video, its main label, its "label next" worth and its reviewed seconds
in a table of their own. Triggers on the predictions and human labels delete a video's summary
whenever either changes, whoever writes (the app, `import`, a class rename), so a summary is
either right or missing, never stale; the store recomputes it in the transaction that made the
change, and a reader fills the missing ones (a store written before this table existed).

The "label next" worth counts how few human labels each class has (core.suggestions): a
summary is scored with the counts of its own last change, so a label given in one video does
not rescore the other thousands (the difference is the rare-class term of a few classes).
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from .suggestions import UNANNOTATED_WORTH, video_worth
from .table import main_label

SUMMARY_SCHEMA = """
CREATE TABLE IF NOT EXISTS video_summary (
    video TEXT PRIMARY KEY REFERENCES videos(video) ON DELETE CASCADE,
    main_label TEXT NOT NULL,
    label_next REAL NOT NULL,
    reviewed_seconds INTEGER NOT NULL
) WITHOUT ROWID;
"""

# One trigger per table and change: any write to a video's predictions or human labels makes
# its summary missing (recomputed by the store before the transaction ends, or by a reader).
_WATCHED = {
    "predictions": ("INSERT", "DELETE", "UPDATE"),
    "human_labels": ("INSERT", "DELETE", "UPDATE"),
}


def _triggers() -> str:
    statements = []
    for table, changes in _WATCHED.items():
        for change in changes:
            rows = {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}[change]
            body = " ".join(f"DELETE FROM video_summary WHERE video={row}.video;" for row in rows)
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_{change.lower()}_summary "
                f"AFTER {change} ON {table} BEGIN {body} END;"
            )
    return "\n".join(statements)


SUMMARY_TRIGGERS = _triggers()

# The columns of one summary row as the store hands it out (with the video's own columns).
SUMMARY_QUERY = (
    "SELECT v.video, v.duration, v.status, v.reason, v.model, "
    "s.main_label, s.reviewed_seconds, s.label_next "
    "FROM videos v LEFT JOIN video_summary s ON s.video = v.video"
)
SUMMARY_FIELDS = (
    "video",
    "duration",
    "status",
    "reason",
    "model",
    "main_label",
    "edited_seconds",
    "label_next",
)


def labelled_seconds(db: sqlite3.Connection) -> dict[str, int]:
    """Human-labelled seconds per label over the project (the rare-class counts)."""
    return dict(db.execute("SELECT label, COUNT(*) FROM human_labels GROUP BY label"))


# The prediction columns the doubt score reads (core/doubt.py), besides the familiarity table.
_DOUBT_INPUTS = (
    "second",
    "label",
    "confidence",
    "audio_label",
    "audio_confidence",
    "visual_label",
    "visual_confidence",
)


def summarise(db: sqlite3.Connection, video: str, counts: dict[str, int]) -> tuple:
    """(main label, label-next worth, reviewed seconds) of one video from what the store holds."""
    rows = db.execute(
        f"SELECT {', '.join(_DOUBT_INPUTS)} FROM predictions WHERE video=? ORDER BY second",
        (video,),
    ).fetchall()
    human = dict(db.execute("SELECT second, label FROM human_labels WHERE video=?", (video,)))
    if not rows and not human:
        return "", UNANNOTATED_WORTH, 0
    labels = {row[0]: row[1] for row in rows}
    labels.update(human)
    predictions = pd.DataFrame(rows, columns=list(_DOUBT_INPUTS))
    familiar = [
        r[0]
        for r in db.execute("SELECT value FROM familiarity WHERE video=? ORDER BY second", (video,))
    ]
    familiarity = np.asarray(familiar, dtype=float) if familiar else None
    worth = video_worth(predictions, human, counts, familiarity)
    return main_label(labels.values()), worth, len(human)


def write_summaries(db: sqlite3.Connection, videos, counts: dict[str, int] | None = None) -> None:
    """Recompute and store the summaries of `videos`, inside the caller's transaction."""
    counts = labelled_seconds(db) if counts is None else counts
    db.executemany(
        "INSERT OR REPLACE INTO video_summary VALUES (?, ?, ?, ?)",
        [(video, *summarise(db, video, counts)) for video in videos],
    )


def write_empty_summaries(db: sqlite3.Connection, videos) -> None:
    """The summary of a video with neither predictions nor human labels (a newly registered
    one): nothing known yet, worth a look. A video with either keeps its missing summary."""
    db.executemany(
        "INSERT OR IGNORE INTO video_summary SELECT ?, '', ?, 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM predictions WHERE video=?) "
        "AND NOT EXISTS (SELECT 1 FROM human_labels WHERE video=?)",
        [(video, UNANNOTATED_WORTH, video, video) for video in videos],
    )


def missing_summaries(db: sqlite3.Connection, limit: int | None = None) -> list[str]:
    """Videos whose summary is missing (changed by a writer that did not recompute it)."""
    query = (
        "SELECT v.video FROM videos v LEFT JOIN video_summary s ON s.video = v.video "
        "WHERE s.video IS NULL ORDER BY v.video"
    )
    if limit is not None:
        query += f" LIMIT {int(limit)}"
    return [row[0] for row in db.execute(query)]


def summary_rows(db: sqlite3.Connection, video: str | None = None) -> list[dict]:
    """Every video's row (or one video's), its summary fields None where it is missing."""
    query = SUMMARY_QUERY + (" WHERE v.video=?" if video is not None else " ORDER BY v.video")
    rows = db.execute(query, (video,) if video is not None else ()).fetchall()
    return [dict(zip(SUMMARY_FIELDS, row)) for row in rows]
