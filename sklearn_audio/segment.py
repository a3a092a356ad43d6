"""Cutting clips into fixed-length segments without multiplying rows.

Segmentation adds an axis instead of rows (see the data contract in the user
guide): one row stays one clip, so any cross-validation splitter splits by
clip and segments of one song never sit in both train and test.

Padding segments, added when a clip is too short for the segment count fixed
at fit, are all zeros. That convention holds at every stage: the feature
transformers map an all-zero segment to all-zero features, and the
classifiers leave such segments out of training and of the clip aggregate.
:func:`segment_mask` tells real segments from padding.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import check_waveforms, set_input_features

__all__ = ["RawSegmenter", "segment_mask", "n_segments_for_length"]


def segment_mask(X, example_ndim):
    """Tell real segments from padding segments.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_segments, ...)
        Segmented data: raw segments ``(n, segments, samples)`` or features
        ``(n, segments, frames, coeffs)``.
    example_ndim : int
        Number of axes of one segment (1 for raw samples or summary vectors,
        2 for a frames x coefficients matrix).

    Returns
    -------
    mask : ndarray of bool, shape (n_clips, n_segments)
        True where the segment holds data, False where it is an all-zero
        padding segment.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.segment import segment_mask
    >>> X = np.ones((2, 3, 4), dtype=np.float32)
    >>> X[1, 2] = 0.0
    >>> segment_mask(X, example_ndim=1)
    array([[ True,  True,  True],
           [ True,  True, False]])
    """
    X = np.asarray(X)
    if X.ndim != example_ndim + 2:
        raise ValueError(
            f"Expected segmented data with {example_ndim + 2} dimensions "
            f"(n_clips, n_segments, ...), got shape {X.shape}."
        )
    axes = tuple(range(2, X.ndim))
    return np.any(X != 0, axis=axes)


def n_segments_for_length(n_samples, segment_samples, hop_samples):
    """Number of whole segments a clip of ``n_samples`` yields (at least one).

    A clip shorter than one segment still yields one segment: itself,
    zero-padded at the end.

    Parameters
    ----------
    n_samples : int
        Length of the clip in samples.
    segment_samples : int
        Length of one segment in samples.
    hop_samples : int
        Distance between the starts of consecutive segments.

    Returns
    -------
    n_segments : int

    Examples
    --------
    >>> from sklearn_audio.segment import n_segments_for_length
    >>> n_segments_for_length(30 * 22050, 3 * 22050, 3 * 22050)
    10
    >>> n_segments_for_length(100, 400, 400)
    1
    """
    if n_samples <= segment_samples:
        return 1
    return 1 + (n_samples - segment_samples) // hop_samples


class RawSegmenter(TransformerMixin, BaseEstimator):
    """Cut each clip into fixed-length segments along a new axis.

    One row stays one clip: the output has shape
    ``(n_clips, n_segments, segment_samples)``. The segment count is fixed at
    :meth:`fit` (the largest count among the training clips, capped by
    ``max_segments``); at transform time shorter clips get all-zero padding
    segments and longer ones are truncated. A clip shorter than one segment
    becomes one segment, zero-padded at its end (a real segment, not
    padding).

    Parameters
    ----------
    segment_seconds : float, default=3.0
        Length of a segment in seconds.
    hop_seconds : float or None, default=None
        Distance between segment starts in seconds; ``None`` means
        ``segment_seconds`` (no overlap). Smaller values give overlapping
        segments.
    sr : int, default=22050
        Sampling rate of the waveforms, used to turn seconds into samples.
    max_segments : int or None, default=None
        Upper bound on the number of segments per clip: a longer clip keeps
        its first ``max_segments`` segments and the rest is dropped. It also
        bounds the padding every shorter clip gets. ``None`` keeps every
        segment of the longest training clip.

    Attributes
    ----------
    segment_samples_ : int
        Samples per segment.
    hop_samples_ : int
        Samples between segment starts.
    n_segments_ : int
        Segments per clip in the output.
    n_features_in_ : int
        Samples per clip, only when fit on a 2-D array ``(n_clips,
        n_samples)``; not set when fit on ragged waveforms (a refit on those
        deletes it). Clips of any length are still accepted at transform.
    feature_names_in_ : ndarray of str
        Column names, only when fit on a DataFrame with string column names.

    See Also
    --------
    sklearn_audio.segment.segment_mask : Tell real segments from padding.
    sklearn_audio.features.MFCCTransformer : Features per segment.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio import RawSegmenter
    >>> X = np.zeros((2, 30 * 22050), dtype=np.float32) + 0.1
    >>> RawSegmenter(segment_seconds=3.0).fit_transform(X).shape
    (2, 10, 66150)
    """

    def __init__(self, segment_seconds=3.0, hop_seconds=None, sr=22050, max_segments=None):
        self.segment_seconds = segment_seconds
        self.hop_seconds = hop_seconds
        self.sr = sr
        self.max_segments = max_segments

    def _check_params(self):
        if not isinstance(self.sr, numbers.Integral) or self.sr <= 0:
            raise ValueError(f"sr must be a positive integer, got {self.sr!r}.")
        if not isinstance(self.segment_seconds, numbers.Real) or self.segment_seconds <= 0:
            raise ValueError(
                f"segment_seconds must be a positive number, got {self.segment_seconds!r}."
            )
        if self.hop_seconds is not None and (
            not isinstance(self.hop_seconds, numbers.Real) or self.hop_seconds <= 0
        ):
            raise ValueError(
                f"hop_seconds must be a positive number or None, got {self.hop_seconds!r}."
            )
        if self.max_segments is not None and (
            not isinstance(self.max_segments, numbers.Integral) or self.max_segments < 1
        ):
            raise ValueError(
                f"max_segments must be a positive integer or None, got {self.max_segments!r}."
            )
        segment_samples = int(round(self.segment_seconds * self.sr))
        hop = self.segment_seconds if self.hop_seconds is None else self.hop_seconds
        hop_samples = int(round(hop * self.sr))
        if segment_samples < 1 or hop_samples < 1:
            raise ValueError(
                "segment_seconds and hop_seconds must each span at least one sample "
                f"at sr={self.sr}."
            )
        return segment_samples, hop_samples

    def fit(self, X, y=None):
        """Fix the segment length and the number of segments per clip.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or 1-D object array of 1-D arrays
            Waveforms, equal-length or ragged.
        y : None
            Ignored.

        Returns
        -------
        self : RawSegmenter
        """
        self.segment_samples_, self.hop_samples_ = self._check_params()
        clips = check_waveforms(X)
        lengths = [len(clip) for clip in clips]
        n_segments = max(
            n_segments_for_length(length, self.segment_samples_, self.hop_samples_)
            for length in lengths
        )
        if self.max_segments is not None:
            n_segments = min(n_segments, self.max_segments)
        self.n_segments_ = int(n_segments)
        set_input_features(self, X)
        return self

    def transform(self, X):
        """Cut every clip into ``n_segments_`` segments.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or 1-D object array of 1-D arrays
            Waveforms, equal-length or ragged.

        Returns
        -------
        segments : ndarray of float32
            Shape ``(n_clips, n_segments_, segment_samples_)``. All-zero rows
            along the segment axis are padding.
        """
        check_is_fitted(self, "n_segments_")
        clips = check_waveforms(X)
        out = np.zeros((len(clips), self.n_segments_, self.segment_samples_), dtype=np.float32)
        for i, clip in enumerate(clips):
            n = min(
                n_segments_for_length(len(clip), self.segment_samples_, self.hop_samples_),
                self.n_segments_,
            )
            for k in range(n):
                start = k * self.hop_samples_
                piece = clip[start : start + self.segment_samples_]
                out[i, k, : len(piece)] = piece
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
