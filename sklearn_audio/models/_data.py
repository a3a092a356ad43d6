"""NumPy plumbing between clip-level arrays and the per-example network.

Nothing here imports TensorFlow: splitting clips, flattening segments into
training examples and aggregating segment probabilities back into clips are
plain array operations, tested on their own.
"""

import numpy as np

from ..segment import segment_mask

__all__ = [
    "real_segments",
    "flatten_segments",
    "aggregate",
    "stratified_split",
    "group_split",
    "input_stats",
]


def real_segments(X, example_ndim):
    """Mask of the segments that take part in training and aggregation.

    All-zero segments are padding (see :func:`sklearn_audio.segment.segment_mask`).
    A clip made only of padding keeps all its segments, so it still gets a
    prediction instead of an empty aggregate.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_segments, ...)
    example_ndim : int
        Number of axes of one segment.

    Returns
    -------
    mask : ndarray of bool, shape (n_clips, n_segments)
    """
    mask = segment_mask(X, example_ndim)
    mask[~mask.any(axis=1)] = True
    return mask


def flatten_segments(X, mask, *arrays):
    """Turn segmented clips into one row per real segment.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_segments, *example_shape)
    mask : ndarray of bool, shape (n_clips, n_segments)
        Segments to keep (see :func:`real_segments`).
    *arrays : ndarray of shape (n_clips,) or None
        Per-clip values (labels, weights) repeated for each kept segment;
        ``None`` passes through.

    Returns
    -------
    rows : ndarray of shape (n_kept, *example_shape)
    *repeated : ndarray of shape (n_kept,) or None
    """
    rows = X[mask]
    counts = mask.sum(axis=1)
    repeated = [None if a is None else np.repeat(a, counts, axis=0) for a in arrays]
    return (rows, *repeated)


def aggregate(proba, mask, how):
    """Clip probabilities from the probabilities of their segments.

    Parameters
    ----------
    proba : ndarray of shape (n_kept, n_classes)
        Probabilities of the kept segments, in row-major order of ``mask``.
    mask : ndarray of bool, shape (n_clips, n_segments)
    how : {"mean", "vote"}
        ``"mean"`` averages the probabilities; ``"vote"`` gives each class
        the share of segments whose most probable class it is.

    Returns
    -------
    clip_proba : ndarray of float64, shape (n_clips, n_classes)
        Rows sum to 1.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if how == "vote":
        votes = np.zeros_like(proba)
        votes[np.arange(len(proba)), proba.argmax(axis=1)] = 1.0
        proba = votes
    counts = mask.sum(axis=1)
    clip_of_row = np.repeat(np.arange(len(mask)), counts)
    sums = np.zeros((len(mask), proba.shape[1]))
    np.add.at(sums, clip_of_row, proba)
    return sums / counts[:, np.newaxis]


def stratified_split(y, fraction, rng):
    """Shuffled, stratified train/validation indices over clips.

    Keras's ``validation_split`` takes the last rows unshuffled, which on a
    folder sorted by class holds out whole classes. Here every class gives
    about ``fraction`` of its clips (largest-remainder rounding, so the total
    is ``round(fraction * n)``), and always keeps at least one clip for
    training. Splitting clips, before segments are flattened, keeps the
    segments of one clip on one side.

    Parameters
    ----------
    y : ndarray of int, shape (n_clips,)
        Encoded labels.
    fraction : float in [0, 1)
    rng : numpy.random.RandomState

    Returns
    -------
    train, validation : ndarray of int
        Sorted clip indices; ``validation`` may be empty (tiny data or
        ``fraction=0``).
    """
    n = len(y)
    if fraction <= 0:
        return np.arange(n), np.array([], dtype=int)
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * fraction
    take = np.floor(exact).astype(int)
    remaining = int(round(fraction * n)) - take.sum()
    if remaining > 0:
        order = np.argsort(-(exact - take), kind="stable")
        take[order[:remaining]] += 1
    take = np.minimum(take, counts - 1)
    validation = []
    for cls, k in zip(classes, take):
        members = np.flatnonzero(y == cls)
        validation.append(rng.permutation(members)[:k])
    validation = np.sort(np.concatenate(validation)).astype(int)
    train = np.setdiff1d(np.arange(n), validation)
    return train, validation


def input_stats(rows, per_feature):
    """Mean and variance for the network's input ``Normalization`` layer.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, *example_shape)
        Training examples.
    per_feature : bool
        True: one mean and variance per entry of the last axis (per MFCC
        coefficient, per feature). False: one scalar for everything (raw
        waveforms, whose samples are exchangeable).

    Returns
    -------
    mean, variance : ndarray of float32, shape (n_features,) or (1,)
        Computed in float64; a constant feature gets variance 1 so that it
        is centred rather than blown up by a near-zero scale.
    """
    flat = rows.reshape(-1, rows.shape[-1]) if per_feature else rows.reshape(-1, 1)
    mean = flat.mean(axis=0, dtype=np.float64)
    variance = flat.var(axis=0, dtype=np.float64)
    variance[variance < 1e-12] = 1.0
    return mean.astype(np.float32), variance.astype(np.float32)


def group_split(y, groups, fraction, rng):
    """Train/validation indices over clips with whole groups on each side.

    For leave-one-group-out work (speakers, artists, albums): validating on
    clips of the training groups would be optimistic, and early stopping
    would train too long. The validation clips are one fold of
    scikit-learn's ``StratifiedGroupKFold`` with about ``1 / fraction``
    folds (so about ``fraction`` of the clips), stratified as far as the
    groups allow. With fewer groups than folds, one group in ``n_groups`` is
    held out (a half with two groups, a third with three).

    Parameters
    ----------
    y : ndarray of int, shape (n_clips,)
    groups : ndarray of shape (n_clips,)
    fraction : float in (0, 1)
    rng : numpy.random.RandomState

    Returns
    -------
    train, validation : ndarray of int
        ``validation`` is empty when there are fewer than 2 groups.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.models._data import group_split
    >>> y = np.tile([0, 1], 10)
    >>> groups = np.repeat(np.arange(5), 4)
    >>> train, val = group_split(y, groups, 0.2, np.random.RandomState(0))
    >>> len(val), set(groups[train]) & set(groups[val])
    (4, set())
    """
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        return np.arange(len(y)), np.array([], dtype=int)
    n_splits = min(n_groups, max(2, int(round(1 / fraction))))
    splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=rng.randint(2**31 - 1))
    with warnings.catch_warnings():
        # "The least populated class has only k members": expected with few clips.
        warnings.simplefilter("ignore", UserWarning)
        train, validation = next(splitter.split(np.zeros(len(y)), y, groups))
    return np.sort(train), np.sort(validation)
