"""Entry point: no arguments opens the desktop app; arguments run the command line."""

import sys

from annotator.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["gui"]))
