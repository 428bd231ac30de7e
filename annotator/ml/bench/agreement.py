"""Do the keyframes-only and full-decode paths give the same labels?

Clips are re-encoded with a keyframe every second (x264 `-g` equal to their frame rate, sound
copied), so they take the keyframes-only path; each is annotated by a bundle both ways, in this
process, and the share of seconds whose labels agree is counted, for the fused label and for
the visual head's.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ...core.decode import input_args
from ...core.feature_cache import FeatureCache
from ...core.keyframes import DECODE_ENV
from ...core.media import probe
from ..batch import annotate_batch

# x264 as the demo clips are encoded (demo_data._ENCODER_ARGS), one keyframe interval a second.
_ENCODER_ARGS = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "27", "-threads", "1")


def reencode_keyframe_every_second(source: Path, target: Path) -> Path:
    """`source` re-encoded with x264 `-g` = its frame rate (sound copied as it is)."""
    gop = str(max(1, round(probe(source).fps)))
    command = [*input_args(source), "-map", "0", "-y"]
    command += [*_ENCODER_ARGS, "-g", gop, "-c:a", "copy", str(target)]
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return target


@contextmanager
def decode_path(value: str):
    """AV_ANNOTATOR_DECODE set to `value` ("auto" or "full") while inside."""
    before = os.environ.get(DECODE_ENV)
    os.environ[DECODE_ENV] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DECODE_ENV, None)
        else:
            os.environ[DECODE_ENV] = before


def _labels(clips: list[Path], bundle, path_setting: str) -> tuple[dict, dict]:
    """{(video, second): label} of the fused output and of the visual head."""
    with decode_path(path_setting), tempfile.TemporaryDirectory(prefix="agreement-") as cache:
        result = annotate_batch(clips, bundle, jobs=2, cache=FeatureCache(cache), use_cache=False)
    if not result.ok:
        raise RuntimeError(f"clips failed to annotate: {result.failures}")
    fused, visual = {}, {}
    for annotation in result.annotations:
        for row in annotation.table.itertuples():
            fused[(row.video, row.second)] = row.label
            visual[(row.video, row.second)] = row.visual_label
    return fused, visual


def _share_equal(first: dict, second: dict) -> float:
    if first.keys() != second.keys():
        raise RuntimeError("the two paths gave different seconds")
    return sum(first[k] == second[k] for k in first) / max(1, len(first))


def label_agreement(clips: list[Path], bundle) -> dict:
    """Share of seconds whose labels agree between the two paths, with the seconds counted."""
    keyframes = _labels(clips, bundle, "auto")
    full = _labels(clips, bundle, "full")
    return {
        "seconds": len(keyframes[0]),
        "label": _share_equal(keyframes[0], full[0]),
        "visual_label": _share_equal(keyframes[1], full[1])
        if "visual" in bundle.modalities
        else None,
    }
