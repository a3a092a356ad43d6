"""Feed-forward classifier on feature vectors (e.g. MFCC summary statistics)."""

import keras

from . import _docs
from . import _params
from ._base import KerasAudioClassifier

__all__ = ["DenseClassifier"]


class DenseClassifier(KerasAudioClassifier):
    """Feed-forward network classifier for feature vectors.

    The network used on MFCC summary vectors (``MFCCTransformer(output="stats")``):
    dense layers of ``hidden_layer_sizes`` units, each followed by dropout,
    then a softmax.

    {input_rule}

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(256,)
        Units of each hidden layer; ``()`` gives multinomial logistic
        regression.
    activation : str, default="relu"
        Keras activation of the hidden layers ("relu", "gelu", "tanh", ...).
    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    CNNClassifier, LSTMClassifier : Networks on frame-level features.
    sklearn_audio.MFCCTransformer : ``output="stats"`` gives ``(n_clips, n_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio import DenseClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 26)).astype(np.float32)  # e.g. MFCC means and stds
    >>> y = np.repeat(["a", "b", "c"], 20)
    >>> X[y == "b"] += 1.5
    >>> X[y == "c"] -= 1.5
    >>> clf = DenseClassifier(hidden_layer_sizes=(16,), epochs=5, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:3]).sum(axis=1).round(6)
    array([1., 1., 1.])
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(256,),
        activation="relu",
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
        class_weight=None,
        aggregate="mean",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.class_weight = class_weight
        self.aggregate = aggregate
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _example_axes(self):
        return ("n_features",)

    def _shape_hint(self):
        return (
            "For frame-level features (n_clips, n_frames, n_coeffs) use "
            "MFCCTransformer(output='stats'), or CNNClassifier / LSTMClassifier."
        )

    def _check_family_params(self):
        _params.check_layer_sizes(self, "hidden_layer_sizes", allow_empty=True)
        try:
            keras.activations.get(self.activation)
            ok = isinstance(self.activation, str)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                "DenseClassifier.activation must be the name of a Keras activation such as "
                f"'relu', 'gelu' or 'tanh', got {self.activation!r}."
            )

    def _build_hidden(self, x):
        layers = keras.layers
        for n_units in _params.check_layer_sizes(self, "hidden_layer_sizes", allow_empty=True):
            x = layers.Dense(
                n_units, activation=self.activation, kernel_regularizer=self._regularizer()
            )(x)
            x = layers.Dropout(self.dropout)(x)
        return x


_docs.fill(
    DenseClassifier,
    input_noise=0.2,
    dropout=0.3,
    l2=1e-4,
    epochs=100,
    patience=10,
    example="``(n_features,)``",
    last_axis="features per example",
    normalization=" (one mean and variance per feature)",
)
