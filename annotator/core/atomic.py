"""Writing a file atomically: readers see the old file or the whole new one, never half of it.

The content goes to a temporary file beside the target, is flushed to disk, then renamed over
the target; an error or an interruption removes the temporary file and leaves the target as it
was. The temporary file is created with the usual permissions (what the umask allows), not
mkstemp's private 0600, which would survive the rename.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _create_beside(path: Path) -> tuple[int, Path]:
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path}: cannot create a temporary file beside it")


@contextmanager
def atomic_write(path, binary: bool = False) -> Iterator[IO]:
    """Open `path` for writing (UTF-8 text with untranslated newlines, or bytes); the file
    appears at `path` only when the block ends without an error. Makes missing folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(path)
    try:
        with (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
