"""Entry point from a checkout: the same as the `av-annotator` command."""

from annotator.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
