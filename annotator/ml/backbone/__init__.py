"""The visual backbone, EfficientNet-Lite0, in layers: ``spec`` (the architecture on paper) and
``weights`` (the ImageNet file, read without torch) at the bottom; ``keras_model`` and
``onnx_model`` build it from them, neither importing the other; ``embedding.embed_frames`` on top.
The ONNX path imports no TensorFlow. Nothing is imported here, so each layer loads alone.
"""
