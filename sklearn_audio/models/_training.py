"""Seeded, self-contained Keras training: no global state is set or reset.

Keras draws every random value of a new network (initial weights, the seeds
of dropout and noise layers) from Python's ``random`` module when the layers
are built, and shuffles training data with TensorFlow's random ops. The
usual recipe for repeatable results, ``keras.utils.set_random_seed`` after
``keras.backend.clear_session``, changes the caller's process: it resets the
Keras dtype policy (a user's ``mixed_float16`` became ``float32``), leaves
TensorFlow's global seed set, and lets two fits in two threads draw from one
sequence. Instead:

* :func:`seeded_build` seeds Python's ``random`` only while the network is
  built, under a lock, and restores the caller's state afterwards;
* :func:`training_batches` shuffles (and draws mixup's weights) with a
  NumPy generator of its own, seeded per fit, feeding the ``tf.data``
  pipeline: TensorFlow's global seed is neither set nor read.

Dropout and noise layers then run from their own seed generators, whose
states are variables of the network: a fit is repeatable under its
``random_state`` whatever else runs in the process.
"""

import contextlib
import random
import threading

import numpy as np

__all__ = ["seeded_build", "training_batches", "MODEL_FREE", "uses_model"]

_build_lock = threading.RLock()

#: Attribute a Keras callback may set to ``True`` to say it never touches
#: ``self.model`` (it only reads the logs), so that the fit may train on a
#: reused trainer (see ``_trainers``). Optuna's pruning callback in
#: :mod:`sklearn_audio.tuning` sets it.
MODEL_FREE = "sklearn_audio_model_free"


def uses_model(callback):
    """Whether a user callback may read or change the model it is given."""
    return not getattr(callback, MODEL_FREE, False)


@contextlib.contextmanager
def _python_random_seeded(seed):
    state = random.getstate()
    if seed is not None:
        random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def seeded_build(build, seed):
    """Call ``build()`` with Python's ``random`` seeded by ``seed``, then restore it.

    Parameters
    ----------
    build : callable
        Builds and returns a Keras model.
    seed : int or None
        ``None`` builds unseeded (but still leaves the caller's state as found).

    Returns
    -------
    model : keras.Model

    Examples
    --------
    >>> import keras, random
    >>> from sklearn_audio.models._training import seeded_build
    >>> def build():
    ...     return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> before = random.getstate()
    >>> a, b = seeded_build(build, 0), seeded_build(build, 0)
    >>> bool((a.get_weights()[0] == b.get_weights()[0]).all())
    True
    >>> random.getstate() == before
    True
    """
    with _build_lock, _python_random_seeded(seed):
        return build()


def training_batches(X, y, sample_weight, batch_size, seed, mixup=0.0):
    """A ``tf.data`` pipeline of shuffled training batches, reshuffled every epoch.

    The arrays enter the pipeline once (``from_tensors``, not as graph
    constants) and each batch gathers its rows, so nothing is copied per
    epoch and no shuffle buffer holds the data twice. Only the batches' row
    indices come from Python, one small array per step.

    With ``mixup > 0`` every batch is mixed (Zhang et al., 2018): each
    example ``x_i`` becomes ``lam_i * x_i + (1 - lam_i) * x_j`` with ``j`` a
    random partner in the batch and ``lam_i ~ Beta(mixup, mixup)``, and its
    loss ``lam_i * loss(y_i) + (1 - lam_i) * loss(y_j)``. That loss is
    written for Keras's sparse cross-entropy as two rows per mixed example,
    one per label, weighted ``2 lam_i`` and ``2 (1 - lam_i)`` (the factor 2
    keeps the loss on the scale of an unmixed batch).

    Parameters
    ----------
    X : ndarray of shape (n_rows, ...)
    y : ndarray of shape (n_rows,)
    sample_weight : ndarray of shape (n_rows,) or None
    batch_size : int
    seed : int or None
        Seeds the shuffle and the mixing; the same seed gives the same
        sequence of epochs.
    mixup : float, default=0.0
        The Beta distribution's parameter; 0 mixes nothing.

    Returns
    -------
    batches : tf.data.Dataset
        Of ``(X, y)`` or ``(X, y, sample_weight)`` batches (always the
        latter with mixup).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.models._training import training_batches
    >>> X, y = np.arange(10, dtype="float32")[:, None], np.arange(10)
    >>> epoch = [b[1].numpy().tolist() for b in training_batches(X, y, None, 4, seed=0)]
    >>> [len(b) for b in epoch], sorted(sum(epoch, []))
    ([4, 4, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> x, labels, weights = next(iter(training_batches(X, y, None, 4, seed=0, mixup=0.4)))
    >>> x.shape[0], labels.shape[0], float(weights.numpy().sum())  # 2 rows per example
    (8, 8, 8.0)
    """
    import tensorflow as tf

    if mixup and sample_weight is None:
        sample_weight = np.ones(len(X), dtype=np.float32)
    arrays = (X, y) if sample_weight is None else (X, y, np.asarray(sample_weight, np.float32))
    data = tf.data.Dataset.from_tensors(arrays).repeat()
    n_batches = -(-len(X) // batch_size)
    # The order (and the mixing seeds) come from a NumPy generator that moves
    # on at every epoch: TensorFlow's own seeded ops would also read its global
    # seed, so a user's tf.random.set_seed would change a seeded fit.
    rng = np.random.default_rng(seed)

    def epoch():
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            indices = order[start : start + batch_size]
            yield (indices, rng.integers(0, 2**31 - 1, size=2)) if mixup else indices

    index_spec = tf.TensorSpec([None], tf.int64)
    signature = (index_spec, tf.TensorSpec([2], tf.int64)) if mixup else index_spec
    order = tf.data.Dataset.from_generator(epoch, output_signature=signature).apply(
        tf.data.experimental.assert_cardinality(n_batches)
    )

    def gather(indices, arrays):
        return tuple(tf.gather(a, indices) for a in arrays)

    if mixup:
        batches = tf.data.Dataset.zip(order, data).map(
            lambda pair, arrays: _mix(gather(pair[0], arrays), pair[1], float(mixup))
        )
    else:
        batches = tf.data.Dataset.zip(order, data).map(gather)
    return batches.prefetch(tf.data.AUTOTUNE)


def _mix(batch, pair, alpha):
    import tensorflow as tf

    x, y, w = batch
    seed = tf.cast(pair % (2**31 - 1), tf.int32)
    n = tf.shape(x)[0]
    partner = tf.argsort(tf.random.stateless_uniform([n], seed=seed))
    g1 = tf.random.stateless_gamma([n], seed=seed + 1, alpha=alpha)
    g2 = tf.random.stateless_gamma([n], seed=seed + 2, alpha=alpha)
    lam = g1 / tf.maximum(g1 + g2, 1e-12)
    lam_x = tf.reshape(tf.cast(lam, x.dtype), tf.concat([[n], tf.ones([tf.rank(x) - 1], tf.int32)], 0))
    mixed = lam_x * x + (1 - lam_x) * tf.gather(x, partner)
    lam_w = tf.cast(lam, w.dtype)
    return (
        tf.concat([mixed, mixed], 0),
        tf.concat([y, tf.gather(y, partner)], 0),
        tf.concat([2 * lam_w * w, 2 * (1 - lam_w) * tf.gather(w, partner)], 0),
    )


def cosine_decay(learning_rate, epochs):
    """A Keras callback decaying the learning rate from ``learning_rate`` to 0 over ``epochs``.

    Epoch ``e`` (from 0) trains at ``learning_rate * (1 + cos(pi * e / epochs)) / 2``:
    the rule for a fixed budget of epochs without a validation set, where the
    last epoch's weights are the ones kept.

    Examples
    --------
    >>> from sklearn_audio.models._training import cosine_decay
    >>> [round(cosine_decay(1.0, 4).schedule(e, 1.0), 3) for e in range(4)]
    [1.0, 0.854, 0.5, 0.146]
    """
    import keras

    def schedule(epoch, lr):
        return float(learning_rate * (1 + np.cos(np.pi * epoch / epochs)) / 2)

    return keras.callbacks.LearningRateScheduler(schedule)
