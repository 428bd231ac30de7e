"""Streaming decoders: audio as 16 kHz mono float32, frames as N-per-second 224x224 RGB.

ffmpeg does the resampling, frame selection and scaling itself and writes raw samples/pixels to
a pipe, which is read one second at a time, so memory does not grow with the video's length.
A reader thread keeps a few seconds read ahead, so ffmpeg goes on decoding while the caller is
busy with the previous seconds (the OS pipe alone holds less than one 224x224 frame).
"""

from __future__ import annotations

import logging
import queue
import subprocess
import threading
from typing import Iterator

import numpy as np

from .conventions import AUDIO_SAMPLE_RATE, FRAME_SIZE, VISUAL_FRAMES_DECODED
from .errors import MediaError
from .media import ffmpeg_exe

log = logging.getLogger(__name__)

# Seconds of decoded data held ahead of the caller: 1.2 MB of frames at 1 frame/s, 0.5 MB of audio.
READ_AHEAD_SECONDS = 8


def input_args(path, decoder_args: list[str] | tuple = ()) -> list[str]:
    """ffmpeg reading `path` with one decoding thread: parallelism comes from decoding several
    streams and videos at once, and one thread per decoder keeps every core busy without
    oversubscribing two cores. `decoder_args` are decoder options, which go before `-i`."""
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-threads",
        "1",
        *decoder_args,
        "-i",
        str(path),
    ]


# `frames_decoded` (conventions.VISUAL_FRAMES_DECODED) as ffmpeg decoder options.
_FRAMES_DECODED_ARGS = {"all": [], "reference": ["-skip_frame:v", "noref"]}


def frame_decoder_args(frames_decoded: str = VISUAL_FRAMES_DECODED) -> list[str]:
    """Decoder options for the picture stream: with "reference", frames that no other frame
    depends on are skipped, not decoded (every frame that is decoded is exact)."""
    if frames_decoded not in _FRAMES_DECODED_ARGS:
        raise ValueError(
            f"frames_decoded must be one of {sorted(_FRAMES_DECODED_ARGS)}, got {frames_decoded!r}"
        )
    return list(_FRAMES_DECODED_ARGS[frames_decoded])


# Audio of a chunk is decoded from this long before it: ffmpeg's seek in a compressed audio stream
# can land a part of a frame off (measured: 512 samples late on AAC), while trimming on the
# decoded samples' own timestamps afterwards is exact.
AUDIO_SEEK_PREROLL_SECONDS = 2.0


def span_args(span: tuple[float, float | None] | None, preroll: float = 0.0) -> list[str]:
    """Input options decoding only `span` = (start, length) seconds of the file (length None: to
    its end), starting `preroll` seconds early. ffmpeg seeks to the keyframe before the start
    and drops what precedes it, so a chunk of a long video costs its own length, not everything
    before it."""
    if span is None:
        return []
    start, length = span
    seek = max(0.0, start - preroll)
    args = ["-ss", f"{seek:.3f}"] if seek > 0 else []
    # With a preroll the trim filter cuts the exact end, so reading may run a second over.
    read = start - seek + length + (1.0 if preroll else 0.0) if length is not None else None
    return args + (["-t", f"{read:.3f}"] if read is not None else [])


def _audio_trim(span) -> list[str]:
    """The filter cutting a chunk's exact samples out of what span_args decodes."""
    if span is None:
        return []
    start, length = span
    offset = start - max(0.0, start - AUDIO_SEEK_PREROLL_SECONDS)
    end = "" if length is None else f":end={offset + length:.6f}"
    return ["-af", f"atrim=start={offset:.6f}{end},asetpts=PTS-STARTPTS"]


def audio_output_args(sample_rate: int = AUDIO_SAMPLE_RATE) -> list[str]:
    """The first audio stream as mono float32 at `sample_rate` (ffmpeg resamples and mixes)."""
    return [
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-ac",
        "1",
        "-ar",
        str(sample_rate),
        "-f",
        "f32le",
        "-acodec",
        "pcm_f32le",
    ]


def frame_output_args(frames_per_second: int, size: int = FRAME_SIZE) -> list[str]:
    """The first video stream as `frames_per_second` rgb24 size x size frames per second.

    ffmpeg picks the frames (fps filter) before scaling, so only the frames used are converted.
    """
    return [
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        f"fps={frames_per_second}:eof_action=pass,scale={size}:{size}:flags=area",
        "-pix_fmt",
        "rgb24",
        "-f",
        "rawvideo",
    ]


class _FfmpegPipe:
    """An ffmpeg process writing raw data to stdout; stderr is drained in a thread (no deadlock)."""

    def __init__(self, path, output_args: list[str], decoder_args: list[str] | tuple = ()):
        self.path = str(path)
        command = [*input_args(path, decoder_args), *output_args, "pipe:1"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
        )
        self._errors: list[bytes] = []
        self._closing = threading.Event()
        self._stdout_reader: threading.Thread | None = None
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

    def chunks(self, size: int, depth: int = READ_AHEAD_SECONDS) -> Iterator[bytes]:
        """Consecutive `size`-byte chunks (the last may be shorter), read ahead in a thread."""
        ahead: queue.Queue = queue.Queue(maxsize=depth)
        self._stdout_reader = threading.Thread(
            target=self._read_ahead, args=(size, ahead), daemon=True
        )
        self._stdout_reader.start()
        while True:
            data = ahead.get()
            if data:
                yield data
            if len(data) < size:
                return

    def _read_ahead(self, size: int, ahead: queue.Queue) -> None:
        try:
            while not self._closing.is_set():
                data = self.read_exactly(size)
                if not self._offer(ahead, data) or len(data) < size:
                    return
        except (OSError, ValueError):  # stdout closed under us: the caller stopped early
            self._offer(ahead, b"")

    def _offer(self, ahead: queue.Queue, data: bytes) -> bool:
        """Queue `data` unless the pipe is closing first (a caller that stopped reading)."""
        while not self._closing.is_set():
            try:
                ahead.put(data, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> None:
        self._closing.set()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self._stdout_reader is not None:
            self._stdout_reader.join(timeout=5)
        self.process.stdout.close()
        self._stderr_reader.join(timeout=5)

    def error_text(self) -> str:
        return b"".join(self._errors).decode("utf-8", errors="replace").strip()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def iter_audio_seconds(
    path, sample_rate: int = AUDIO_SAMPLE_RATE, span=None
) -> Iterator[np.ndarray]:
    """Mono float32 audio, one second (sample_rate samples) at a time; the last may be shorter.
    `span` = (start, length) decodes only that part (see span_args)."""
    args = [*audio_output_args(sample_rate), *_audio_trim(span)]
    second_bytes = sample_rate * 4
    yielded = False
    with _FfmpegPipe(path, args, span_args(span, AUDIO_SEEK_PREROLL_SECONDS)) as pipe:
        for data in pipe.chunks(second_bytes):
            usable = len(data) - len(data) % 4
            if usable:
                yielded = True
                yield np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
        returncode = pipe.process.wait()
        if not yielded and returncode != 0:
            raise MediaError(path, f"audio could not be decoded: {pipe.error_text()}")
        if pipe.error_text():
            log.warning("%s: audio decoded with errors: %s", path, pipe.error_text()[:300])


def iter_frame_seconds(
    path,
    frames_per_second: int = 1,
    size: int = FRAME_SIZE,
    frames_decoded: str = VISUAL_FRAMES_DECODED,
    span=None,
) -> Iterator[np.ndarray]:
    """uint8 frames (k, size, size, 3), k = frames_per_second, one second at a time.

    ffmpeg picks the frames (fps filter: the decoded frame nearest each sample time) and scales
    them (the whole picture squashed to a square, so nothing at the edges is cropped away);
    rotation metadata is applied by ffmpeg. `frames_decoded` says which frames are decoded to
    pick from (see conventions.VISUAL_FRAMES_DECODED); `span` = (start, length) decodes only
    that part (see span_args).
    """
    args = frame_output_args(frames_per_second, size)
    frame_bytes = size * size * 3
    yielded = False
    decoder_args = [*frame_decoder_args(frames_decoded), *span_args(span)]
    with _FfmpegPipe(path, args, decoder_args) as pipe:
        for data in pipe.chunks(frame_bytes * frames_per_second):
            whole = len(data) // frame_bytes
            if whole:
                yielded = True
                yield np.frombuffer(data[: whole * frame_bytes], dtype=np.uint8).reshape(
                    whole, size, size, 3
                )
        returncode = pipe.process.wait()
        if not yielded and returncode != 0:
            raise MediaError(path, f"video could not be decoded: {pipe.error_text()}")
        if pipe.error_text():
            log.warning("%s: video decoded with errors: %s", path, pipe.error_text()[:300])


class KeyframesMismatch(MediaError):
    """ffmpeg decoded another number of keyframes than the index lists: the frames cannot be
    matched to their times, so the caller decodes the pictures again the full way."""


def keyframe_output_args(size: int = FRAME_SIZE) -> list[str]:
    """Every decoded keyframe (select=key drops an I-frame the index does not call a keyframe)
    as one rgb24 size x size frame, none repeated or dropped to fit a frame rate."""
    return [
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        f"select=key,scale={size}:{size}:flags=area",
        "-fps_mode",
        "passthrough",
        "-pix_fmt",
        "rgb24",
        "-f",
        "rawvideo",
    ]


def _keyframe_seek(plan, first_second: int) -> tuple[int, list[str]]:
    """(position of the first keyframe decoded, input options) for a chunk from `first_second`.

    ffmpeg seeks to the keyframe at or before the time asked and drops frames before it; asking
    for a millisecond before the chunk's first keyframe makes that keyframe the first one out."""
    times = plan.layout.times
    first = int(np.searchsorted(times, first_second)) if first_second > 0 else 0
    if first == 0 or first >= len(times):
        return 0, []
    return first, ["-ss", f"{max(0.0, float(times[first]) - 0.001):.6f}"]


def iter_keyframe_seconds(path, plan, size: int = FRAME_SIZE, span=None) -> Iterator[np.ndarray]:
    """uint8 frames (k, size, size, 3) per second, as iter_frame_seconds, decoding keyframes only
    (`-skip_frame nokey`): each second gets the keyframes `plan` (a keyframes.KeyframePlan)
    chose for it. `span` = (first second, seconds or None to the end) decodes one chunk of a
    long video. Raises KeyframesMismatch if ffmpeg's keyframes are not the index's."""
    first_second = int(span[0]) if span else 0
    last = len(plan.chosen) if not span or span[1] is None else first_second + int(span[1])
    chosen = plan.chosen[first_second:last]
    first, seek = _keyframe_seek(plan, first_second)
    wanted = {index - first: second for second, picks in enumerate(chosen) for index in picks}
    frame_bytes = size * size * 3
    seconds: dict[int, list] = {}
    done = decoded = 0
    with _FfmpegPipe(path, keyframe_output_args(size), ["-skip_frame:v", "nokey", *seek]) as pipe:
        for data in pipe.chunks(frame_bytes):
            if len(data) < frame_bytes:
                break
            if decoded in wanted:
                seconds.setdefault(wanted[decoded], []).append(np.frombuffer(data, np.uint8))
            decoded += 1
            while done in seconds and len(seconds[done]) == len(chosen[done]):
                yield np.stack(seconds.pop(done)).reshape(-1, size, size, 3)
                done += 1
            if last < len(plan.chosen) and done == len(chosen):
                return  # a chunk before the last: the rest of the file is another chunk's
        returncode = pipe.process.wait()
        expected = plan.layout.count - first
        if decoded != expected:
            reason = pipe.error_text() if returncode != 0 else "the index lists"
            raise KeyframesMismatch(
                path, f"{decoded} keyframes decoded, {expected} in the index ({reason})"
            )


def frame_at(path, seconds: float, width: int, height: int) -> np.ndarray | None:
    """The picture shown at `seconds` as a (height, width, 3) uint8 array, or None when the
    video has no frame there (past its end). ffmpeg seeks to the keyframe before and decodes
    on to the exact time, so this costs one short decode, not the video's length."""
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-threads",
        "1",
        "-ss",
        f"{max(seconds, 0.0):.3f}",
        "-i",
        str(path),
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-frames:v",
        "1",
        "-vf",
        f"scale={width}:{height}:flags=area",
        "-pix_fmt",
        "rgb24",
        "-f",
        "rawvideo",
        "pipe:1",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(path, f"the picture at {seconds:.2f} s could not be decoded ({exc})")
    size = width * height * 3
    if len(done.stdout) < size:
        if done.returncode != 0:
            raise MediaError(
                path,
                "the picture at {:.2f} s could not be decoded: {}".format(
                    seconds, done.stderr.decode("utf-8", errors="replace").strip()[:300]
                ),
            )
        return None
    return np.frombuffer(done.stdout[:size], dtype=np.uint8).reshape(height, width, 3)
