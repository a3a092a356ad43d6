"""Clip-level validation loss and accuracy from one forward pass per epoch.

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
it would be clipped at -log(1e-7)). For unsegmented clips the figures equal
``model.evaluate`` on the same rows up to float32 round-off (the tests
compare them, saturated outputs included).

For segmented clips the figures are the clips' (see :class:`ValidationLogs`),
which ``evaluate`` cannot give: early stopping then judges what
``predict_proba`` will be judged on.
"""

import keras
import numpy as np

from .._compat.keras import logits_of_softmax
from ._data import aggregate

__all__ = ["ValidationLogs"]


class ValidationLogs(keras.callbacks.Callback):
    """Add clip-level ``val_loss`` and ``val_accuracy`` to each epoch's logs.

    Must come first among the callbacks so that the others (early
    stopping, Optuna's pruning, ``History``) see the figures.

    Parameters
    ----------
    rows : ndarray
        The held-out examples: one per clip, or the real segments of the
        held-out clips, clip after clip.
    y, sample_weight : ndarray of shape (n_clips,)
        Encoded labels and weights (or None) of the held-out clips.
    batch_size : int
        Rows per forward pass (bounds the activations held at once).
    mask : ndarray of bool, shape (n_clips, n_segments), default=None
        Which segments of each clip ``rows`` holds (see ``_data.real_segments``);
        None when each row is a clip.
    how : {"mean", "vote"}, default="mean"
        The clip aggregate of ``predict_proba``, used for ``val_accuracy``.

    Notes
    -----
    For segmented clips the figures are those of ``predict_proba``: the
    loss is ``-log`` of the clip's mean segment probability for its label,
    the accuracy that of the clip's aggregate, as the user's predictions
    will be judged (except that a training-only augmenter upstream leaves
    its copies among a held-out clip's segments). Early stopping on segment rows would favour a network
    that is confidently right on most segments of few clips.
    """

    def __init__(self, rows, y, sample_weight, batch_size, mask=None, how="mean"):
        super().__init__()
        self.rows = rows
        self.y = np.asarray(y)
        self.sample_weight = sample_weight
        self.batch_size = batch_size
        self.mask = mask
        self.how = how

    def _segment_outputs(self):
        """Per-row loss (from the logits) and probabilities, in float64."""
        losses, proba = [], []
        y_rows = self.y if self.mask is None else np.repeat(self.y, self.mask.sum(axis=1))
        for start in range(0, len(self.rows), self.batch_size):
            rows = slice(start, start + self.batch_size)
            output = self.model(self.rows[rows], training=False)
            # From the softmax's logits, as Keras's compiled loss takes them.
            losses.append(
                keras.losses.sparse_categorical_crossentropy(
                    y_rows[rows], logits_of_softmax(output), from_logits=True
                )
            )
            proba.append(keras.ops.convert_to_numpy(output))
        losses = np.concatenate([keras.ops.convert_to_numpy(x) for x in losses])
        return losses.astype(np.float64), np.concatenate(proba).astype(np.float64)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        losses, proba = self._segment_outputs()
        if self.mask is None:
            clip_proba = proba
        else:
            mean = aggregate(proba, self.mask, "mean")
            picked = mean[np.arange(len(self.y)), self.y]
            losses = -np.log(np.maximum(picked, np.finfo(np.float32).tiny))
            clip_proba = mean if self.how == "mean" else aggregate(proba, self.mask, self.how)
        if self.sample_weight is not None:
            losses = losses * np.asarray(self.sample_weight, dtype=np.float64)
        penalties = [float(keras.ops.convert_to_numpy(p)) for p in self.model.losses]
        logs["val_loss"] = float(losses.mean() + sum(penalties))
        logs["val_accuracy"] = float(np.mean(np.argmax(clip_proba, axis=1) == self.y))
