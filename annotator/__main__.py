"""`av-annotator` (and `python -m annotator`, `python main.py`): no arguments opens the desktop
app; arguments run the command line."""

import sys

from .cli import main as run_command


def main() -> int:
    return run_command(sys.argv[1:] or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
