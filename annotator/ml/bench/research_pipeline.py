"""The research's pipeline, rebuilt as the reference the bench measures ours against.

One job: run one clip through the seed research's feature extraction and fusion head, stage by
stage, and say how long each stage took. As in docs/research.md: DenseNet201 (ImageNet-sized, global
average pooled, 1920 values) on 16 frames per second averaged per second, VGGish's conv stack up
to conv4 (the 12x8x512 map before the last pool) on one 96x64 log-mel patch per second, and the
fusion head (TD Dense(256) -> LSTM(64) for pictures, TD Conv2D(32) -> MaxPool -> Conv2D(64) ->
Flatten -> LSTM(64) for sound, concat -> Dense(128) -> Dense(28)).

Weights are random (none can be downloaded here; the cost does not depend on them). The rebuild
flatters the research: it decodes with our streaming ffmpeg pipes instead of writing images to
disk, and runs every network batched inside one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ...core.audio_features import log_mel_patch
from ...core.conventions import FRAME_SIZE, PATCH_SHAPE
from ...core.decode import iter_audio_seconds, iter_frame_seconds

RESEARCH_FPS = 16
RESEARCH_CLASSES = 28
DENSENET_EMBEDDING = 1920
VGGISH_CONV4_SHAPE = (12, 8, 512)
DENSENET_BATCH_FRAMES = 32
# VGGish's convolution blocks up to conv4: (filters, convolutions), a 2x2 max pool between blocks.
VGGISH_BLOCKS = ((64, 1), (128, 1), (256, 2), (512, 2))


def build_densenet201() -> keras.Model:
    """DenseNet201 without its classifier, average pooled: (N, 224, 224, 3) -> (N, 1920)."""
    return keras.applications.DenseNet201(
        weights=None, include_top=False, pooling="avg", input_shape=(FRAME_SIZE, FRAME_SIZE, 3)
    )


def build_vggish_conv4() -> keras.Model:
    """VGGish's conv stack up to conv4: (N, 96, 64, 1) log-mel -> (N, 12, 8, 512)."""
    patches = keras.Input((*PATCH_SHAPE, 1), name="log_mel")
    x = patches
    for index, (filters, convolutions) in enumerate(VGGISH_BLOCKS, start=1):
        if index > 1:
            x = keras.layers.MaxPooling2D(2, name=f"pool{index - 1}")(x)
        for repeat in range(1, convolutions + 1):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"conv{index}_{repeat}"
            )(x)
    return keras.Model(patches, x, name="vggish_conv4")


def build_research_fusion(seconds: int = 10, classes: int = RESEARCH_CLASSES) -> keras.Model:
    """The research's fusion head: one label per video from (seconds, ...) features."""
    visual_in = keras.Input((seconds, DENSENET_EMBEDDING), name="visual")
    audio_in = keras.Input((seconds, *VGGISH_CONV4_SHAPE), name="audio")
    visual = keras.layers.TimeDistributed(keras.layers.Dense(256, activation="relu"))(visual_in)
    visual = keras.layers.LSTM(64)(visual)
    audio = keras.layers.TimeDistributed(keras.layers.Conv2D(32, 3, activation="relu"))(audio_in)
    audio = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2))(audio)
    audio = keras.layers.TimeDistributed(keras.layers.Conv2D(64, 3, activation="relu"))(audio)
    audio = keras.layers.TimeDistributed(keras.layers.Flatten())(audio)
    audio = keras.layers.LSTM(64)(audio)
    fused = keras.layers.Concatenate()([visual, audio])
    fused = keras.layers.Dense(128, activation="relu")(fused)
    label = keras.layers.Dense(classes, activation="softmax")(fused)
    return keras.Model([visual_in, audio_in], label, name="research_fusion")


def _traced(model: keras.Model, shape: tuple) -> Callable:
    """One traced inference function per model, so timing never includes retracing."""
    spec = tf.TensorSpec((None, *shape), tf.float32)
    return tf.function(lambda x: model(x, training=False), input_signature=[spec])


class ResearchPipeline:
    """The three networks, built once; `run(path)` times one clip stage by stage."""

    def __init__(self, seconds: int = 10):
        self.seconds = seconds
        self.densenet = _traced(build_densenet201(), (FRAME_SIZE, FRAME_SIZE, 3))
        self.vggish = _traced(build_vggish_conv4(), (*PATCH_SHAPE, 1))
        head = build_research_fusion(seconds)
        self.head = tf.function(lambda visual, audio: head([visual, audio], training=False))

    def run(self, path: Path) -> dict[str, float]:
        """Seconds spent on each stage of one clip: decode, audio/visual features, model."""
        stages = {}
        started = time.perf_counter()
        audio = list(iter_audio_seconds(path))
        frames = list(iter_frame_seconds(path, RESEARCH_FPS, frames_decoded="all"))  # as it did
        stages["decode"] = time.perf_counter() - started
        started = time.perf_counter()
        audio_features = self._audio_features(audio)
        stages["audio_features"] = time.perf_counter() - started
        started = time.perf_counter()
        visual_features = self._visual_features(frames)
        stages["visual_features"] = time.perf_counter() - started
        started = time.perf_counter()
        self.head(visual_features[None], audio_features[None]).numpy()
        stages["model"] = time.perf_counter() - started
        return stages

    def warm_up(self) -> None:
        """Trace every function once (on blank input) so the timed clips pay no tracing."""
        blank_frames = [np.zeros((RESEARCH_FPS, FRAME_SIZE, FRAME_SIZE, 3), np.uint8)]
        blank_audio = [np.zeros(16_000, np.float32)]
        self.head(
            self._visual_features(blank_frames * self.seconds)[None],
            self._audio_features(blank_audio * self.seconds)[None],
        ).numpy()

    def _audio_features(self, seconds_of_audio: list[np.ndarray]) -> np.ndarray:
        patches = np.zeros((self.seconds, *PATCH_SHAPE, 1), np.float32)
        for index, chunk in enumerate(seconds_of_audio[: self.seconds]):
            patches[index, ..., 0] = log_mel_patch(chunk)
        return self.vggish(patches).numpy()

    def _visual_features(self, seconds_of_frames: list[np.ndarray]) -> np.ndarray:
        """DenseNet201 embeddings of every frame, averaged per second: (seconds, 1920)."""
        out = np.zeros((self.seconds, DENSENET_EMBEDDING), np.float32)
        frames = np.concatenate(seconds_of_frames[: self.seconds]).astype(np.float32)
        embedded = [
            self.densenet(
                keras.applications.densenet.preprocess_input(frames[i : i + DENSENET_BATCH_FRAMES])
            ).numpy()
            for i in range(0, len(frames), DENSENET_BATCH_FRAMES)
        ]
        embedded = np.concatenate(embedded)
        offset = 0
        for index, chunk in enumerate(seconds_of_frames[: self.seconds]):
            out[index] = embedded[offset : offset + len(chunk)].mean(axis=0)
            offset += len(chunk)
        return out
