"""Recurrent classifier over the frames of a feature matrix."""

import keras

from . import _docs
from . import _params
from ._base import KerasAudioClassifier

__all__ = ["LSTMClassifier"]

_CELLS = ("lstm", "gru")
_POOLING = ("max", "mean", "last")


class LSTMClassifier(KerasAudioClassifier):
    """Recurrent network classifier (LSTM or GRU) for frame sequences.

    The frames of each example (e.g. MFCC frames) are read in time order by
    a stack of recurrent layers; the last layer's outputs, max-pooled over
    time by default, feed a dense layer, dropout and a softmax.

    {input_rule}

    Parameters
    ----------
    units : int or sequence of int, default=(64, 64)
        Units of each recurrent layer; its length is the number of layers.
    cell : {{"lstm", "gru"}}, default="lstm"
        Recurrent cell type.
    bidirectional : bool, default=False
        Read the frames in both directions (doubles the units per layer).
    pooling : {{"max", "mean", "last"}}, default="max"
        How the last recurrent layer's outputs become one vector: their
        maximum or mean over frames, or the final state only. ``"last"`` is
        the textbook choice but must carry the sound across the silence
        that pads short clips to the fitted frame count; on FSDD a
        one-directional ``"last"`` network does not learn (17 % test
        accuracy) where ``"max"`` reaches 97 %. With ``bidirectional=True``,
        ``"last"`` works too.
    dense_units : int or None, default=64
        Units of the dense layer after the recurrent stack; ``None`` omits
        it.
    {common_parameters}
    {spec_augment_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    CNNClassifier : Convolutional network on the same input.
    sklearn_audio.MFCCTransformer : Produces ``(n_clips, n_frames, n_coeffs)``.

    Notes
    -----
    On CPU, recurrent layers are the slowest of the three families per
    epoch; ``cell="gru"`` is somewhat cheaper than ``"lstm"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio import LSTMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 20, 13)).astype(np.float32)  # 40 clips of 20 MFCC frames
    >>> y = np.repeat([0, 1], 20)
    >>> X[y == 1] += 1.0
    >>> clf = LSTMClassifier(units=8, dense_units=None, epochs=3, random_state=0)
    >>> clf.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    def __init__(
        self,
        *,
        units=(64, 64),
        cell="lstm",
        bidirectional=False,
        pooling="max",
        dense_units=64,
        input_noise=0.2,
        dropout=0.3,
        l2=1e-4,
        learning_rate=1e-3,
        optimizer="adam",
        epochs=100,
        batch_size=32,
        validation_fraction=0.1,
        early_stopping=True,
        patience=10,
        min_epochs=10,
        lr_schedule="auto",
        mixup=0.0,
        time_masks=0,
        freq_masks=0,
        mask_fraction=0.1,
        class_weight=None,
        aggregate="mean",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dense_units = dense_units
        self.input_noise = input_noise
        self.dropout = dropout
        self.l2 = l2
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.min_epochs = min_epochs
        self.lr_schedule = lr_schedule
        self.mixup = mixup
        self.time_masks = time_masks
        self.freq_masks = freq_masks
        self.mask_fraction = mask_fraction
        self.class_weight = class_weight
        self.aggregate = aggregate
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _example_axes(self):
        return ("n_frames", "n_coeffs")

    def _shape_hint(self):
        return (
            "LSTMClassifier reads frame sequences such as MFCCTransformer output; "
            "for summary vectors use DenseClassifier."
        )

    def _check_family_params(self):
        _params.check_layer_sizes(self, "units")
        _params.check_choice(self, "cell", _CELLS)
        _params.check_bool(self, "bidirectional")
        _params.check_choice(self, "pooling", _POOLING)
        _params.check_int(self, "dense_units", 1, allow_none=True)
        _params.check_feature_masks(self)

    def _feature_masks(self):
        return _params.check_feature_masks(self)

    def _build_hidden(self, x):
        layers = keras.layers
        units = _params.check_layer_sizes(self, "units")
        cell = layers.LSTM if self.cell == "lstm" else layers.GRU
        for i, n_units in enumerate(units):
            sequences = i < len(units) - 1 or self.pooling != "last"
            recurrent = cell(
                n_units, return_sequences=sequences, kernel_regularizer=self._regularizer()
            )
            if self.bidirectional:
                recurrent = layers.Bidirectional(recurrent)
            x = recurrent(x)
        if self.pooling == "max":
            x = layers.GlobalMaxPooling1D()(x)
        elif self.pooling == "mean":
            x = layers.GlobalAveragePooling1D()(x)
        if self.dense_units is not None:
            x = layers.Dense(
                self.dense_units, activation="relu", kernel_regularizer=self._regularizer()
            )(x)
        return layers.Dropout(self.dropout)(x)


_docs.fill(
    LSTMClassifier,
    input_noise=0.2,
    dropout=0.3,
    l2=1e-4,
    epochs=100,
    patience=10,
    example="``(n_frames, n_coeffs)``",
    last_axis="coefficients per frame",
    normalization=" (one mean and variance per coefficient)",
)
