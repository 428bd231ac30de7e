"""Constants that define the feature conventions. Every model card records them.

Audio follows the public VGGish front end (docs/research.md); visual follows EfficientNet-Lite0 at 224x224.
"""

AUDIO_SAMPLE_RATE = 16_000  # Hz, mono
STFT_WINDOW_SECONDS = 0.025
STFT_HOP_SECONDS = 0.010
MEL_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
PATCH_FRAMES = 96  # 0.96 s of 10 ms hops
PATCH_SHAPE = (PATCH_FRAMES, MEL_BANDS)

FRAME_SIZE = 224  # visual frames are decoded straight to 224x224 RGB
DEFAULT_VISUAL_FPS = 1  # frames per second fed to the backbone, averaged per second
VISUAL_BACKBONE = "efficientnet-lite0-imagenet"
VISUAL_EMBEDDING_SIZE = 1280
# Which frames ffmpeg decodes to pick each sample from: "reference" skips the frames no other
# frame depends on (ffmpeg's `-skip_frame noref`), so where a sample time falls on one of them
# the reference frame next to it (one frame interval away) stands in; "all" decodes every frame.
# The frames decoded are exact either way. Measured by scripts/measure_decoding.py (docs/performance.md,
# "What makes it fast"): a quarter less decoding on 30 fps H.264 with nearly always the same
# frames picked; forced on 10 fps demo clips (stand-ins 100 ms away) held-out accuracy moved at
# most 0.35 points for the shipped models. It is used from 20 fps up (23.976, 25, 29.97, 30, 50,
# 60 fps: stand-ins at most 50 ms away, half what was measured to hold); slower videos decode
# every frame, and they are cheap to decode anyway. Models trained on either decoding read the
# other's features: the choice keys the feature cache but is not checked against a model card.
VISUAL_FRAMES_DECODED = "reference"
REFERENCE_FRAMES_MIN_FPS = 20.0
# Before either, keyframes only where the index shows one in every sampling interval
# (core/keyframes.py, docs/decoding.md): "keyframes" then keys the cache.
FRAMES_DECODED_POLICY = (
    "keyframes where every sampling interval holds one, else reference frames at "
    f"{REFERENCE_FRAMES_MIN_FPS:g} fps and above, else all"
)


BACKGROUND = "background"

# A video with at least this share of seconds unlike the model's training data gets a warning
# of its own (CLI and app); held-out demo videos, ~2 % of whose seconds are flagged, rarely do.
UNFAMILIAR_WARNING_SHARE = 0.2


def audio_settings() -> dict:
    """The audio front end, as recorded in a model card and checked on load."""
    return {
        "sample_rate": AUDIO_SAMPLE_RATE,
        "stft_window_seconds": STFT_WINDOW_SECONDS,
        "stft_hop_seconds": STFT_HOP_SECONDS,
        "mel_bands": MEL_BANDS,
        "mel_min_hz": MEL_MIN_HZ,
        "mel_max_hz": MEL_MAX_HZ,
        "log_offset": LOG_OFFSET,
        "patch_frames": PATCH_FRAMES,
    }


def visual_settings(frames_per_second: int = DEFAULT_VISUAL_FPS) -> dict:
    """The visual front end, as recorded in a model card and checked on load."""
    return {
        "backbone": VISUAL_BACKBONE,
        "frame_size": FRAME_SIZE,
        "frames_per_second": int(frames_per_second),
        "embedding_size": VISUAL_EMBEDDING_SIZE,
    }


def visual_extraction(
    frames_per_second: int = DEFAULT_VISUAL_FPS, frames_decoded: str = VISUAL_FRAMES_DECODED
) -> dict:
    """Everything that shapes a visual feature as computed: the card's settings plus the
    decoding. Keys the feature cache, so features decoded differently are never mistaken for
    each other (new cards record FRAMES_DECODED_POLICY; loading checks only `visual_settings`)."""
    return {**visual_settings(frames_per_second), "frames_decoded": frames_decoded}


def frames_decoded_for(video_fps: float) -> str:
    """The decoding for a video of this frame rate (0 when unknown): see VISUAL_FRAMES_DECODED."""
    return VISUAL_FRAMES_DECODED if video_fps >= REFERENCE_FRAMES_MIN_FPS else "all"


# The two-sided 95 % point of the normal distribution: every 95 % interval the app shows.
Z_95 = 1.959964
