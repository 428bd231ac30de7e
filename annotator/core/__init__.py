"""Media, features, tables, files and state. numpy/pandas/opencv/ffmpeg only: no TensorFlow, no Qt."""
