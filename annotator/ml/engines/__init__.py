"""Batch engines: where a batch runs. Each maps the one per-video pipeline (prepare, then label)
over files and returns the same BatchResult (ml/batch.py), with every finished video's rows in
the journal when one is given; this registry is the only list of them.

Every engine is called the same way: `run_engine(name, files, bundle, jobs=..., address=...,
cache=..., use_cache=..., progress=..., name_for=..., journal=..., video_progress=...)`. An
engine is imported only when it runs (the Ray engine needs the `cluster` extra).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Engine:
    name: str
    module: str  # the module holding `run(files, bundle, **options)`
    help: str
    takes_address: bool = False  # joins a cluster at --address


ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> None:
    ENGINES[engine.name] = engine


register(Engine("local", f"{__name__}.local", "this machine (default)"))
register(Engine("ray", f"{__name__}.ray_engine", "a Ray cluster (pip install .[cluster])", True))


def engine_names() -> list[str]:
    return list(ENGINES)


def run_engine(name: str, files, bundle, **options):
    """Run the batch on the engine registered as `name`; its BatchResult."""
    engine = ENGINES[name]
    module = importlib.import_module(engine.module)
    return module.run(files, bundle, **options)
