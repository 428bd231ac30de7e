"""Keras models, backbones, training, evaluation and prediction. TensorFlow is imported lazily."""
