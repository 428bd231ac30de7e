"""A bundle's Keras head run in numpy, read straight from its `model.keras` file.

A `.keras` file is a zip of `config.json` (the functional graph: layers, their configs and how
they connect) and `model.weights.h5` (each layer's weights under `layers/<class>[_n]`, numbered
per class in the order of the config's layer list). Reading both needs no TensorFlow, which is
what lets `annotate` start in about a second instead of five: TensorFlow's import, loading the
model and tracing its graph took 6.7 CPU-seconds before the first row.

Only plain data is read (JSON and HDF5 arrays), never code. A graph with a layer or option that
`layers.py` does not implement raises `Unsupported`; the caller then runs the Keras model.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from pathlib import Path

import numpy as np

from .layers import F32, Unsupported, build_layer

log = logging.getLogger(__name__)


def _snake_case(name: str) -> str:
    """Keras' own naming of saved objects (keras.src.utils.naming.to_snake_case)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _tensor_ref(value) -> tuple[str, int, int]:
    if not (isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"):
        raise Unsupported(f"a layer input that is not a tensor: {str(value)[:80]}")
    name, node, index = value["config"]["keras_history"]
    if node != 0:
        raise Unsupported(f"shared layer {name!r} (called more than once)")
    return name, int(index)


def _inputs_of(saved: dict) -> list[tuple[str, int]]:
    nodes = saved.get("inbound_nodes", [])
    if len(nodes) != 1:
        raise Unsupported(f"{saved['config']['name']}: {len(nodes)} calls")
    node = nodes[0]
    if any(
        value not in (None, False)
        for key, value in node.get("kwargs", {}).items()
        if key not in ("mask", "training")
    ):
        raise Unsupported(f"{saved['config']['name']}: call arguments {node['kwargs']}")
    args = node["args"]
    if len(args) != 1:
        raise Unsupported(f"{saved['config']['name']}: {len(args)} positional arguments")
    first = args[0]
    return [_tensor_ref(v) for v in first] if isinstance(first, list) else [_tensor_ref(first)]


class NumpyHead:
    """`head(batch) -> outputs`: the Keras model's forward pass (inference) in numpy float32."""

    def __init__(self, graph: dict, weights):
        config = graph["config"]
        if graph.get("class_name") != "Functional":
            raise Unsupported(f"model class {graph.get('class_name')!r}")
        self.input_names = self._named(config["input_layers"], "inputs")
        self.output_names = self._named(config["output_layers"], "outputs")
        self.steps: list[tuple[str, list, object]] = []  # (layer name, inputs, forward)
        counts: dict[str, int] = {}
        for saved in config["layers"]:
            class_name, layer_config = saved["class_name"], saved["config"]
            key = _snake_case(class_name)
            saved_name = key if key not in counts else f"{key}_{counts[key]}"
            counts[key] = counts.get(key, 0) + 1
            if class_name == "InputLayer":
                continue
            group = weights["layers"][saved_name]
            self.steps.append(
                (
                    layer_config["name"],
                    _inputs_of(saved),
                    build_layer(class_name, layer_config, group, saved),
                )
            )

    @staticmethod
    def _named(spec, what: str) -> dict:
        """{'log_mel': ('log_mel', 0), ...}: the model's named inputs or outputs."""
        if not isinstance(spec, dict):
            raise Unsupported(f"{what} that are not a dict of named tensors")
        return {key: (ref[0], int(ref[2])) for key, ref in spec.items()}

    @property
    def input(self) -> list[str]:
        """The input names, as `keras.Model.input` is used by the caller (`name in model.input`)."""
        return list(self.input_names)

    def __call__(self, batch: dict) -> dict:
        values: dict[str, tuple] = {}
        for name, (layer, _index) in self.input_names.items():
            values[layer] = (np.asarray(batch[name], dtype=F32),)
        for name, refs, forward in self.steps:
            out = forward([values[layer][index] for layer, index in refs])
            values[name] = out if isinstance(out, tuple) else (out,)
        return {name: values[layer][index] for name, (layer, index) in self.output_names.items()}


def load_numpy_head(path: Path) -> NumpyHead:
    """The head of a `.keras` file; raises Unsupported for what only Keras can run, and
    OSError/KeyError/ValueError for a file that is not a readable Keras archive."""
    import h5py

    with zipfile.ZipFile(path) as archive:
        graph = json.loads(archive.read("config.json"))
        weights_bytes = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(weights_bytes), "r") as weights:
        return NumpyHead(graph, weights)
