"""EfficientNet-Lite0 on paper: the stage table, sizes and input scaling both builders follow.

Lite0 is EfficientNet-B0 without squeeze-and-excitation, with ReLU6 and a fixed 32-channel
stem and 1280-channel head. The weights (``weights.py``) were ported from the TensorFlow
checkpoint by lukemelas' ``efficientnet_pytorch``, so convolutions pad like TF's static "same"
and inputs are scaled as TF-Lite's ``(x - 127) / 128``. Checked on photographs: TF "same"
padding classifies them more confidently than PyTorch's symmetric padding, swish instead of
ReLU6 misclassifies them, and the stem's batch-norm statistics fit ``(x - 127) / 128`` inputs
far better than ImageNet mean/std ones (``tests/ml/test_efficientnet_lite.py`` pins the last).

Plain numbers only: the Keras builder (``keras_model.py``) and the ONNX builder
(``onnx_model.py``) both read this module, and neither reads the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.conventions import FRAME_SIZE, VISUAL_EMBEDDING_SIZE

# Square RGB frames in, one pooled vector out (the sizes every model card records).
INPUT_SIZE = FRAME_SIZE
EMBEDDING_SIZE = VISUAL_EMBEDDING_SIZE

# The TF EfficientNet-Lite recipe: one mean and one scale for all channels.
INPUT_MEAN = 127.0
INPUT_SCALE = 128.0
BN_EPSILON = 1e-3  # TF's batch-norm epsilon, kept by the lukemelas port
STEM_FILTERS = 32
HEAD_FILTERS = EMBEDDING_SIZE
IMAGENET_CLASSES = 1000

# From the architecture at 224x224 (convolutions and classifier); ``count_multiply_adds``
# recounts it from a built model and the tests check the two agree.
MULTIPLY_ADDS_PER_IMAGE = 0.41e9


@dataclass(frozen=True)
class Stage:
    """One row of the B0 table: ``repeats`` MBConv blocks sharing kernel, expansion and width."""

    repeats: int
    kernel: int
    stride: int  # of the first block; the rest use 1
    expand: int
    filters: int


# EfficientNet-B0's stages (Lite0 keeps them at width and depth 1.0).
LITE0_STAGES = (
    Stage(1, 3, 1, 1, 16),
    Stage(2, 3, 2, 6, 24),
    Stage(2, 5, 2, 6, 40),
    Stage(3, 3, 2, 6, 80),
    Stage(3, 5, 1, 6, 112),
    Stage(4, 5, 2, 6, 192),
    Stage(1, 3, 1, 6, 320),
)
BLOCK_COUNT = sum(stage.repeats for stage in LITE0_STAGES)
