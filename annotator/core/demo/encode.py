"""Writing a real media file with ffmpeg from numpy frames and samples.

One job: `encode_clip` turns RGB frames (streamed, so a one-hour video never sits in memory)
and float audio into a video, audio-only or video-only file in any container ffmpeg knows.
Audio, which may also come in blocks, goes to ffmpeg through a temporary raw float32 file
(4 bytes per sample: one hour of 16 kHz mono is 230 MB of temporary disk).
The file appears atomically: ffmpeg writes a hidden temporary file in the same folder, which
is renamed into place only when ffmpeg succeeded.

Durations are exact when the caller passes exactly `frame_count(duration, fps)` frames and
`sample_count(duration, sample_rate)` samples: checked for mp4/mov with H.264 + AAC, where
ffmpeg's edit list hides the AAC priming (a 7.4 s clip is reported as 00:00:07.40). Containers
without edit lists (mkv, webm, avi) report up to one audio frame (about 20-50 ms) longer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..media import ffmpeg_exe

log = logging.getLogger(__name__)

# ffmpeg reports at most this much of its error output in our exception message.
_STDERR_LIMIT = 4000


def frame_count(duration: float, fps: float) -> int:
    """Frames a clip of `duration` seconds needs at `fps` for its length to come out exact."""
    return int(round(float(duration) * float(Fraction(_rate_arg(fps)))))


def sample_count(duration: float, sample_rate: int) -> int:
    """Audio samples a clip of `duration` seconds needs at `sample_rate`."""
    return int(round(float(duration) * int(sample_rate)))


def encode_clip(
    path,
    frames,
    audio,
    fps,
    sample_rate,
    *,
    video_codec: str = "libx264",
    audio_codec: str = "aac",
    pixel_format: str | None = "yuv420p",
    threads: int = 1,
    extra_args: Iterable[str] = (),
) -> Path:
    """Encode `frames` and `audio` into the media file `path`; returns `path`.

    `frames`: an iterable (a generator is fine) of uint8 HxWx3 RGB arrays, or None for an
    audio-only file. `audio`: float samples in [-1, 1], mono (n,) or (n, channels), either one
    array or an iterable of such blocks; None for a video-only file. `fps` may be a number,
    a Fraction or a string such as "30000/1001". The container follows the file's extension.
    `extra_args` go to ffmpeg just before the output name (e.g. ["-crf", "28"]).
    Raises RuntimeError carrying ffmpeg's own error output when encoding fails.
    """
    if frames is None and audio is None:
        raise ValueError(f"{path}: nothing to encode (no frames and no audio)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame_iter, first = (None, None) if frames is None else _peek_frames(path, frames)
    with tempfile.TemporaryDirectory(prefix="encode_clip_") as work:
        channels = None
        if audio is not None:
            channels = _write_raw_audio(path, audio, Path(work) / "audio.f32")
        command = _command(
            first,
            fps,
            channels,
            sample_rate,
            Path(work) / "audio.f32",
            video_codec,
            audio_codec,
            pixel_format,
            threads,
            extra_args,
        )
        _run_atomically(path, command, frame_iter, first, Path(work) / "stderr.txt")
    return path


def _rate_arg(fps) -> str:
    """fps as ffmpeg wants it: "10", "30000/1001"."""
    if isinstance(fps, str):
        return fps
    rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {fps}")
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def _peek_frames(path: Path, frames):
    """The frame iterator and its first frame, which fixes the picture size."""
    frame_iter = iter(frames)
    first = next(frame_iter, None)
    if first is None:
        raise ValueError(f"{path}: no frames to encode (pass frames=None for an audio-only file)")
    first = _checked_frame(path, first, None)
    return frame_iter, first


def _checked_frame(path: Path, frame, shape) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"{path}: frames must be uint8 HxWx3 RGB, got {frame.dtype} {frame.shape}")
    if shape is not None and frame.shape != shape:
        raise ValueError(f"{path}: frame size changed from {shape} to {frame.shape}")
    return np.ascontiguousarray(frame)


def _audio_blocks(audio):
    """One array or an iterable of arrays, as 2-D (samples, channels) float32 blocks."""
    blocks = [audio] if isinstance(audio, np.ndarray) else audio
    for block in blocks:
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[:, None]
        if block.ndim != 2:
            raise ValueError(f"audio must be (samples,) or (samples, channels), got {block.shape}")
        yield block


def _write_raw_audio(path: Path, audio, raw_path: Path) -> int:
    """Write audio as raw little-endian float32 for ffmpeg; returns the channel count."""
    channels = None
    samples = 0
    with open(raw_path, "wb") as handle:
        for block in _audio_blocks(audio):
            if channels is None:
                channels = block.shape[1]
            elif block.shape[1] != channels:
                raise ValueError(
                    f"{path}: audio channels changed from {channels} to {block.shape[1]}"
                )
            # Out-of-range samples would wrap or distort in some encoders; clip them here.
            handle.write(np.clip(block, -1.0, 1.0).astype("<f4", copy=False).tobytes())
            samples += len(block)
    if not samples:
        raise ValueError(f"{path}: no audio samples (pass audio=None for a video-only file)")
    return channels


def _command(
    first,
    fps,
    channels,
    sample_rate,
    raw_audio: Path,
    video_codec,
    audio_codec,
    pixel_format,
    threads,
    extra_args,
) -> list[str]:
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    maps = []
    if first is not None:
        height, width = first.shape[:2]
        command += [
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-framerate",
            _rate_arg(fps),
            "-i",
            "pipe:0",
        ]
        maps += ["-map", "0:v"]
    if channels is not None:
        command += [
            "-f",
            "f32le",
            "-ar",
            str(int(sample_rate)),
            "-ac",
            str(channels),
            "-i",
            str(raw_audio),
        ]
        maps += ["-map", f"{len(maps) // 2}:a"]
    command += maps
    if first is not None:
        command += ["-c:v", video_codec]
        if pixel_format:
            command += ["-pix_fmt", pixel_format]
    if channels is not None:
        command += ["-c:a", audio_codec]
    # A small, fixed thread count keeps x264 output reproducible and leaves cores for other clips.
    command += ["-threads", str(int(threads)), *map(str, extra_args)]
    return command


def _run_atomically(path: Path, command, frame_iter, first, stderr_path: Path) -> None:
    """Run ffmpeg into a hidden temporary file next to `path`, then rename it into place."""
    # The temporary name keeps the real extension so ffmpeg picks the same container. ffmpeg
    # creates it itself (not mkstemp, whose 0600 mode would survive the rename).
    tmp = path.parent / f".{path.stem}.{uuid.uuid4().hex[:12]}.part{path.suffix}"
    try:
        # "file:" keeps a name with a colon or a leading dash from being read as anything else.
        command = command + [f"file:{tmp}"]
        log.debug("encoding %s: %s", path, " ".join(command))
        with open(stderr_path, "wb") as stderr:
            returncode = _feed_ffmpeg(path, command, frame_iter, first, stderr)
        if returncode != 0:
            message = stderr_path.read_text(errors="replace").strip()[-_STDERR_LIMIT:]
            raise RuntimeError(
                f"{path}: ffmpeg failed (exit code {returncode}): {message or 'no error output'}"
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _feed_ffmpeg(path: Path, command, frame_iter, first, stderr) -> int:
    """Start ffmpeg and stream frames into its stdin; returns ffmpeg's exit code."""
    # ffmpeg's error output goes to a file, so a chatty ffmpeg can never block on a full pipe.
    stdin = subprocess.PIPE if first is not None else subprocess.DEVNULL
    proc = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        if first is not None:
            _write_frames(path, proc.stdin, frame_iter, first)
        return proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def _write_frames(path: Path, stdin, frame_iter, first) -> None:
    try:
        stdin.write(first.data)
        for frame in frame_iter:
            stdin.write(_checked_frame(path, frame, first.shape).data)
    except BrokenPipeError:
        pass  # ffmpeg stopped reading (it failed); its exit code and error output tell why
    finally:
        with contextlib.suppress(BrokenPipeError):
            stdin.close()
