"""Stop Keras's TensorFlow optimizer from leaking every traced training graph.

Keras 3's TensorFlow optimizer sums each step's gradients across replicas
with ``tf.distribute``'s ``all_reduce``, even without a distribution
strategy. Inside a traced training step that all-reduce is wrapped in
``tf.custom_gradient``, which in graph mode registers a gradient function in
TensorFlow's process-wide gradient registry. The entry is never removed and
holds the whole training graph, so every fit leaks its graph: a plain Keras
loop fitting a small CNN twenty times grew by about 300 MB, and
``keras.backend.clear_session()`` does not help.

With one replica the sum is the gradient itself, so skipping the all-reduce
changes no result and registers nothing. Under a strategy with several
replicas the optimizer's own all-reduce still runs.
"""

import tensorflow as tf

from .._compat.keras import replace_all_reduce

__all__ = ["skip_single_replica_all_reduce"]


def _sum_over_replicas(original, grads_and_vars):
    if tf.distribute.get_strategy().num_replicas_in_sync > 1:
        return original(grads_and_vars)
    return list(grads_and_vars)


def skip_single_replica_all_reduce(optimizer):
    """Make ``optimizer`` skip the gradient all-reduce when there is one replica.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
        An optimizer of the TensorFlow backend.

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
        The same object, changed in place (its class and configuration stay,
        so saving and loading are unchanged).

    Examples
    --------
    >>> import keras
    >>> from sklearn_audio.models._single_replica import skip_single_replica_all_reduce
    >>> optimizer = skip_single_replica_all_reduce(keras.optimizers.Adam())
    >>> grads_and_vars = [("gradient", "variable")]
    >>> optimizer._all_reduce_sum_gradients(grads_and_vars)
    [('gradient', 'variable')]
    """
    return replace_all_reduce(optimizer, _sum_over_replicas)
