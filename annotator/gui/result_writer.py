"""Stores an annotation run's results in a thread of their own, so the window never waits on a
commit.

Each batch of results is one transaction with synchronous=FULL: on a disk shared with other
work, its commit took 0.1-0.7 s, and on the window's thread every such commit was a frozen
window. Here a thread holds a second connection to the project store (ProjectStore.writing_twin,
writing under the window's lease); the window hands it batches and, on its own timer, picks up
which videos are stored and refreshes only their rows. No Qt: plain threads and a queue.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque

log = logging.getLogger(__name__)


class ResultWriter:
    """`submit(results)` from the window's thread; `stored()` returns what has been written
    since the last call: (names, store revision after, error or '') per batch."""

    def __init__(self, store):
        self._store = store
        self._batches: queue.Queue = queue.Queue()
        self._done: deque = deque()
        self._thread = threading.Thread(target=self._run, name="result-writer", daemon=True)
        self._thread.start()

    def submit(self, results: list[tuple]) -> None:
        """(name, table, attention, familiarity) of each video, stored in one transaction."""
        self._batches.put(results)

    def stored(self) -> list[tuple[list[str], int, str]]:
        done = []
        while self._done:
            done.append(self._done.popleft())
        return done

    def close(self) -> None:
        """Store what was submitted, then end the thread (blocks until then)."""
        self._batches.put(None)
        self._thread.join()

    def _run(self) -> None:
        try:
            twin = self._store.writing_twin()
        except Exception as exc:  # the store went away: every batch is reported unsaved
            log.warning("cannot open a second connection to the store: %s", exc)
            twin = None
        try:
            while (results := self._batches.get()) is not None:
                names = [result[0] for result in results]
                if twin is None:
                    self._done.append((names, 0, "the project store could not be opened"))
                    continue
                try:
                    twin.save_annotations(results)
                    revision = twin.revision()
                    # At once, not when the window looks: its poll must not take this write
                    # for another window's and reread every row.
                    self._store.saw_revision(revision)
                    self._done.append((names, revision, ""))
                except Exception as exc:  # a full disk, the lease lost: say so, keep going
                    self._done.append((names, 0, str(exc)))
        finally:
            if twin is not None:
                twin.close()
