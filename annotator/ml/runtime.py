"""Loading TensorFlow once, quietly.

TensorFlow's C++ core prints start-up notices (oneDNN, CPU flags) straight to file descriptor 2
before Python logging exists; users of a command-line tool should not see them. The notices are
silenced only while the import runs: an import error still raises normally afterwards.
"""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly():
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tensorflow
