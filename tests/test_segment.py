"""RawSegmenter and the padding-segment convention."""

import pickle

import numpy as np
import pytest
from conftest import run_front_end_check
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_audio import RawSegmenter
from sklearn_audio.segment import n_segments_for_length, segment_mask


@parametrize_with_checks([RawSegmenter(segment_seconds=2, sr=1)])
def test_sklearn_compatible(estimator, check):
    run_front_end_check(estimator, check)


def test_gtzan_scale_shape():
    X = np.full((2, 30 * 22050), 0.1, dtype=np.float32)
    out = RawSegmenter(segment_seconds=3.0).fit_transform(X)
    assert out.shape == (2, 10, 66150)
    assert out.dtype == np.float32


def test_segments_hold_consecutive_samples():
    X = np.arange(1, 21, dtype=np.float32)[None, :]
    out = RawSegmenter(segment_seconds=5, sr=1).fit_transform(X)
    np.testing.assert_array_equal(out[0], X[0].reshape(4, 5))


def test_overlapping_hop():
    X = np.arange(1, 11, dtype=np.float32)[None, :]
    seg = RawSegmenter(segment_seconds=4, hop_seconds=2, sr=1).fit(X)
    out = seg.transform(X)
    assert seg.n_segments_ == 4
    np.testing.assert_array_equal(out[0, 1], [3, 4, 5, 6])


def test_ragged_short_clips_get_padding_segments():
    clips = np.empty(3, dtype=object)
    clips[:] = [np.ones(10, np.float32), np.ones(4, np.float32), np.ones(2, np.float32)]
    seg = RawSegmenter(segment_seconds=3, sr=1).fit(clips)
    out = seg.transform(clips)
    assert out.shape == (3, 3, 3)
    mask = segment_mask(out, example_ndim=1)
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [1, 0, 0]])
    # A clip shorter than one segment is one real, zero-padded segment.
    np.testing.assert_array_equal(out[2, 0], [1, 1, 0])


def test_long_clips_truncated_and_max_segments():
    train = np.ones((1, 9), np.float32)
    seg = RawSegmenter(segment_seconds=3, sr=1).fit(train)
    assert seg.transform(np.ones((1, 30), np.float32)).shape == (1, 3, 3)
    capped = RawSegmenter(segment_seconds=3, sr=1, max_segments=2).fit(np.ones((1, 30)))
    assert capped.n_segments_ == 2
    # The segments kept are the first ones; the rest of a long clip is dropped.
    ramp = np.arange(1, 31, dtype=np.float32)[np.newaxis]
    np.testing.assert_array_equal(capped.transform(ramp)[0], [[1, 2, 3], [4, 5, 6]])
    uncapped = RawSegmenter(segment_seconds=3, sr=1).fit(ramp)
    np.testing.assert_array_equal(capped.transform(ramp), uncapped.transform(ramp)[:, :2])
    # The cap only bounds: shorter training clips still fix fewer segments.
    assert RawSegmenter(segment_seconds=3, sr=1, max_segments=5).fit(train).n_segments_ == 3


def test_n_segments_for_length():
    assert n_segments_for_length(10, 3, 3) == 3
    assert n_segments_for_length(3, 3, 3) == 1
    assert n_segments_for_length(1, 3, 3) == 1
    assert n_segments_for_length(10, 4, 2) == 4


def test_segment_mask_rejects_wrong_rank():
    with pytest.raises(ValueError, match="4 dimensions"):
        segment_mask(np.zeros((2, 3)), example_ndim=2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"segment_seconds": 0}, "segment_seconds"),
        ({"hop_seconds": -1}, "hop_seconds"),
        ({"sr": 0}, "sr"),
        ({"sr": 1.5}, "sr"),
        ({"max_segments": 0}, "max_segments"),
        ({"segment_seconds": 1e-6, "sr": 8000}, "one sample"),
    ],
)
def test_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        RawSegmenter(**params).fit(np.ones((2, 100)))


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.ones((2, 3, 4)), ValueError, "shape"),
        (np.ones(5), ValueError, "Reshape"),
        (["a.wav", "b.wav"], TypeError, "AudioLoader"),
    ],
)
def test_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        RawSegmenter(sr=1, segment_seconds=1).fit(X)


def test_nan_names_sample():
    X = np.ones((3, 10))
    X[2, 4] = np.nan
    with pytest.raises(ValueError, match="sample 2 contains NaN"):
        RawSegmenter(sr=1, segment_seconds=2).fit(X)


def test_n_features_in_is_the_width_of_2d_input_only():
    """Not "the longest clip": ragged input has no number of features, and a refit clears it."""
    seg = RawSegmenter(segment_seconds=2, sr=1).fit(np.ones((2, 10)))
    assert seg.n_features_in_ == 10
    ragged = np.empty(2, dtype=object)
    ragged[:] = [np.ones(7), np.ones(12)]
    seg.fit(ragged)
    assert not hasattr(seg, "n_features_in_")
    assert seg.n_segments_ == 6  # the longest clip still fixes the segment count


def test_clone_and_pickle_keep_behaviour():
    X = np.random.default_rng(0).standard_normal((2, 50)).astype(np.float32)
    seg = RawSegmenter(segment_seconds=1, sr=10).fit(X)
    restored = pickle.loads(pickle.dumps(seg))
    np.testing.assert_array_equal(restored.transform(X), seg.transform(X))
    assert clone(seg).get_params() == seg.get_params()
