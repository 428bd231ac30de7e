"""EfficientNet-Lite0 on ONNX Runtime: the same weights and graph as the Keras backbone, faster.

Reads only ``spec.py`` and ``weights.py``: this module never imports TensorFlow or Keras, so
embedding frames costs an application neither (an import-linter contract and a test hold it).

One job: turn the installed ImageNet state dict into an ONNX graph (built in memory in about
0.1 s, nothing downloaded; the built graph is kept in the user's cache folder, so later runs
need neither the `onnx` package nor the weights file) and run it with ONNX Runtime. On this project's
2-core CPU it embeds a 224x224 frame in about 10 ms of CPU on one thread, where TensorFlow spends
about 16 ms of CPU (over two threads); its embeddings match the Keras model's to within 1e-4
(``tests/ml/test_backbone_runtime.py``).

Batch norm is folded into the convolutions (exact in float32 up to rounding); convolutions pad
like TF's static "same" (``SAME_UPPER``: the odd extra pixel at the bottom/right), exactly as the
Keras graph does; the input is uint8-range RGB, scaled as ``(x - 127) / 128`` inside the graph.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from pathlib import Path

import numpy as np

from ...core.atomic import atomic_write
from .spec import (
    BN_EPSILON,
    EMBEDDING_SIZE,
    INPUT_MEAN,
    INPUT_SCALE,
    INPUT_SIZE,
    LITE0_STAGES,
    STEM_FILTERS,
)
from .weights import imagenet_state_dict, weights_path

log = logging.getLogger(__name__)

INPUT_NAME = "rgb"
OUTPUT_NAME = "embedding"
OPSET = 17
# One intra-op thread per call: the pipeline already runs decoding, audio and several videos in
# parallel, so a second thread per call only fights them for the same two cores.
INTRA_OP_THREADS = 1
# ONNX Runtime keeps a memory arena as large as the largest batch it has run (32 frames held
# 380 MB, 4 frames 35 MB), while its cost per frame does not depend on the batch (about 9.4 ms
# from 1 to 16 frames here): small runs keep an hour-long video's memory flat for free.
FRAMES_PER_RUN = 4
# Bump when the graph builder changes: graphs kept by earlier versions are then not read.
GRAPH_VERSION = 1


class _GraphBuilder:
    """Accumulates ONNX nodes and weights while walking the Lite0 architecture."""

    def __init__(self, state: dict[str, np.ndarray]):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.state = state
        self.nodes: list = []
        self.weights: list = []

    def constant(self, name: str, value) -> str:
        array = np.ascontiguousarray(np.asarray(value, dtype=np.float32))
        self.weights.append(self.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [output], **attributes))
        return output

    def conv_bn(
        self,
        x: str,
        conv: str,
        bn: str,
        stride: int,
        name: str,
        groups: int = 1,
        activate: bool = True,
    ) -> str:
        """Convolution with its batch norm folded in, then ReLU6 unless it is a projection."""
        kernel = self.state[f"{conv}.weight"]
        scale = self.state[f"{bn}.weight"] / np.sqrt(self.state[f"{bn}.running_var"] + BN_EPSILON)
        shift = self.state[f"{bn}.bias"] - self.state[f"{bn}.running_mean"] * scale
        weight = self.constant(f"{name}_weight", kernel * scale[:, None, None, None])
        bias = self.constant(f"{name}_bias", shift)
        size = int(kernel.shape[-1])
        x = self.node(
            "Conv",
            [x, weight, bias],
            f"{name}_conv",
            strides=[stride, stride],
            kernel_shape=[size, size],
            group=groups,
            auto_pad="SAME_UPPER",
        )
        if not activate:
            return x
        return self.node("Clip", [x, "zero", "six"], f"{name}_relu6")

    def mbconv(self, x: str, block: int, expand: int, stride: int, skip: bool) -> str:
        """Inverted residual: 1x1 expand, depthwise, 1x1 project, identity skip when allowed."""
        prefix, inputs = f"_blocks.{block}", x
        if expand != 1:
            x = self.conv_bn(x, f"{prefix}._expand_conv", f"{prefix}._bn0", 1, f"b{block}_expand")
        channels = int(self.state[f"{prefix}._depthwise_conv.weight"].shape[0])
        x = self.conv_bn(
            x,
            f"{prefix}._depthwise_conv",
            f"{prefix}._bn1",
            stride,
            f"b{block}_depthwise",
            groups=channels,
        )
        x = self.conv_bn(
            x, f"{prefix}._project_conv", f"{prefix}._bn2", 1, f"b{block}_project", activate=False
        )
        return self.node("Add", [inputs, x], f"b{block}_skip") if skip else x


def _preprocess(graph: _GraphBuilder) -> str:
    """uint8 NHWC RGB -> float NCHW scaled as the weights were trained."""
    from onnx import TensorProto

    graph.constant("zero", 0.0)
    graph.constant("six", 6.0)
    graph.constant("mean", INPUT_MEAN)
    graph.constant("inverse_scale", 1.0 / INPUT_SCALE)
    x = graph.node("Cast", [INPUT_NAME], "rgb_float", to=TensorProto.FLOAT)
    x = graph.node("Sub", [x, "mean"], "rgb_centred")
    x = graph.node("Mul", [x, "inverse_scale"], "rgb_scaled")
    return graph.node("Transpose", [x], "rgb_nchw", perm=[0, 3, 1, 2])


def build_onnx_graph(state: dict[str, np.ndarray] | None = None) -> bytes:
    """The serialized ONNX model: (N, 224, 224, 3) uint8 RGB in, (N, 1280) embeddings out."""
    from onnx import TensorProto, helper

    graph = _GraphBuilder(imagenet_state_dict() if state is None else state)
    x = _preprocess(graph)
    x = graph.conv_bn(x, "_conv_stem", "_bn0", 2, "stem")
    block, channels = 0, STEM_FILTERS
    for stage in LITE0_STAGES:
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            skip = stride == 1 and channels == stage.filters
            x = graph.mbconv(x, block, stage.expand, stride, skip)
            block, channels = block + 1, stage.filters
    x = graph.conv_bn(x, "_conv_head", "_bn1", 1, "head")
    x = graph.node("GlobalAveragePool", [x], "pooled")
    graph.node("Flatten", [x], OUTPUT_NAME)
    inputs = [
        helper.make_tensor_value_info(
            INPUT_NAME, TensorProto.UINT8, [None, INPUT_SIZE, INPUT_SIZE, 3]
        )
    ]
    outputs = [
        helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, EMBEDDING_SIZE])
    ]
    model = helper.make_model(
        helper.make_graph(
            graph.nodes, "efficientnet_lite0_embedding", inputs, outputs, graph.weights
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="av-annotator",
    )
    model.ir_version = 8  # the oldest IR that opset 17 allows: loads in any recent runtime
    return model.SerializeToString()


def _kept_graph_path() -> Path | None:
    """Where the graph built from this weights file is kept between runs (None: nowhere)."""
    try:
        weights = weights_path()
        stat = weights.stat()
    except (OSError, RuntimeError, ValueError):
        return None
    identity = json.dumps([str(weights.resolve()), stat.st_size, stat.st_mtime_ns, GRAPH_VERSION])
    digest = hashlib.sha1(identity.encode("utf-8")).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "av-annotator" / "backbone" / f"efficientnet-lite0-{digest}.onnx"


def kept_graph(rebuild: bool = False) -> bytes:
    """The serialized graph, read from the copy an earlier run kept, else built and kept.

    Building needs the `onnx` package, whose import alone took 0.3-3 s of a cold `annotate`
    (ml_dtypes' extension among it); reading the kept copy needs nothing but the file."""
    path = _kept_graph_path()
    if path is not None and not rebuild:
        try:
            return path.read_bytes()
        except OSError:
            pass
    graph = build_onnx_graph()
    if path is not None:
        try:
            with atomic_write(path, binary=True) as handle:
                handle.write(graph)
        except OSError as exc:  # a read-only home: build it again next time, nothing more
            log.info("backbone graph not kept (%s)", exc)
    return graph


class OnnxBackbone:
    """An ONNX Runtime session over the Lite0 graph; `embed` is safe to call from many threads."""

    def __init__(self, threads: int = INTRA_OP_THREADS):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads must not spin: ffmpeg and the other videos need those cycles.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(
                kept_graph(), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's own error types: the kept copy is damaged
            log.warning("kept backbone graph unusable (%s); building it again", exc)
            self.session = onnxruntime.InferenceSession(
                kept_graph(rebuild=True), options, providers=["CPUExecutionProvider"]
            )

    def embed(self, frames: np.ndarray) -> np.ndarray:
        """(N, 224, 224, 3) uint8 RGB -> (N, 1280) float32, FRAMES_PER_RUN frames per run."""
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        runs = [
            self.session.run([OUTPUT_NAME], {INPUT_NAME: frames[i : i + FRAMES_PER_RUN]})[0]
            for i in range(0, len(frames), FRAMES_PER_RUN)
        ]
        if not runs:
            return np.zeros((0, EMBEDDING_SIZE), np.float32)
        return np.concatenate(runs)


_LOCK = threading.Lock()


def onnx_backbone() -> OnnxBackbone | None:
    """The shared session, built on first use; None where ONNX Runtime is not installed."""
    # Workers may ask at the same time; the lock makes sure only one of them builds.
    with _LOCK:
        return _build_once()


@functools.lru_cache(maxsize=1)
def _build_once() -> OnnxBackbone | None:
    try:
        backbone = OnnxBackbone()
    except ImportError as exc:
        log.warning("ONNX Runtime unavailable (%s); embedding frames with TensorFlow", exc)
        return None
    log.info("EfficientNet-Lite0 runs on ONNX Runtime")
    return backbone
