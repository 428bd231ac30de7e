import numpy as np
import pytest

from annotator.core.audio_features import log_mel_patch, log_mel_patches, mel_matrix
from annotator.core.decode import iter_audio_seconds, iter_frame_seconds
from annotator.core.errors import MediaError
from annotator.core.features import extract_audio
from annotator.core.media import probe


def test_probe_reads_streams_and_exact_duration(odd_clips):
    info = probe(odd_clips["seven_four"])
    assert info.duration == pytest.approx(7.4, abs=0.001)
    assert info.has_video and info.has_audio and info.video_codec == "h264"
    no_audio = probe(odd_clips["no_audio"])
    assert no_audio.has_video and not no_audio.has_audio
    sound_only = probe(odd_clips["no_video"])
    assert sound_only.has_audio and not sound_only.has_video


def test_a_text_file_named_mp4_is_a_clear_media_error(odd_clips, tmp_path):
    with pytest.raises(MediaError, match="x.mp4: not a video file"):
        probe(odd_clips["text"])
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty file"):
        probe(empty)
    with pytest.raises(MediaError, match="file not found"):
        probe(tmp_path / "missing.mp4")


def test_decoding_streams_one_second_at_a_time(odd_clips):
    audio = list(iter_audio_seconds(odd_clips["seven_four"]))
    assert len(audio) == 8 and all(len(a) == 16000 for a in audio[:-1])
    assert len(audio[-1]) == pytest.approx(6400, abs=400)
    frames = list(iter_frame_seconds(odd_clips["seven_four"], frames_per_second=2))
    assert len(frames) == 8 and frames[0].shape == (2, 224, 224, 3) and frames[0].dtype == np.uint8


def test_log_mel_patch_follows_the_vggish_convention():
    assert mel_matrix().shape == (257, 64)
    t = np.arange(16000) / 16000
    low = log_mel_patch(np.sin(2 * np.pi * 300 * t))
    high = log_mel_patch(np.sin(2 * np.pi * 3000 * t))
    assert low.shape == (96, 64) and low.dtype == np.float32
    assert low.mean(axis=0).argmax() < high.mean(axis=0).argmax()
    silence = log_mel_patch(np.zeros(16000))
    assert np.allclose(silence, np.log(0.01))


def test_arrays_at_another_rate_are_resampled_to_16k():
    t = np.arange(44100 * 2) / 44100
    patches = log_mel_patches(np.sin(2 * np.pi * 1000 * t), sample_rate=44100)
    direct = log_mel_patches(np.sin(2 * np.pi * 1000 * np.arange(32000) / 16000))
    assert patches.shape == (2, 96, 64)
    assert patches[0].mean(axis=0).argmax() == direct[0].mean(axis=0).argmax()


def test_audio_features_mark_seconds_past_the_stream_as_absent(odd_clips):
    features = extract_audio(odd_clips["no_video"], seconds=5)
    assert features["audio_present"].tolist() == [1, 1, 1, 0, 0]
