"""`av-annotator` (and `python -m annotator`, `python main.py`): no arguments opens the desktop
app; arguments run the command line."""

import signal
import sys

from .cli import main as run_command


def main() -> int:
    # Ctrl-C stops a batch and keeps the previous CSV, even when whatever started this process
    # left SIGINT ignored (a background job of a script, some test runners): Python then does
    # not install its own handler, and the interrupt would be lost.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return run_command(sys.argv[1:] or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
