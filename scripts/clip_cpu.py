"""CPU per clip of each step of the pipeline, on clips already rendered (the first six).

Usage: python scripts/clip_cpu.py FOLDER [--model NAME]
Each step runs on its own over the clips, after a warm-up; "self" is this process's CPU,
"ffmpeg" its children's. CPU seconds, unlike wall time, hold up on a shared machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.core.decode import (  # noqa: E402
    iter_audio_seconds,
    iter_frame_seconds,
    iter_keyframe_seconds,
)
from annotator.core.feature_cache import FeatureCache  # noqa: E402
from annotator.core.features import extract_audio  # noqa: E402
from annotator.core.keyframes import keyframe_plan  # noqa: E402
from annotator.core.media import probe  # noqa: E402
from annotator.ml.backbone.embedding import embed_frames  # noqa: E402
from annotator.ml.bundle import load_bundle  # noqa: E402
from annotator.ml.pipeline import label_video, prepare_video  # noqa: E402


def _cpu() -> tuple[float, float]:
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _step(name: str, clips: list, work):
    before = _cpu()
    result = work()
    after = _cpu()
    own, children = ((a - b) * 1000 / len(clips) for a, b in zip(after, before))
    print(f"  {name:<34}{own:>8.1f}{children:>9.1f}{own + children:>9.1f}")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default="attention")
    args = parser.parse_args(argv)
    clips = sorted(p for p in args.folder.glob("*.mp4") if not p.name.startswith("."))[:6]
    bundle = load_bundle(args.model)
    cache = FeatureCache(tempfile.mkdtemp(prefix="clip-cpu-"))
    label_video(prepare_video(clips[0], bundle, cache=cache, use_cache=False), bundle)  # warm-up
    seconds = [int(np.ceil(probe(c).duration)) for c in clips]
    plans = [keyframe_plan(c, s, 1) for c, s in zip(clips, seconds)]
    print(f"{len(clips)} clips of {args.folder}; ms of CPU per clip")
    print(f"  {'step':<34}{'self':>8}{'ffmpeg':>9}{'total':>9}")
    _step("probe (ffmpeg -i)", clips, lambda: [probe(c) for c in clips])
    _step(
        "keyframe layout and plan",
        clips,
        lambda: [keyframe_plan(c, s, 1) for c, s in zip(clips, seconds)],
    )
    if all(plans):
        frames = _step(
            "decode keyframes (224x224 rgb)",
            clips,
            lambda: [
                np.concatenate(list(iter_keyframe_seconds(c, p))) for c, p in zip(clips, plans)
            ],
        )
    else:
        frames = None
    for decoding in ("reference", "all"):
        decoded = _step(
            f"decode {decoding} frames, 1 a second",
            clips,
            lambda d=decoding: [
                np.concatenate(list(iter_frame_seconds(c, 1, frames_decoded=d))) for c in clips
            ],
        )
        frames = frames or decoded
    _step("decode audio (16 kHz mono)", clips, lambda: [list(iter_audio_seconds(c)) for c in clips])
    _step(
        "audio features (decode + log-mel)",
        clips,
        lambda: [extract_audio(c, s) for c, s in zip(clips, seconds)],
    )
    _step("backbone (fp32, ONNX Runtime)", clips, lambda: [embed_frames(f) for f in frames])
    prepared = _step(
        "prepare_video (probe, both streams)",
        clips,
        lambda: [prepare_video(c, bundle, cache=cache, use_cache=False) for c in clips],
    )
    _step(f"label_video ({bundle.tag})", clips, lambda: [label_video(p, bundle) for p in prepared])
    return 0


if __name__ == "__main__":
    sys.exit(main())
