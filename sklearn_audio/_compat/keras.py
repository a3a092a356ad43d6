"""Keras 3 (TensorFlow backend) private APIs used by sklearn-audio.

Each function names the private attribute it relies on and fails loudly,
with the Keras version, when that attribute is gone: a silent fallback would
bring back the memory leak or the clipped validation loss these guard
against. ``tests/test_compat.py`` runs each of them.
"""

import keras

__all__ = ["ALL_REDUCE", "replace_all_reduce", "logits_of_softmax"]

#: The TensorFlow optimizer's method that sums gradients over replicas.
ALL_REDUCE = "_all_reduce_sum_gradients"


def _gone(what):
    return RuntimeError(
        f"Keras {keras.__version__} no longer has {what}, which sklearn-audio relies on; "
        "please report this at sklearn-audio's issue tracker and pin an earlier Keras meanwhile."
    )


def replace_all_reduce(optimizer, replacement):
    """Make ``optimizer`` call ``replacement(original, grads_and_vars)`` to sum gradients.

    ``original`` is the optimizer's own bound all-reduce. Only the instance
    changes: its class and configuration stay, so saving and loading are
    unchanged.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
    replacement : callable

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
        The same object.

    Raises
    ------
    RuntimeError
        If the optimizer has no ``_all_reduce_sum_gradients`` any more.

    Examples
    --------
    >>> import keras
    >>> from sklearn_audio._compat.keras import replace_all_reduce
    >>> opt = replace_all_reduce(keras.optimizers.Adam(), lambda original, gv: list(gv))
    >>> opt._all_reduce_sum_gradients([("gradient", "variable")])
    [('gradient', 'variable')]
    """
    original = getattr(optimizer, ALL_REDUCE, None)
    if original is None:
        raise _gone(f"{type(optimizer).__name__}.{ALL_REDUCE}")
    setattr(optimizer, ALL_REDUCE, lambda grads_and_vars: replacement(original, grads_and_vars))
    return optimizer


def logits_of_softmax(output):
    """The logits Keras keeps on a softmax layer's output tensor (``_keras_logits``).

    Keras's cross-entropy takes them when present, which keeps the loss exact
    for saturated probabilities; sklearn-audio's validation needs the same.

    Parameters
    ----------
    output : tensor
        The output of a ``Dense(..., activation="softmax")`` layer, called eagerly.

    Returns
    -------
    logits : tensor

    Raises
    ------
    RuntimeError
        If the tensor carries no logits.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from sklearn_audio._compat.keras import logits_of_softmax
    >>> layer = keras.layers.Dense(2, activation="softmax")
    >>> output = layer(np.ones((1, 3), dtype="float32"))
    >>> tuple(logits_of_softmax(output).shape)
    (1, 2)
    """
    logits = getattr(output, "_keras_logits", None)
    if logits is None:
        raise _gone("the _keras_logits attribute on softmax outputs")
    return logits
