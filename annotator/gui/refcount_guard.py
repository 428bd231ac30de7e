"""A guard against PySide6 6.12.0's reference counting of None, True and False on Python 3.11.

Measured here: with the PySide6 6.12.0 wheels (abi3), every call of a Qt method that returns
nothing releases one reference to `None` it never took (`QSize.setWidth`, `QColor.setAlpha`,
`QObject.setObjectName`, …), and every `signal.emit(...)` does the same to `True`. That is
harmless on Python 3.12+, where None, True and False are immortal, but Python 3.11 frees an
object whose count reaches zero: after some thousands of such calls — a few seconds of painting
the timeline, a minute of playback — the interpreter aborts ("none_dealloc: deallocating None",
"bool_dealloc: deallocating True or False"). PySide6 6.11.3 does not do this.

When, and only when, the leak is detected, `install()` gives the three the immortality they have
on 3.12 by hand: their counts are raised by 2**40, more than any session can use up. Nothing else
is touched; on a fixed PySide6 or on Python >= 3.12 it does nothing. Call it before the first
window is built (the app, the main window and the state objects do).
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, QSize, Signal

log = logging.getLogger(__name__)

_MARGIN = 2**40
_PROBES = 16
_installed = False


class _Probe(QObject):
    probed = Signal(int)


def leaks_singleton_references() -> bool:
    """Whether this PySide6 releases references to None or True that it never took."""
    size, probe = QSize(1, 1), _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBES):
        size.setWidth(2)
        probe.probed.emit(0)
    return (
        sys.getrefcount(None) <= none_before - _PROBES // 2
        or sys.getrefcount(True) <= true_before - _PROBES // 2
    )


def install() -> bool:
    """Make None, True and False immortal if this PySide6 needs it; True when it did."""
    global _installed
    if _installed:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    if not leaks_singleton_references():
        return False
    for singleton in (None, True, False):
        # In CPython 3.11 the reference count is the object's first field (Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(singleton)).value += _MARGIN
    _installed = True
    log.info("PySide6 releases references to None/True it never took; made them immortal")
    return True
