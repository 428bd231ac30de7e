"""One writer per project: a lease row in the store itself, so it holds across processes and
across machines that open the same folder (on a shared drive SQLite's own locks guard the row).

A window that opens a folder claims the lease; while it lives it renews the lease's heartbeat.
Another window (or another machine) that finds a live lease opens the folder read-only and
follows the writer's edits. A lease whose heartbeat is older than STALE_AFTER_SECONDS, or whose
process is gone on this same machine, is free to take: a crash never locks a folder for good.
A holder that lost its lease (it slept past the stale time and someone took over) finds out on
its next write, which is refused inside the same transaction that would have made it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from dataclasses import dataclass

LEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS writer (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    token TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    holder TEXT NOT NULL,
    since REAL NOT NULL,
    heartbeat REAL NOT NULL
);
"""
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0


def this_host() -> str:
    return socket.gethostname()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists but belongs to someone else
    return True


@dataclass(frozen=True)
class Writer:
    """Who holds a project's lease."""

    token: str
    host: str
    pid: int
    holder: str
    since: float
    heartbeat: float

    def is_live(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if now - self.heartbeat > STALE_AFTER_SECONDS:
            return False
        return self.host != this_host() or _process_alive(self.pid)

    def describe(self) -> str:
        where = "this computer" if self.host == this_host() else self.host
        return (
            f"{self.holder} on {where} (process {self.pid}, since "
            f"{time.strftime('%H:%M', time.localtime(self.since))})"
        )


def read_writer(db: sqlite3.Connection) -> Writer | None:
    """The lease as stored (live or not)."""
    row = db.execute(
        "SELECT token, host, pid, holder, since, heartbeat FROM writer WHERE slot=1"
    ).fetchone()
    return Writer(*row) if row else None


def claim(db: sqlite3.Connection, token: str, holder: str) -> Writer | None:
    """Take the lease for `token` unless someone else holds a live one, which is returned.
    Call inside a write transaction, so two claimants cannot both win."""
    current = read_writer(db)
    if current is not None and current.token != token and current.is_live():
        return current
    now = time.time()
    since = current.since if current is not None and current.token == token else now
    db.execute(
        "INSERT OR REPLACE INTO writer VALUES (1, ?, ?, ?, ?, ?, ?)",
        (token, this_host(), os.getpid(), holder, since, now),
    )
    return None


def renew(db: sqlite3.Connection, token: str) -> bool:
    """Move the heartbeat on; False when the lease is no longer `token`'s."""
    cursor = db.execute(
        "UPDATE writer SET heartbeat=? WHERE slot=1 AND token=?", (time.time(), token)
    )
    return cursor.rowcount == 1


def release(db: sqlite3.Connection, token: str) -> None:
    db.execute("DELETE FROM writer WHERE slot=1 AND token=?", (token,))


class OneWriter:
    """The project store's part in the lease and its revision (mixed into ProjectStore, which
    provides `_db`, `_transaction`, `path` and `folder`)."""

    _token: str | None = None  # set once this store takes part in the lease
    _holder = ""
    read_only_because: Writer | None = None
    _seen_revision = 0

    def claim_writer(self, holder: str) -> Writer | None:
        """Become the one window that edits this folder. Returns None when this store holds
        the lease, else the live writer elsewhere; this store is then read-only."""
        self._token = self._token or uuid.uuid4().hex
        self._holder = holder
        with self._transaction(content=False) as db:
            other = claim(db, self._token, holder)
        self.read_only_because = other
        return other

    def keep_writer(self) -> Writer | None:
        """Renew this store's lease, or take it when its holder has gone; call every
        HEARTBEAT_SECONDS. Returns the writer elsewhere while this store is read-only."""
        if self._token is None:
            return None
        if self.read_only_because is not None:
            current = self.writer()  # a read first: no write lock while someone else edits
            if current is not None and current.token != self._token:
                self.read_only_because = current
                return current
        with self._transaction(content=False) as db:
            if self.read_only_because is None and renew(db, self._token):
                return None
            other = claim(db, self._token, self._holder)
        self.read_only_because = other
        return other

    def release_writer(self) -> None:
        if self._token is not None and self.read_only_because is None:
            with self._transaction(content=False) as db:
                release(db, self._token)
        self._token = None

    @property
    def read_only(self) -> bool:
        return self.read_only_because is not None

    def writer(self) -> Writer | None:
        """The live holder of the lease, if any."""
        current = read_writer(self._db)
        return current if current is not None and current.is_live() else None

    def _writer_refusal(self, db) -> str:
        """Why a content write must not happen now ('' when it may); inside its transaction."""
        if self._token is None:
            return ""  # not taking part in the lease: the command line, scripts
        where = self.folder or self.path
        if self.read_only_because is None:
            if renew(db, self._token):
                return ""
            current = read_writer(db)
            self.read_only_because = (
                current
                if current is not None and current.is_live()
                else Writer("", this_host(), 0, "another window", time.time(), 0.0)
            )
            return (
                f"{where}: {self.read_only_because.describe()} took over editing this "
                "folder; this window is read-only now"
            )
        return f"{where}: read-only here: {self.read_only_because.describe()} is editing it"

    def revision(self) -> int:
        """A number every content write moves on."""
        row = self._db.execute("SELECT value FROM meta WHERE key='revision'").fetchone()
        return int(row[0]) if row else 0

    def changed_elsewhere(self) -> bool:
        """Whether another connection (window, process, machine) wrote since the last call."""
        revision = self.revision()
        changed = revision != self._seen_revision
        self._seen_revision = revision
        return changed
