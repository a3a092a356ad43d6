"""Validation loss and accuracy from one forward pass per epoch.

Keras validates through ``evaluate``: every epoch it builds a ``tf.data``
iterator and runs a traced evaluation graph, about 70 ms per epoch even
for a few hundred rows, a quarter of a small network's fit; and each
network configuration traces that graph once more. The held-out rows are
already in memory, so one forward pass over them in inference mode gives
the same figures for a fraction of the cost:

* ``val_loss``: Keras's compiled loss, ``sum(w_i * loss_i) / n`` (its
  ``"sum_over_batch_size"`` reduction averaged over batches by size, which
  is this), plus the model's regularisation losses, as ``evaluate`` adds;
* ``val_accuracy``: the share of rows whose most probable class is the
  label, unweighted (``"accuracy"`` is compiled as a metric, not a
  weighted metric).

The loss is computed, as in ``evaluate``, on the network's output tensor,
which carries the softmax's logits: Keras then takes the cross-entropy from
the logits, exact even for saturated probabilities (from the probabilities
it would be clipped at -log(1e-7)). The figures equal ``model.evaluate`` on
the same rows up to float32 round-off (the tests compare them, saturated
outputs included).
"""

import keras
import numpy as np

from .._compat.keras import logits_of_softmax

__all__ = ["ValidationLogs"]


class ValidationLogs(keras.callbacks.Callback):
    """Add ``val_loss`` and ``val_accuracy`` to each epoch's logs.

    Must come first among the callbacks so that the others (early
    stopping, Optuna's pruning, ``History``) see the figures.

    Parameters
    ----------
    X, y, sample_weight : ndarray
        The held-out rows, their encoded labels and weights (or None).
    batch_size : int
        Rows per forward pass (bounds the activations held at once).
    """

    def __init__(self, X, y, sample_weight, batch_size):
        super().__init__()
        self.X = X
        self.y = np.asarray(y)
        self.sample_weight = sample_weight
        self.batch_size = batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        losses, predicted = [], []
        for start in range(0, len(self.X), self.batch_size):
            rows = slice(start, start + self.batch_size)
            output = self.model(self.X[rows], training=False)
            # From the softmax's logits, as Keras's compiled loss takes them.
            losses.append(
                keras.losses.sparse_categorical_crossentropy(
                    self.y[rows], logits_of_softmax(output), from_logits=True
                )
            )
            predicted.append(np.argmax(keras.ops.convert_to_numpy(output), axis=1))
        losses = np.concatenate([keras.ops.convert_to_numpy(x) for x in losses])
        losses = losses.astype(np.float64)
        if self.sample_weight is not None:
            losses *= np.asarray(self.sample_weight, dtype=np.float64)
        penalties = [float(keras.ops.convert_to_numpy(p)) for p in self.model.losses]
        logs["val_loss"] = float(losses.mean() + sum(penalties))
        logs["val_accuracy"] = float(np.mean(np.concatenate(predicted) == self.y))
