"""Probing media files with the ffmpeg binary that ships in the imageio-ffmpeg wheel.

That binary has no ffprobe beside it, so streams and duration are read from ffmpeg's own input
report (`ffmpeg -i FILE`). Every failure becomes a MediaError naming the file and the reason.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import MediaError

PROBE_TIMEOUT_SECONDS = 60

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+[^:]*:\s*(Video|Audio):\s*([A-Za-z0-9_]+)(.*)")
_SIZE = re.compile(r"(?<![0-9x])(\d{2,5})x(\d{2,5})(?![0-9x])")
_FPS = re.compile(r"([\d.]+)\s*(?:fps|tbr)")
_RATE = re.compile(r"(\d+)\s*Hz")
_TIME = re.compile(r"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary from the imageio-ffmpeg wheel (no system ffmpeg needed)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaInfo:
    path: str
    duration: float
    has_video: bool
    has_audio: bool
    video_codec: str = ""
    audio_codec: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    sample_rate: int = 0


def _seconds(match) -> float:
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise MediaError(path, "file not found")
    if not path.is_file():
        raise MediaError(path, "not a regular file")
    if not os.access(path, os.R_OK):
        raise MediaError(path, "permission denied (file is not readable)")
    if path.stat().st_size == 0:
        raise MediaError(path, "empty file (0 bytes)")


def _looks_like_mp4(path: Path) -> bool:
    with open(path, "rb") as handle:
        return b"ftyp" in handle.read(64)


def _reason_from_report(path: Path, report: str) -> str:
    """The most useful line of ffmpeg's complaint, in plain words."""
    lowered = report.lower()
    if "moov atom not found" in lowered and not _looks_like_mp4(path):
        return "not a video file (its contents are not a media container)"
    if "moov atom not found" in lowered:
        return "not a complete video (its index, the mp4 'moov' atom, is missing: truncated copy?)"
    if "invalid data found" in lowered:
        return "not a media file ffmpeg can read (invalid data)"
    lines = [line.strip() for line in report.splitlines() if line.strip()]
    return lines[-1] if lines else "ffmpeg could not read it"


def _run_ffmpeg_report(path: Path) -> str:
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, f"probing took longer than {PROBE_TIMEOUT_SECONDS} s") from exc
    return done.stderr.decode("utf-8", errors="replace")


def _measure_duration(path: Path) -> float:
    """Duration by demuxing every packet (no decoding), for containers that do not state it."""
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-i",
        str(path),
        "-c",
        "copy",
        "-f",
        "null",
        "-",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS * 5)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, "measuring the duration took too long") from exc
    times = _TIME.findall(done.stderr.decode("utf-8", errors="replace"))
    if not times:
        raise MediaError(path, "could not determine the duration")
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def _parse_streams(report: str) -> dict:
    found: dict = {}
    for kind, codec, rest in _STREAM.findall(report):
        if kind == "Video" and "attached pic" not in rest and "video" not in found:
            size = _SIZE.search(rest)
            fps = _FPS.search(rest)
            found["video"] = {
                "codec": codec,
                "width": int(size.group(1)) if size else 0,
                "height": int(size.group(2)) if size else 0,
                "fps": float(fps.group(1)) if fps else 0.0,
            }
        elif kind == "Audio" and "audio" not in found:
            rate = _RATE.search(rest)
            found["audio"] = {"codec": codec, "sample_rate": int(rate.group(1)) if rate else 0}
    return found


def probe(path) -> MediaInfo:
    """Streams and duration of a media file; MediaError if it is not usable media."""
    path = Path(path)
    _check_readable(path)
    report = _run_ffmpeg_report(path)
    if "Input #0" not in report:
        raise MediaError(path, _reason_from_report(path, report))
    streams = _parse_streams(report)
    if not streams:
        raise MediaError(path, "no audio or video stream")
    duration_match = _DURATION.search(report)
    duration = _seconds(duration_match) if duration_match else _measure_duration(path)
    if duration <= 0:
        duration = _measure_duration(path)
    if duration <= 0:
        raise MediaError(path, "zero duration")
    video = streams.get("video", {})
    audio = streams.get("audio", {})
    return MediaInfo(
        path=str(path),
        duration=round(duration, 3),
        has_video=bool(video),
        has_audio=bool(audio),
        video_codec=video.get("codec", ""),
        audio_codec=audio.get("codec", ""),
        width=video.get("width", 0),
        height=video.get("height", 0),
        fps=video.get("fps", 0.0),
        sample_rate=audio.get("sample_rate", 0),
    )
