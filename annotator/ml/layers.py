"""Custom Keras layers of the fusion models, registered so bundles load in Keras safe mode.

No Lambda layers anywhere: a bundle holds configuration and weights only, never code.
"""

from __future__ import annotations

import keras
from keras import ops

_PACKAGE = "av_annotator"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class PresenceGate(keras.layers.Layer):
    """Zeroes a modality's per-second vectors where that stream is absent: h * present[..., None]."""

    def call(self, inputs):
        features, present = inputs
        return features * ops.expand_dims(ops.cast(present, features.dtype), -1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package=_PACKAGE)
class LogMelSummary(keras.layers.Layer):
    """A fixed (not learnt) description of each second's log-mel patch: per band, the mean,
    the spread and the mean frame-to-frame change over the second, and a coarse grid of the
    patch (blocks of 16 frames by 4 bands). Like the picture embedding, it needs no training,
    so a head on it learns from a few labelled videos, and in a fraction of the CNN's time.

    (batch, seconds, frames, bands) -> (batch, seconds, 3 * bands + (frames/16) * (bands/4)).
    """

    _TIME_BLOCK, _BAND_BLOCK = 16, 4

    def call(self, patches):
        mean = ops.mean(patches, axis=2)
        spread = ops.std(patches, axis=2)
        change = ops.mean(ops.abs(patches[:, :, 1:, :] - patches[:, :, :-1, :]), axis=2)
        shape = ops.shape(patches)
        frames, bands = patches.shape[2], patches.shape[3]
        blocks = ops.reshape(
            patches,
            (
                shape[0],
                shape[1],
                frames // self._TIME_BLOCK,
                self._TIME_BLOCK,
                bands // self._BAND_BLOCK,
                self._BAND_BLOCK,
            ),
        )
        grid = ops.reshape(
            ops.mean(blocks, axis=(3, 5)),
            (shape[0], shape[1], (frames // self._TIME_BLOCK) * (bands // self._BAND_BLOCK)),
        )
        return ops.concatenate([mean, spread, change, grid], axis=-1)

    def compute_output_shape(self, input_shape):
        frames, bands = input_shape[2], input_shape[3]
        width = 3 * bands + (frames // self._TIME_BLOCK) * (bands // self._BAND_BLOCK)
        return tuple(input_shape[:2]) + (width,)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ModalityAttention(keras.layers.Layer):
    """Per-second softmax weights over (audio, visual), computed from both, masked by presence.

    Returns the two modality vectors, each scaled by its weight (times 2, so equal weights leave
    them unchanged) and concatenated, together with the weights. Concatenating rather than
    summing keeps each stream's identity: the class often lies in the pair (this sound AND that
    picture), which a single weighted sum blurs. A missing stream gets weight 0, so the model
    runs on the other one alone; a stream that shows nothing of the event can be turned down.
    """

    def __init__(self, units: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.score_hidden = keras.layers.Dense(units, activation="tanh", name="score_hidden")
        self.score = keras.layers.Dense(2, name="score")

    def build(self, input_shape):
        audio_shape, visual_shape = input_shape[0], input_shape[1]
        joint = tuple(audio_shape[:-1]) + (audio_shape[-1] + visual_shape[-1],)
        self.score_hidden.build(joint)
        self.score.build(tuple(audio_shape[:-1]) + (self.units,))
        super().build(input_shape)

    def call(self, inputs):
        audio, visual, audio_present, visual_present = inputs
        logits = self.score(self.score_hidden(ops.concatenate([audio, visual], axis=-1)))
        present = ops.stack(
            [ops.cast(audio_present, logits.dtype), ops.cast(visual_present, logits.dtype)], axis=-1
        )
        # Where neither stream is present, fall back to equal weights rather than NaN.
        none_present = ops.cast(ops.sum(present, axis=-1, keepdims=True) == 0, logits.dtype)
        allowed = ops.maximum(present, none_present)
        weights = ops.softmax(logits + (1.0 - allowed) * -1e9, axis=-1)
        fused = ops.concatenate(
            [2.0 * weights[..., 0:1] * audio, 2.0 * weights[..., 1:2] * visual], axis=-1
        )
        return fused, weights

    def compute_output_shape(self, input_shape):
        audio_shape, visual_shape = input_shape[0], input_shape[1]
        fused = tuple(audio_shape[:-1]) + (audio_shape[-1] + visual_shape[-1],)
        return fused, tuple(audio_shape[:-1]) + (2,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class HeadAgreement(keras.layers.Layer):
    """The fused head's class scores plus each present stream's own log-probabilities, weighted
    by a learnt non-negative weight, then a softmax.

    A class that needs this sound AND that picture (a bell heard while balls bounce) is where
    the two streams' heads agree: each alone spreads its belief over the classes sharing its
    stream, and the sum of their log-probabilities is highest on the one class both allow. A
    fused layer learns that conjunction only from many examples; this adds it for free, so
    a few labelled videos are enough. A missing stream adds nothing.
    """

    def build(self, input_shape):
        self.stream_weights = self.add_weight(
            name="stream_weights", shape=(2,), initializer="ones", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        scores, audio, visual, audio_present, visual_present = inputs
        weights = ops.softplus(self.stream_weights) / ops.softplus(ops.ones(()))
        total = scores
        for index, (probabilities, present) in enumerate(
            ((audio, audio_present), (visual, visual_present))
        ):
            gate = ops.expand_dims(ops.cast(present, scores.dtype), -1) * weights[index]
            total = total + gate * ops.log(ops.maximum(probabilities, 1e-6))
        return ops.softmax(total, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
