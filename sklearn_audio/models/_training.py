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
* :func:`training_batches` shuffles with an explicit, per-fit seed in the
  ``tf.data`` pipeline (an op-level seed: TensorFlow's global seed is never
  read or set).

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


def training_batches(X, y, sample_weight, batch_size, seed):
    """A ``tf.data`` pipeline of shuffled training batches, reshuffled every epoch.

    The arrays enter the pipeline once (``from_tensors``, not as graph
    constants) and each batch gathers its rows, so nothing is copied per
    epoch and no shuffle buffer holds the data twice.

    Parameters
    ----------
    X : ndarray of shape (n_rows, ...)
    y : ndarray of shape (n_rows,)
    sample_weight : ndarray of shape (n_rows,) or None
    batch_size : int
    seed : int or None
        Seeds the shuffle; the same seed gives the same sequence of epochs.

    Returns
    -------
    batches : tf.data.Dataset
        Of ``(X, y)`` or ``(X, y, sample_weight)`` batches.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.models._training import training_batches
    >>> X, y = np.arange(10, dtype="float32")[:, None], np.arange(10)
    >>> epoch = [b[1].numpy().tolist() for b in training_batches(X, y, None, 4, seed=0)]
    >>> [len(b) for b in epoch], sorted(sum(epoch, []))
    ([4, 4, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    import tensorflow as tf

    arrays = (X, y) if sample_weight is None else (X, y, np.asarray(sample_weight, np.float32))
    data = tf.data.Dataset.from_tensors(arrays).repeat()
    order = (
        tf.data.Dataset.range(len(X))
        .shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )

    def gather(indices, arrays):
        return tuple(tf.gather(a, indices) for a in arrays)

    batches = tf.data.Dataset.zip(order, data).map(gather)
    return batches.prefetch(tf.data.AUTOTUNE)
