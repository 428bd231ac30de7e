"""Constants that define the feature conventions. Every model card records them.

Audio follows the public VGGish front end (SEED.md); visual follows EfficientNet-Lite0 at 224x224.
"""

AUDIO_SAMPLE_RATE = 16_000          # Hz, mono
STFT_WINDOW_SECONDS = 0.025
STFT_HOP_SECONDS = 0.010
MEL_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
PATCH_FRAMES = 96                   # 0.96 s of 10 ms hops
PATCH_SHAPE = (PATCH_FRAMES, MEL_BANDS)

FRAME_SIZE = 224                    # visual frames are decoded straight to 224x224 RGB
DEFAULT_VISUAL_FPS = 1              # frames per second fed to the backbone, averaged per second
VISUAL_BACKBONE = "efficientnet-lite0-imagenet"
VISUAL_EMBEDDING_SIZE = 1280

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
