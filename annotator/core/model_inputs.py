"""The names of the model's four inputs, in one place: the per-second feature arrays are keyed
by them, the Keras inputs are named after them, and the feature cache carries them under them.

The audio stream reads `log_mel` (each second's 96x64 log-mel patch) and `audio_present` (1 where
the second has sound); the visual stream `visual` (the backbone's embedding of the second's
frames) and `visual_present` (1 where a frame was decoded). "visual" is also the name of a
modality and of a model type; this is the input's name.
"""

LOG_MEL = "log_mel"
AUDIO_PRESENT = "audio_present"
VISUAL = "visual"
VISUAL_PRESENT = "visual_present"

AUDIO_INPUTS = (LOG_MEL, AUDIO_PRESENT)
VISUAL_INPUTS = (VISUAL, VISUAL_PRESENT)
MODEL_INPUTS = (*AUDIO_INPUTS, *VISUAL_INPUTS)
