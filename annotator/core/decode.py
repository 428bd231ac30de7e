"""Streaming decoders: audio as 16 kHz mono float32, frames as N-per-second 224x224 RGB.

ffmpeg does the resampling, frame selection and scaling itself and writes raw samples/pixels to
a pipe, which is read one second at a time, so memory does not grow with the video's length.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from typing import Iterator

import numpy as np

from .conventions import AUDIO_SAMPLE_RATE, FRAME_SIZE
from .errors import MediaError
from .media import ffmpeg_exe

log = logging.getLogger(__name__)


class _FfmpegPipe:
    """An ffmpeg process writing raw data to stdout; stderr is drained in a thread (no deadlock)."""

    def __init__(self, path, output_args: list[str]):
        self.path = str(path)
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                   "-threads", "1", "-i", self.path, *output_args, "pipe:1"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        bufsize=0)
        self._errors: list[bytes] = []
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_reader.start()

    def _drain_stderr(self) -> None:
        for line in self.process.stderr:
            if len(self._errors) < 50:
                self._errors.append(line)

    def read_exactly(self, size: int) -> bytes:
        """Up to `size` bytes; fewer only at the end of the stream."""
        chunks, remaining = [], size
        while remaining > 0:
            chunk = self.process.stdout.read(remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self._stderr_reader.join(timeout=5)

    def error_text(self) -> str:
        return b"".join(self._errors).decode("utf-8", errors="replace").strip()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def iter_audio_seconds(path, sample_rate: int = AUDIO_SAMPLE_RATE) -> Iterator[np.ndarray]:
    """Mono float32 audio, one second (sample_rate samples) at a time; the last may be shorter."""
    args = ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(sample_rate),
            "-f", "f32le", "-acodec", "pcm_f32le"]
    second_bytes = sample_rate * 4
    yielded = False
    with _FfmpegPipe(path, args) as pipe:
        while True:
            data = pipe.read_exactly(second_bytes)
            usable = len(data) - len(data) % 4
            if usable:
                yielded = True
                yield np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
            if len(data) < second_bytes:
                break
        returncode = pipe.process.wait()
        if not yielded and returncode != 0:
            raise MediaError(path, f"audio could not be decoded: {pipe.error_text()}")
        if pipe.error_text():
            log.warning("%s: audio decoded with errors: %s", path, pipe.error_text()[:300])


def iter_frame_seconds(path, frames_per_second: int = 1,
                       size: int = FRAME_SIZE) -> Iterator[np.ndarray]:
    """uint8 frames (k, size, size, 3), k = frames_per_second, one second at a time.

    ffmpeg picks the frames (fps filter) and scales them (the whole picture squashed to a square,
    so nothing at the edges is cropped away); rotation metadata is applied by ffmpeg.
    """
    args = ["-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", f"fps={frames_per_second}:eof_action=pass,scale={size}:{size}:flags=area",
            "-pix_fmt", "rgb24", "-f", "rawvideo"]
    frame_bytes = size * size * 3
    yielded = False
    with _FfmpegPipe(path, args) as pipe:
        while True:
            data = pipe.read_exactly(frame_bytes * frames_per_second)
            whole = len(data) // frame_bytes
            if whole:
                yielded = True
                yield np.frombuffer(data[:whole * frame_bytes], dtype=np.uint8).reshape(
                    whole, size, size, 3)
            if len(data) < frame_bytes * frames_per_second:
                break
        returncode = pipe.process.wait()
        if not yielded and returncode != 0:
            raise MediaError(path, f"video could not be decoded: {pipe.error_text()}")
        if pipe.error_text():
            log.warning("%s: video decoded with errors: %s", path, pipe.error_text()[:300])
