"""Reading .npz files from several threads at once.

numpy parses each array's header with `ast.literal_eval`, and CPython 3.11 keeps the AST
builder's recursion count per interpreter, not per thread: two threads building ASTs at once
can make one of them fail with "SystemError: AST constructor recursion depth mismatch" (CPython
gh-106905; seen in CI when the sound and picture features of a video were read from the cache
together). Reads go through one lock, so the project's own header parses never overlap, and a
read that still meets the error (another library parsing at the same moment) is tried again.
"""

from __future__ import annotations

import threading

import numpy as np

_ONE_PARSE_AT_A_TIME = threading.Lock()
ATTEMPTS = 3


def _read(path) -> dict:
    with _ONE_PARSE_AT_A_TIME, np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def read_npz(path) -> dict:
    """Every array of an .npz file (no pickles), read whole."""
    for _attempt in range(ATTEMPTS - 1):
        try:
            return _read(path)
        except SystemError as exc:  # the race above; anything else is the caller's to judge
            if "recursion depth mismatch" not in str(exc):
                raise
    return _read(path)
