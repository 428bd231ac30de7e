"""The Keras heads run in numpy, read from the bundle's `.keras` file without TensorFlow."""

from .layers import Unsupported
from .model import NumpyHead, load_numpy_head

__all__ = ["NumpyHead", "Unsupported", "load_numpy_head"]
