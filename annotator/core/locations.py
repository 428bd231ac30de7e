"""Where the shipped model bundles and sample clips are, and where exports go by default.

Run from a checkout (also an editable install), everything is in the checkout: models/,
resources/samples/, exports/. A regular `pip install .` has no checkout: the wheel carries models/
and the samples as data files into `<prefix>/share/av-annotator/`, and exports go to ./exports.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
SHARE_NAME = "av-annotator"
_IN_CHECKOUT = {"models": Path("models"), "samples": Path("resources") / "samples"}


def running_from_checkout() -> bool:
    """True when the package is imported from its source tree rather than site-packages."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "annotator").is_dir()


def _installed_share_dirs() -> list[Path]:
    schemes = [sysconfig.get_default_scheme(), f"{os.name}_user"]
    return [
        Path(sysconfig.get_path("data", scheme)) / "share" / SHARE_NAME
        for scheme in schemes
        if scheme in sysconfig.get_scheme_names()
    ]


def shipped_dir(kind: str) -> Path:
    """The folder of the shipped `models` or `samples` (the checkout's, else the installed one)."""
    if running_from_checkout():
        return CHECKOUT / _IN_CHECKOUT[kind]
    candidates = [share / kind for share in _installed_share_dirs()]
    return next((path for path in candidates if path.is_dir()), candidates[0])


def exports_dir() -> Path:
    """The default output folder: the checkout's exports/, else ./exports."""
    return CHECKOUT / "exports" if running_from_checkout() else Path.cwd() / "exports"
