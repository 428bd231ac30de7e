"""Feature-set readers: AVE's h5 files and the research's pickles, on fixtures in their exact
formats. Class names are the truth in both numberings; bad files are one clear error each."""

import pickle

import h5py
import numpy as np
import pytest

from annotator.core.datasets import load_spec
from annotator.core.errors import DataSpecError
from annotator.core.feature_sets import (
    AVE_FILE_ORDER,
    NO_EVENT,
    RESEARCH_ORDER,
    feature_folder_kind,
)
from annotator.core.feature_set_readers import open_feature_set

from feature_fixtures import FIXTURE_CLASSES, write_ave_features, write_research_pickles


@pytest.fixture(scope="module")
def ave_small(tmp_path_factory):
    root = tmp_path_factory.mktemp("ave_small")
    return root, write_ave_features(root, videos=10, seed=3)


@pytest.fixture(scope="module")
def pickles_small(tmp_path_factory):
    root = tmp_path_factory.mktemp("pickles_small")
    return root, write_research_pickles(root, videos_per_split=(3, 2, 2), seed=5)


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_ave_files_give_class_names_by_first_appearance_in_annotations(ave_small):
    root, truth = ave_small
    feature_set = open_feature_set(root)
    assert feature_set.kind == "ave-features"
    assert feature_set.file_order == [*AVE_FILE_ORDER, "background"]
    assert feature_set.classes == [*sorted(AVE_FILE_ORDER), "background"]
    for split, rows in truth["splits"].items():
        loaded = feature_set.load_split(split, ("audio", "visual"))
        assert loaded.audio.shape == (len(rows), 10, 128) and loaded.audio.dtype == np.float32
        assert loaded.visual.shape == (len(rows), 10, 7, 7, 512)
        names = [feature_set.classes[i] for i in loaded.video_labels]
        assert names == [truth["names"][row] for row in rows]
        for labels, row in zip(loaded.second_labels, rows):
            expected = [
                truth["names"][row] if event else "background" for event in truth["mask"][row]
            ]
            assert [feature_set.classes[i] for i in labels] == expected


def test_another_annotation_order_is_followed_by_name(tmp_path):
    """A copy whose Annotations.txt lists classes in another order numbers the files so."""
    order = list(reversed(AVE_FILE_ORDER))
    truth = write_ave_features(tmp_path, videos=6, seed=4, class_order=order)
    feature_set = open_feature_set(tmp_path)
    assert feature_set.file_order[:28] == order
    loaded = feature_set.load_split("train", ("audio",))
    assert [feature_set.classes[i] for i in loaded.video_labels] == [
        truth["names"][row] for row in truth["splits"]["train"]
    ]


def test_without_annotations_the_published_order_names_the_classes(tmp_path):
    truth = write_ave_features(tmp_path, videos=6, seed=4, annotations=False)
    feature_set = open_feature_set(tmp_path)
    loaded = feature_set.load_split("test", ())
    assert [feature_set.classes[i] for i in loaded.video_labels] == [
        truth["names"][row] for row in truth["splits"]["test"]
    ]


def test_research_pickles_are_numbered_alphabetically(pickles_small):
    root, truth = pickles_small
    feature_set = open_feature_set(root, trust_pickles=True)
    assert feature_set.kind == "research-pickles" and feature_set.file_order[:28] == list(
        RESEARCH_ORDER
    )
    for split, key in (("train", "trainSet"), ("val", "valSet"), ("test", "testSet")):
        loaded = feature_set.load_split(split, ("visual", "audio"))
        assert [feature_set.classes[i] for i in loaded.video_labels] == truth[key]
        assert loaded.second_labels is None
        assert loaded.visual.shape[1:] == (10, 1920) and loaded.audio.shape[1:] == (10, 12, 8, 512)
    # The fixture's classes sit at different indices in the two numberings: a mix-up would show.
    assert [AVE_FILE_ORDER.index(c) for c in FIXTURE_CLASSES] != [
        RESEARCH_ORDER.index(c) for c in FIXTURE_CLASSES
    ]


class _RunsCode:
    """Unpickling this writes a file: proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickles_are_refused_without_the_flag_and_never_unpickled(tmp_path):
    marker = tmp_path / "ran.txt"
    folder = tmp_path / "pickles"
    write_research_pickles(folder, videos_per_split=(2, 2, 2))
    with open(folder / "trainSet_target.p", "wb") as handle:
        pickle.dump(_RunsCode(marker), handle)
    with pytest.raises(DataSpecError, match="can run any code.*--trust-pickles") as error:
        open_feature_set(folder)
    assert "\n" not in str(error.value)
    assert not marker.exists()


def test_a_folder_with_annotations_and_feature_files_is_features(ave_small, tmp_path):
    root, _ = ave_small
    copy = _copy(root, tmp_path / "copy")
    (copy / "AVE").mkdir()
    (copy / "trainSet.txt").write_text("Church bell&v0000&good&0&10\n")
    assert feature_folder_kind(copy) == "ave-features"
    with pytest.raises(DataSpecError, match="pre-extracted features"):
        load_spec(copy)


def test_a_missing_split_file_is_named(ave_small, tmp_path):
    copy = _copy(ave_small[0], tmp_path / "copy")
    (copy / "val_order.h5").unlink()
    with pytest.raises(DataSpecError, match=r"val_order.h5: missing"):
        open_feature_set(copy)


def test_a_missing_pickle_is_named(pickles_small, tmp_path):
    copy = _copy(pickles_small[0], tmp_path / "copy")
    (copy / "testSet_audio.p").unlink()
    with pytest.raises(DataSpecError, match=r"missing testSet_audio.p"):
        open_feature_set(copy, trust_pickles=True)


def test_feature_shapes_that_disagree_are_errors(ave_small, pickles_small, tmp_path):
    copy = _copy(ave_small[0], tmp_path / "ave")
    with h5py.File(copy / "audio_feature.h5", "w") as handle:
        handle.create_dataset("avadataset", data=np.zeros((9, 10, 128), np.float32))
    with pytest.raises(DataSpecError, match=r"audio_feature.h5: shape \(9, 10, 128\) disagrees"):
        open_feature_set(copy)
    copy = _copy(pickles_small[0], tmp_path / "pickles")
    with open(copy / "valSet_audio.p", "wb") as handle:
        pickle.dump(np.zeros((5, 10, 12, 8, 512), np.float32), handle)
    feature_set = open_feature_set(copy, trust_pickles=True)
    with pytest.raises(
        DataSpecError, match=r"valSet_audio.p: shape \(5, 10, 12, 8, 512\) disagrees"
    ):
        feature_set.load_split("val", ("audio",))


def _rewrite_labels(folder, change):
    with h5py.File(folder / "labels.h5", "r") as handle:
        labels = handle["avadataset"][()]
    change(labels)
    with h5py.File(folder / "labels.h5", "w") as handle:
        handle.create_dataset("avadataset", data=labels)


def test_labels_with_no_event_are_errors(ave_small, tmp_path):
    copy = _copy(ave_small[0], tmp_path / "blank_second")
    _rewrite_labels(copy, lambda labels: labels[3, 4].fill(0.0))
    with pytest.raises(DataSpecError, match=r"labels.h5: video 3 second 4 has no class"):
        open_feature_set(copy)
    copy = _copy(ave_small[0], tmp_path / "all_background")
    _rewrite_labels(copy, lambda labels: labels.__setitem__(..., np.eye(29)[28]))
    with pytest.raises(DataSpecError, match=r"labels.h5: no video has an event second"):
        open_feature_set(copy)


def test_a_clip_that_is_background_throughout_has_no_video_label(ave_small, tmp_path):
    """AVE's own Annotations.txt holds one (an event from 0 to 0 s): it counts per second only."""
    root, truth = ave_small
    copy = _copy(root, tmp_path / "one_empty")
    row = int(truth["splits"]["train"][0])
    _rewrite_labels(copy, lambda labels: labels.__setitem__(row, np.eye(29)[28]))
    loaded = open_feature_set(copy).load_split("train", ())
    assert loaded.video_labels[0] == NO_EVENT and (loaded.second_labels[0] == 28).all()
    assert (loaded.video_labels[1:] != NO_EVENT).all()


def test_a_pickle_target_with_no_class_is_an_error(pickles_small, tmp_path):
    copy = _copy(pickles_small[0], tmp_path / "copy")
    with open(copy / "valSet_target.p", "wb") as handle:
        pickle.dump(np.zeros((2, 28), np.float32), handle)
    with pytest.raises(DataSpecError, match=r"valSet_target.p: video 0 has no class"):
        open_feature_set(copy, trust_pickles=True)


def test_an_h5_without_the_expected_key_is_an_error(ave_small, tmp_path):
    copy = _copy(ave_small[0], tmp_path / "labels_key")
    with h5py.File(copy / "labels.h5", "w") as handle:
        handle.create_dataset("labels", data=np.zeros((10, 10, 29)))
    with pytest.raises(
        DataSpecError, match=r"labels.h5: no dataset 'avadataset' \(it holds: labels\)"
    ):
        open_feature_set(copy)
    copy = _copy(ave_small[0], tmp_path / "order_key")
    with h5py.File(copy / "test_order.h5", "w") as handle:
        handle.create_dataset("avadataset", data=np.arange(3))
    with pytest.raises(DataSpecError, match=r"test_order.h5: no dataset 'order'"):
        open_feature_set(copy)
    copy = _copy(ave_small[0], tmp_path / "visual_key")
    with h5py.File(copy / "visual_feature.h5", "w") as handle:
        handle.create_dataset("features", data=np.zeros(3))
    with pytest.raises(DataSpecError, match=r"visual_feature.h5: no dataset 'avadataset'"):
        open_feature_set(copy)
