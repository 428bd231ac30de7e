"""What a project folder remembers of the reviewer's choices (the model for the next run, the
last export's path, format and scope), kept in its own store so it travels with the folder and
never leaks into another one.

Preferences are not content: writing one does not move the store's revision (other windows need
not reload) and a read-only window may write its own choice too. Values are JSON.
"""

from __future__ import annotations

import json
import sqlite3

_PREFIX = "preference:"


def read_preference(store, key: str, default=None):
    """The value stored under `key` for this project, or `default`."""
    row = store._db.execute("SELECT value FROM meta WHERE key=?", (_PREFIX + key,)).fetchone()
    if row is None:
        return default
    try:
        return json.loads(row[0])
    except json.JSONDecodeError:
        return default


def write_preference(store, key: str, value) -> bool:
    """Remember `value` (JSON-able) under `key`; False when the store could not be written
    (a preference lost is not worth an error box)."""
    try:
        with store._transaction(content=False) as db:
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", (_PREFIX + key, json.dumps(value))
            )
    except sqlite3.Error:
        return False
    return True
