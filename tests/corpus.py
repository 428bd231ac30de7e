"""The bad-input corpus, generated (no large binaries are committed).

`build_corpus(folder)` writes every messy case a real library holds and returns, per file name,
what the batch must do with it: ("annotated", seconds) or ("failed", words the reason contains).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

from annotator.core.demo.encode import encode_clip
from annotator.core.media import ffmpeg_exe

ANNOTATED, FAILED = "annotated", "failed"


def _frames(count, height=120, width=160, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    for index in range(count):
        yield np.roll(base, index * 3, axis=1)


def _tone(seconds, rate, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return mono if channels == 1 else np.repeat(mono[:, None], channels, axis=1)


def _good_clip(path, seconds=4.0, fps=10, rate=22050, **kwargs):
    return encode_clip(path, _frames(int(seconds * fps)), _tone(seconds, rate), fps, rate, **kwargs)


def _ffmpeg(*args):
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)],
        check=True,
        capture_output=True,
    )


def _truncated(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def _corrupt_middle(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    start = len(data) // 2
    data[start : start + 4000] = (
        np.random.default_rng(1).integers(0, 255, 4000, dtype=np.uint8).tobytes()
    )
    target.write_bytes(bytes(data))
    return target


def build_corpus(folder: Path, long_video: bool = True) -> dict:
    """Write the corpus into `folder`; returns {relative name: (outcome, detail)}."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder.parent / (folder.name + "-work")
    work.mkdir(exist_ok=True)
    expected = {}

    (folder / "zero bytes.mp4").write_bytes(b"")
    expected["zero bytes.mp4"] = (FAILED, "empty file")
    (folder / "letter.mp4").write_text("Dear archivist, this is not a video.\n")
    expected["letter.mp4"] = (FAILED, "not a video file")

    plain = _good_clip(work / "plain.mp4", seconds=10)
    _truncated(plain, folder / "cut at 30%.mp4", 0.3)
    _truncated(plain, folder / "cut at 70%.mp4", 0.7)
    expected["cut at 30%.mp4"] = (FAILED, "moov")
    expected["cut at 70%.mp4"] = (FAILED, "moov")
    faststart = _good_clip(
        work / "faststart.mp4", seconds=10, extra_args=["-movflags", "+faststart"]
    )
    _truncated(faststart, folder / "faststart cut at 50%.mp4", 0.5)
    expected["faststart cut at 50%.mp4"] = (FAILED, "truncated")
    _ffmpeg("-i", plain, "-c", "copy", "-f", "mov", work / "nomoov.mov")
    head = plain.read_bytes()
    moov = head.find(b"moov")
    (folder / "no index.mp4").write_bytes(head[: moov - 4] if moov > 0 else head[:100])
    expected["no index.mp4"] = (FAILED, "moov")
    _corrupt_middle(plain, folder / "corrupt packets.mp4")
    expected["corrupt packets.mp4"] = (ANNOTATED, 10)

    encode_clip(folder / "silent film.mp4", _frames(30), None, 10, 16000)
    expected["silent film.mp4"] = (ANNOTATED, 3)
    encode_clip(folder / "voice memo.m4a", None, _tone(5, 44100), 10, 44100)
    expected["voice memo.m4a"] = (ANNOTATED, 5)
    encode_clip(
        folder / "field recording.wav", None, _tone(2.5, 48000), 10, 48000, audio_codec="pcm_s16le"
    )
    expected["field recording.wav"] = (ANNOTATED, 3)
    _good_clip(folder / "blink.mp4", seconds=0.3)
    expected["blink.mp4"] = (ANNOTATED, 1)
    encode_clip(
        folder / "uhd 4k.mp4",
        _frames(10, 2160, 3840),
        _tone(1, 48000),
        10,
        48000,
        extra_args=["-preset", "ultrafast"],
    )
    expected["uhd 4k.mp4"] = (ANNOTATED, 1)
    portrait = encode_clip(work / "portrait.mp4", _frames(30, 320, 180), _tone(3, 44100), 10, 44100)
    _ffmpeg("-display_rotation", "90", "-i", portrait, "-c", "copy", folder / "phone rotated.mp4")
    expected["phone rotated.mp4"] = (ANNOTATED, 3)
    steady = _good_clip(work / "steady.mp4", seconds=4, fps=30)
    _ffmpeg(
        "-i",
        steady,
        "-vf",
        "select='not(mod(n,3))+lt(n,20)+gt(n,100)'",
        "-fps_mode",
        "vfr",
        "-c:a",
        "copy",
        folder / "variable frame rate.mp4",
    )
    expected["variable frame rate.mp4"] = (ANNOTATED, 4)
    encode_clip(folder / "phone call 8k.mp4", _frames(20), _tone(2, 8000), 10, 8000)
    expected["phone call 8k.mp4"] = (ANNOTATED, 2)
    encode_clip(folder / "surround 96k.mkv", _frames(20), _tone(2, 96000, channels=6), 10, 96000)
    expected["surround 96k.mkv"] = (ANNOTATED, 2)
    for name in ("café crème.mp4", "日本の祭り.mp4", "party 🎉 clip.webm"):
        codec = (
            {
                "video_codec": "libvpx-vp9",
                "audio_codec": "libopus",
                "extra_args": ["-deadline", "realtime", "-cpu-used", "8"],
            }
            if name.endswith(".webm")
            else {}
        )
        _good_clip(folder / name, seconds=2, rate=48000, **codec)
        expected[name] = (ANNOTATED, 2)
    (folder / "loop").symlink_to(".", target_is_directory=True)
    (folder / "gone.mp4").symlink_to(work / "deleted.mp4")
    expected["gone.mp4"] = (FAILED, "file not found")
    (folder / "folder.mp4").mkdir()
    locked = _good_clip(folder / "locked.mp4", seconds=2)
    os.chmod(locked, 0)
    readable_anyway = os.access(locked, os.R_OK)  # root reads everything
    expected["locked.mp4"] = (ANNOTATED, 2) if readable_anyway else (FAILED, "permission denied")
    (folder / "notes.txt").write_text("shot list\n")
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    if long_video:
        encode_clip(
            folder / "one hour.mp4",
            _frames(3600, 36, 64),
            _tone(3600, 8000),
            1,
            8000,
            extra_args=["-preset", "ultrafast"],
        )
        expected["one hour.mp4"] = (ANNOTATED, 3600)
    return expected
