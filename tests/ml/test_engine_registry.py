"""Engines behind one interface: the registry is the only list (the command line's --engine
choices come from it), and adding an engine is one module plus one registry line."""

from __future__ import annotations

import pandas as pd
import pytest

from annotator.cli import main
from annotator.ml.batch import annotate_batch
from annotator.ml.engines import ENGINES, Engine, engine_names, register

from conftest import PROJECT_ROOT

SAMPLES = sorted((PROJECT_ROOT / "resources" / "samples").glob("*.mp4"))[:2]
ran = []


def run(files, bundle, *, jobs=1, address=None, **options):
    """A toy engine for the test: the local batch, one video at a time, newest file first."""
    ran.append([str(f) for f in files])
    return annotate_batch(list(reversed(files)), bundle, jobs=1, **options)


def test_the_command_line_offers_the_registered_engines(capsys):
    assert engine_names() == ["local", "ray"]
    try:
        main(["annotate", "--help"])
    except SystemExit:
        pass
    assert "{local,ray}" in capsys.readouterr().out


@pytest.fixture
def toy_engine():
    register(Engine("newest-first", __name__, "the toy engine of a test"))  # the one line
    yield
    del ENGINES["newest-first"]


def test_an_engine_is_one_module_and_one_registry_line(toy_engine, tmp_path, capsys):
    out = tmp_path / "rows.csv"
    args = ["annotate", *map(str, SAMPLES), "--out", str(out), "--engine", "newest-first"]
    assert main(args) == 0
    assert ran == [[str(f) for f in SAMPLES]]
    table = pd.read_csv(out)
    names = [name.rsplit("/", 1)[-1] for name in table["video"].unique()]
    assert names == [f.name for f in reversed(SAMPLES)]
    assert main([*args, "--address", "127.0.0.1:1"]) == 2
    assert capsys.readouterr().err.strip().endswith("error: --address needs --engine ray")
