"""Input checks shared by the transformers: clear errors that name the sample at fault."""

import numbers
import os

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

__all__ = [
    "as_path_array",
    "read_audio_input",
    "thread_map",
    "check_finite",
    "check_n_jobs",
    "check_waveforms",
    "is_path_array",
    "is_tabular",
    "set_input_features",
]


def check_n_jobs(n_jobs):
    """Apply joblib's rule to ``n_jobs``: None, or a non-zero integer.

    ``-1`` means all processors, ``-2`` all but one, and so on; ``0`` means
    nothing in joblib, so it is refused here rather than failing deep inside
    a parallel call (or being silently read as 1).
    """
    if n_jobs is None:
        return
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise ValueError(
            f"n_jobs must be None or a non-zero integer, got {type(n_jobs).__name__} {n_jobs!r}."
        )
    if n_jobs == 0:
        raise ValueError(
            "n_jobs=0 is not valid: use None or 1 for one job, a positive integer for that "
            "many jobs, or -1 for all processors (joblib's convention)."
        )


def check_finite(array, index, what="sample"):
    """Raise a ValueError naming ``what`` ``index`` if ``array`` holds NaN or inf."""
    if not np.all(np.isfinite(array)):
        bad = "NaN" if np.any(np.isnan(array)) else "infinite"
        raise ValueError(f"{what} {index} contains {bad} values; clean or drop it first.")


def _is_pathlike(obj):
    return isinstance(obj, (str, os.PathLike))


def is_path_array(X):
    """True when ``X`` is a non-empty 1-D sequence holding any path.

    One path is enough: a list that mixes paths and other objects is a list
    of paths with a mistake in it, and :func:`as_path_array` names the item.
    """
    if isinstance(X, (str, os.PathLike)):
        return False
    if not isinstance(X, (list, tuple, np.ndarray)):
        if not hasattr(X, "__array__"):
            return False
        X = np.asarray(X)
    if isinstance(X, np.ndarray) and (X.ndim != 1 or X.dtype.kind not in "OUS"):
        return False
    return len(X) > 0 and any(_is_pathlike(item) for item in X)


def as_path_array(X):
    """Validate a 1-D array-like of paths and return it as a list of ``str``.

    Raises a TypeError naming the first item that is not a path.
    """
    if isinstance(X, (str, os.PathLike)):
        raise TypeError(
            "Expected a 1-D array-like of paths, got a single path; wrap it in a list: [path]."
        )
    items = list(np.asarray(X, dtype=object).ravel()) if np.ndim(X) <= 1 else None
    if items is None:
        raise ValueError(f"Expected a 1-D array-like of paths, got shape {np.shape(X)}.")
    if len(items) == 0:
        raise ValueError("Expected at least one path, got an empty sequence.")
    for i, item in enumerate(items):
        if not _is_pathlike(item):
            raise TypeError(
                f"Item {i} is not a path (str or os.PathLike): got {type(item).__name__} "
                f"{item!r:.60}."
            )
    return [os.fspath(item) for item in items]


def _is_ragged(X):
    """True for a 1-D object array, or a list/tuple, of arrays with different lengths."""
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1 and len(X) > 0 and np.ndim(X[0]) == 1
    if isinstance(X, (list, tuple)) and len(X) > 0:
        if not all(isinstance(item, (np.ndarray, list, tuple)) for item in X):
            return False
        return len({np.shape(item) for item in X}) > 1
    return False


def check_waveforms(X, *, what="sample"):
    """Validate waveforms and return them as a list of 1-D float32 arrays.

    Accepts a 2-D array-like ``(n_clips, n_samples)``, or a 1-D object array
    (or list) of 1-D arrays of different lengths. Raises a ValueError naming
    the clip at fault for NaN/inf values or an empty clip, a ValueError for
    the wrong number of dimensions, and a TypeError for paths or other
    non-numeric input. Rectangular input goes through scikit-learn's
    ``check_array``, so sparse, complex and object data get its usual errors.
    """
    if is_path_array(X):
        raise TypeError(
            "Got file paths where waveforms were expected; put an AudioLoader before "
            "this step, or pass the paths to MFCCTransformer directly."
        )
    if _is_ragged(X):
        clips = []
        for i, item in enumerate(X):
            try:
                clip = np.asarray(item, dtype=np.float32)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{what} {i} is not a numeric waveform.") from exc
            if clip.ndim != 1:
                raise ValueError(
                    f"{what} {i} has shape {clip.shape}; each waveform must be 1-D "
                    "(fold stereo to mono first, e.g. AudioLoader(mono=True))."
                )
            if clip.size == 0:
                raise ValueError(f"{what} {i} is empty (0 samples).")
            check_finite(clip, i, what)
            clips.append(clip)
        return clips
    if isinstance(X, np.ndarray) and X.ndim > 2:
        raise ValueError(
            f"Expected waveforms of shape (n_clips, n_samples) or a 1-D object array of "
            f"1-D waveforms, got an array of shape {X.shape}."
        )
    X = check_array(X, dtype=(np.float32, np.float64), ensure_all_finite=False)
    for i, clip in enumerate(X):
        check_finite(clip, i, what)
    return list(X.astype(np.float32, copy=False))


def is_tabular(X):
    """True when ``X`` is 2-D tabular input ``(n_clips, n_samples)``.

    Paths, ragged waveforms and segments ``(n, segments, samples)`` are not:
    they have no fixed number of features in scikit-learn's sense.
    """
    if is_path_array(X) or _is_ragged(X):
        return False
    if hasattr(X, "shape"):  # arrays, DataFrames, sparse matrices: no conversion needed
        return len(X.shape) == 2
    try:
        return np.asarray(X).ndim == 2
    except (TypeError, ValueError):  # inhomogeneous nested lists, or not array-like
        return False


def set_input_features(estimator, X):
    """Set or delete ``n_features_in_`` and ``feature_names_in_`` as scikit-learn means them.

    For 2-D tabular input both are set by scikit-learn's ``validate_data``
    (``feature_names_in_`` only for a DataFrame with string column names).
    For any other input form (paths, ragged, segments) there is no number of
    features, and both are deleted so that a refit never leaves the values of
    an earlier fit behind.
    """
    if is_tabular(X):
        # The data itself is validated by the caller, in its own terms.
        validate_data(estimator, X, reset=True, skip_check_array=True)
        return
    for name in ("n_features_in_", "feature_names_in_"):
        if name in vars(estimator):
            delattr(estimator, name)


def read_audio_input(X):
    """Tell the audio input kinds of the data contract apart, checked.

    Returns ``(kind, data)``: ``"paths"`` (a 1-D array of file paths),
    ``"segments"`` (a float32 ``(n_clips, n_segments, n_samples)`` array) or
    ``"clips"`` (waveforms, 2-D or ragged, as :func:`check_waveforms`).
    Features (4-D and more) are refused with a message saying so.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio._validation import read_audio_input
    >>> read_audio_input(["a.wav", "b.flac"])[0]
    'paths'
    >>> read_audio_input(np.zeros((2, 3, 100)))[0]
    'segments'
    >>> read_audio_input(np.zeros((2, 100)))[0]
    'clips'
    """
    if is_path_array(X):
        return "paths", as_path_array(X)
    if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3:
        X = check_array(X, dtype=(np.float32, np.float64), allow_nd=True,
                        ensure_all_finite=False)  # fmt: skip
        for i, clip in enumerate(X):
            check_finite(clip, i)
        return "segments", X.astype(np.float32, copy=False)
    if isinstance(X, np.ndarray) and X.ndim > 3:
        raise ValueError(
            f"Expected waveforms (n_clips, n_samples), segments (n_clips, n_segments, "
            f"n_samples), a ragged object array or a 1-D array of paths; got an array of "
            f"shape {X.shape}. (Features are not accepted: this step computes them.)"
        )
    return "clips", check_waveforms(X)


def thread_map(n_jobs, function, items):
    """``[function(item) for item in items]``, on ``n_jobs`` threads when asked.

    Decoding, resampling and NumPy/SciPy's FFT release the GIL, so threads
    scale without copying audio between processes.

    Examples
    --------
    >>> from sklearn_audio._validation import thread_map
    >>> thread_map(2, len, ["ab", "c", ""])
    [2, 1, 0]
    """
    items = list(items)
    if effective_n_jobs(n_jobs) == 1 or len(items) < 2:
        return [function(item) for item in items]
    return Parallel(n_jobs=n_jobs, prefer="threads")(delayed(function)(item) for item in items)
