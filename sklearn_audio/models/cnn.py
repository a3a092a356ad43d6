"""Convolutional classifier: MFCC "images" (2-D) or raw waveforms (1-D)."""

import numbers

import keras

from . import _docs
from . import _params
from ._base import KerasAudioClassifier

__all__ = ["CNNClassifier"]

_CONV = ("1d", "2d")
# Pooling per block when pool_size=None: 2 keeps detail in a 13-coefficient
# MFCC image; raw waveforms carry far more samples than an MFCC has frames.
_DEFAULT_POOL = {"2d": 2, "1d": 4}


class CNNClassifier(KerasAudioClassifier):
    """Convolutional network classifier for MFCC matrices or raw waveforms.

    With ``conv="2d"`` (default) each example is a frames x coefficients
    matrix, treated as a one-channel image: the classic MFCC genre CNN of
    ``len(filters)`` blocks of convolution, max-pooling and batch
    normalisation, then a dense layer, dropout and a softmax. With
    ``conv="1d"`` each example is a raw waveform and the blocks use 1-D
    convolutions, as in the raw-sample CNNs of GTZAN work.

    {input_rule}

    Parameters
    ----------
    conv : {{"2d", "1d"}}, default="2d"
        ``"2d"``: examples are ``(n_frames, n_coeffs)`` feature matrices.
        ``"1d"``: examples are raw waveforms ``(n_samples,)``.
    filters : int or sequence of int, default=(32, 32, 32)
        Filters of each convolutional block; its length is the number of
        blocks.
    kernel_size : int or tuple of int, default=3
        Convolution window: an int, or ``(frames, coeffs)`` for ``"2d"``.
    pool_size : int, tuple of int or None, default=None
        Max-pooling window (and stride) of each block; ``None`` means 2 for
        ``"2d"`` and 4 for ``"1d"``.
    batch_norm : bool, default=True
        Batch normalisation after each pooling layer. Its moving statistics
        average about the last epoch's batches (momentum ``1 - 1 /
        steps_per_epoch``, between 0.9 and 0.99): Keras's fixed 0.99 leaves
        them far from the training statistics after the few hundred steps of
        a small data set, and the fitted network then fails even on its
        training clips.
    dense_units : int or None, default=64
        Units of the dense layer after the blocks; ``None`` omits it.
    {common_parameters}
    {spec_augment_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    LSTMClassifier : Recurrent network over the frames.
    DenseClassifier : Feed-forward network on summary vectors.
    sklearn_audio.MFCCTransformer : Produces ``(n_clips, n_frames, n_coeffs)``.

    Notes
    -----
    Convolutions and pooling use ``"same"`` padding, so short inputs (few
    frames or coefficients) never shrink to nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio import CNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 20, 13)).astype(np.float32)  # 40 clips of 20 MFCC frames
    >>> y = np.repeat(["speech", "music"], 20)
    >>> X[y == "music"] += 1.0
    >>> clf = CNNClassifier(filters=(8,), dense_units=16, epochs=3, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.classes_
    array(['music', 'speech'], dtype='<U6')
    """

    def __init__(
        self,
        *,
        conv="2d",
        filters=(32, 32, 32),
        kernel_size=3,
        pool_size=None,
        batch_norm=True,
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
        self.conv = conv
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.batch_norm = batch_norm
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
        return ("n_samples",) if self.conv == "1d" else ("n_frames", "n_coeffs")

    def _per_feature_normalization(self):
        # Raw samples share one scale; MFCC coefficients each have their own.
        return self.conv != "1d"

    def _shape_hint(self):
        if self.conv == "1d":
            return "conv='1d' takes raw waveforms; for feature matrices use conv='2d'."
        return "For raw waveforms (n_clips, n_samples) use conv='1d'."

    def _feature_masks(self):
        return None if self.conv == "1d" else _params.check_feature_masks(self)

    def _window(self, param, value):
        """An int or a tuple of one int per spatial axis, validated."""
        rank = 1 if self.conv == "1d" else 2
        sizes = (value,) * rank if isinstance(value, numbers.Integral) else value
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = ()
        if len(sizes) != rank or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ValueError(
                f"CNNClassifier.{param} must be a positive integer or a tuple of {rank} positive "
                f"integers for conv={self.conv!r}, got {value!r}."
            )
        return tuple(int(s) for s in sizes)

    def _check_family_params(self):
        _params.check_choice(self, "conv", _CONV)
        _params.check_layer_sizes(self, "filters")
        self._window("kernel_size", self.kernel_size)
        pool = _DEFAULT_POOL[self.conv] if self.pool_size is None else self.pool_size
        self._window("pool_size", pool)
        _params.check_bool(self, "batch_norm")
        _params.check_int(self, "dense_units", 1, allow_none=True)
        time_masks, freq_masks, _ = _params.check_feature_masks(self)
        if self.conv == "1d" and (time_masks or freq_masks):
            raise ValueError(
                "CNNClassifier.time_masks and freq_masks mask bands of frames and coefficients "
                "(SpecAugment); conv='1d' takes raw waveforms, which have neither: leave them "
                "at 0, or augment waveforms with WaveformAugmenter."
            )

    def _build_hidden(self, x):
        layers = keras.layers
        filters = _params.check_layer_sizes(self, "filters")
        kernel = self._window("kernel_size", self.kernel_size)
        pool_size = _DEFAULT_POOL[self.conv] if self.pool_size is None else self.pool_size
        pool = self._window("pool_size", pool_size)
        if self.conv == "1d":
            conv, pooling = layers.Conv1D, layers.MaxPooling1D
        else:
            conv, pooling = layers.Conv2D, layers.MaxPooling2D
            x = layers.Reshape(tuple(x.shape[1:]) + (1,), name="as_image")(x)
        for n_filters in filters:
            x = conv(
                n_filters, kernel, padding="same", activation="relu",
                kernel_regularizer=self._regularizer(),
            )(x)  # fmt: skip
            x = pooling(pool, padding="same")(x)
            if self.batch_norm:
                x = layers.BatchNormalization()(x)
        x = layers.Flatten()(x)
        if self.dense_units is not None:
            x = layers.Dense(
                self.dense_units, activation="relu", kernel_regularizer=self._regularizer()
            )(x)
        return layers.Dropout(self.dropout)(x)


_docs.fill(
    CNNClassifier,
    input_noise=0.2,
    dropout=0.3,
    l2=1e-4,
    epochs=100,
    patience=10,
    example="``(n_frames, n_coeffs)`` with ``conv='2d'``, ``(n_samples,)`` with ``conv='1d'``",
    last_axis="coefficients per frame (``conv='2d'``) or samples (``conv='1d'``)",
    normalization=(
        " (one mean and variance per coefficient; a single one for raw waveforms,"
        " whose samples share a scale)"
    ),
)
