"""The local engine: the batch on this machine's cores (ml/batch.py), through the engine
interface. Only a few videos are in flight and each finished video goes to the journal, so
memory stays flat in the number of files."""

from __future__ import annotations

from ..batch import BatchResult, annotate_batch


def run(files, bundle, *, jobs: int = 1, address=None, **options) -> BatchResult:
    """`annotate_batch` keeping a summary per video, not every video's arrays."""
    del address  # a local batch joins no cluster (the command line refuses --address here)
    return annotate_batch(files, bundle, jobs=jobs, keep_annotations=False, **options)
