"""The shared base of the Keras classifiers.

Everything that knows about scikeras lives in this module (it is the base
class, and makes fitted Keras models picklable); the training loop is Keras's
own ``fit``, called directly. The network families (:mod:`.cnn`, :mod:`.lstm`, :mod:`.dense`) only stack Keras layers
in :meth:`KerasAudioClassifier._build_hidden`, so swapping the wrapper means
rewriting this one file.

What the base adds on top of scikeras's ``KerasClassifier``:

* scikit-learn >= 1.6 tags (scikeras 0.13 declares none, so ``is_classifier``
  was False and the ``roc_auc`` scorer failed with "y should be a 1d array");
* explicit constructor parameters (``clone``, ``GridSearchCV`` and Optuna
  reach them) validated at ``fit``;
* the input rank rule and clear errors for bad input, before any TensorFlow
  code runs;
* segment awareness: training on every real segment with its clip's label,
  clip probabilities aggregated over real segments only;
* a stratified, shuffled validation split by clip, with early stopping,
  validated by one forward pass per epoch (see ``_validation_logs``);
* input standardisation inside the network (a ``Normalization`` layer set
  from the training rows);
* seeded fits that leave the caller's global state as found: no
  ``clear_session``, no global seeds (see ``_training``); an optimizer that
  does not leak each fit's training graph (see ``_single_replica``);
* training on a cached *trainer* per network configuration, so that a
  sweep traces each configuration's graphs once (see ``_trainers``).

Each Keras workaround can be switched off with
:func:`sklearn_audio.set_config`; upstream private APIs are reached only
through :mod:`sklearn_audio._compat`.
"""

import contextlib
import logging
import numbers
import warnings

import keras
import numpy as np
from scipy.stats import binomtest
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.utils import ClassifierTags
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    check_random_state,
    column_or_1d,
    validate_data,
)

from .._compat.sklearn import constructor_param_names
from .._config import get_config
from .._validation import check_finite
from . import _params
from ._data import (
    aggregate,
    flatten_segments,
    group_split,
    input_stats,
    real_segments,
    stratified_split,
)
from ._single_replica import skip_single_replica_all_reduce
from ._trainers import reusable_trainer
from ._spec_augment import SpecAugment
from ._training import cosine_decay, seeded_build, training_batches, uses_model
from ._validation_logs import ValidationLogs

__all__ = ["KerasAudioClassifier"]

_NORMALIZATION = "input_normalization"
_AGGREGATES = ("mean", "vote")
_SCHEDULES = ("auto", "constant", "cosine", "plateau")
# Fewer held-out clips of a class than this, and the validation loss is too
# noisy to stop on (with 10 clips, one clip moves the accuracy by 10 points):
# the fit then trains a fixed budget on all clips instead.
MIN_VALIDATION_CLIPS_PER_CLASS = 3
# A network predicting one class for this share of its training clips has
# collapsed (unless that class is nearly all of the data).
_COLLAPSE_SHARE = 0.9
# Above this p-value, always answering the most frequent validation class
# scores as well as the network by chance (a shuffled-label fit's 4 of 9:
# p = 0.35), while networks that learned, even on tiny validation sets,
# stay below it (5 of 6 clips on a binary task: p = 0.11).
_NO_SIGN_OF_LEARNING = 0.25
# Training clips whose predictions the collapse check looks at.
_COLLAPSE_CLIPS = 256
# Values per prediction batch: bounds the activations held at once (a raw
# 3-second segment at 22 kHz is 66k samples, an MFCC matrix about 2k).
_PREDICT_VALUES = 2**20
_MAX_PREDICT_BATCH = 512
# Tracing the training graph costs about a second; an eager step tens of
# milliseconds. Fits planned with fewer steps than this run eagerly.
_EAGER_MAX_STEPS = 32


def _never(estimator):
    return False


class _RetracingFilter(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" warning.

    Every fit builds a new model with new traced functions, so repeated
    fits (a grid search) always "retrace"; the warning is noise here.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _quiet_retracing():
    """Hide TensorFlow's retracing warning for the length of a fit."""
    tf_logger = logging.getLogger("tensorflow")
    quiet = _RetracingFilter()
    tf_logger.addFilter(quiet)
    try:
        yield
    finally:
        tf_logger.removeFilter(quiet)


@keras.saving.register_keras_serializable(package="sklearn_audio", name="Normalization")
class _Normalization(keras.layers.Normalization):
    """Keras's ``Normalization``, reading its statistics from its variables on every call.

    The stock layer divides by tensors that ``finalize_state()`` derives from
    its variables, and a traced graph captures those tensors by value: a
    trainer reused across fits (see ``_trainers``) would keep the first
    fit's statistics. Reading the variables keeps every graph current.
    """

    def call(self, inputs):
        inputs = keras.ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        # Statistics along the last axis (axis=-1, the only one used here)
        # broadcast against the input as they are.
        mean, variance = self.adapt_mean, self.adapt_variance
        scale = keras.ops.maximum(keras.ops.sqrt(variance), keras.backend.epsilon())
        return (inputs - keras.ops.cast(mean, inputs.dtype)) / keras.ops.cast(scale, inputs.dtype)


def _byte_order(rows):
    """Indices that sort the rows by their bytes (stable): a canonical order."""
    if len(rows) == 0:
        return np.arange(0)
    as_bytes = np.ascontiguousarray(rows).reshape(len(rows), -1).view(np.uint8)
    keys = as_bytes.view(np.dtype((np.void, as_bytes.shape[1]))).ravel()
    return np.argsort(keys, kind="stable")


def _predict_batch_size(rows):
    """Examples per forward pass: bounds the activations held at once."""
    size = int(np.prod(rows.shape[1:]))
    return int(np.clip(_PREDICT_VALUES // max(size, 1), 1, _MAX_PREDICT_BATCH))


def batch_norm_momentum(steps_per_epoch):
    """Momentum of batch normalisation's moving statistics: about one epoch's batches.

    Keras's fixed 0.99 averages the last hundred or so batches and keeps
    0.99**n of its initial statistics after n steps. A small data set gives
    a few steps per epoch and a few hundred in all: the statistics used at
    inference stay far from the training ones, and on 40 instrument clips the
    fitted CNN misclassified even its own training clips (0.42 to 0.82). A
    fixed 0.9, right there, averages only the last ten batches of a large
    set (FSDD leave-one-speaker-out, 79 steps per epoch: 69.4 % against
    71.6 % with this rule). So the average spans about the last epoch,
    ``1 - 1 / steps_per_epoch``, kept between 0.9 and 0.99.

    Examples
    --------
    >>> from sklearn_audio.models._base import batch_norm_momentum
    >>> batch_norm_momentum(2), batch_norm_momentum(79), batch_norm_momentum(500)
    (0.9, 0.987, 0.99)
    """
    return float(np.clip(round(1 - 1 / steps_per_epoch, 3), 0.9, 0.99))


def _plain(value):
    """A NumPy scalar as the plain Python value users wrote (not ``np.str_('a')``)."""
    return value.item() if isinstance(value, np.generic) else value


def _shape_str(names):
    return "(" + ", ".join(names) + ")"


class KerasAudioClassifier(KerasClassifier):
    """Base of the audio classifiers: scikeras plus segments, tags and checks.

    Not meant to be used directly. A family subclass defines its
    constructor (all parameters explicit, stored untouched) and:

    * ``_example_axes()``: names of the axes of one example, e.g.
      ``("n_frames", "n_coeffs")``; their count is the per-example rank;
    * ``_build_hidden(x)``: Keras layers from the normalised input tensor to
      the last hidden tensor (the base adds the softmax head);
    * optionally ``_check_family_params()``, ``_per_feature_normalization()``
      and ``_shape_hint()``.

    Input with ``1 + rank`` axes is unsegmented ``(n_clips, *example)``;
    with ``2 + rank`` axes it is segmented ``(n_clips, n_segments, *example)``.
    """

    # scikeras discovers parameters from ``__dict__`` and prints them one per
    # line; the families declare them in ``__init__`` instead, as scikit-learn
    # expects, so restore scikit-learn's behaviour.
    _get_param_names = classmethod(constructor_param_names)
    __repr__ = BaseEstimator.__repr__

    def set_params(self, **params):
        """Set the parameters of this estimator (scikit-learn's ``set_params``).

        Unlike scikeras, the classifiers take no routed parameters such as
        ``optimizer__momentum`` or ``callbacks__0__patience``: every knob is
        an explicit constructor parameter.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        routed = sorted(key for key in params if "__" in key)
        if routed:
            raise ValueError(
                f"{type(self).__name__} takes no routed parameters such as {routed[0]!r}. "
                "The optimizer is chosen by name (optimizer='adam', 'adamw', 'rmsprop', "
                "'sgd', ...) with learning_rate; its other settings keep Keras's defaults. "
                f"Valid parameters: {sorted(self.get_params(deep=False))}."
            )
        return BaseEstimator.set_params(self, **params)

    # -- family hooks -------------------------------------------------------
    def _example_axes(self):
        raise NotImplementedError

    def _example_ndim(self):
        return len(self._example_axes())

    def _per_feature_normalization(self):
        return True

    def _shape_hint(self):
        return ""

    def _check_family_params(self):
        """Validate the parameters a family adds."""

    def _feature_masks(self):
        """``(time_masks, freq_masks, mask_fraction)`` for SpecAugment, or None.

        Families whose examples are ``(n_frames, n_coeffs)`` matrices return
        their checked parameters; others have no such axes.
        """
        return None

    def _build_hidden(self, x):
        raise NotImplementedError

    # -- scikit-learn protocol ------------------------------------------------
    def __sklearn_tags__(self):
        # scikeras lists ClassifierMixin after BaseEstimator, so BaseEstimator's
        # tags win and the estimator type is lost: set it here.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        tags.input_tags.two_d_array = self._example_ndim() == 1
        tags.input_tags.three_d_array = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # -- persistence ------------------------------------------------------------
    # Pickle stores the network through scikeras's Model.__reduce__, as before.
    # Only inside sklearn_audio.save_model / load_model do these swap the
    # network for a reference to its own ``.keras`` member of the archive
    # (skops stores no Keras objects), and back.
    def __getstate__(self):
        from ..persistence import _detach_networks

        return _detach_networks(self, super().__getstate__())

    def __setstate__(self, state):
        from ..persistence import _attach_networks

        super().__setstate__(_attach_networks(self, state))

    # -- parameters -----------------------------------------------------------
    def _check_params(self):
        """Validate every parameter; return the ones fit needs, normalised."""
        p = _params
        checked = {
            "learning_rate": p.check_real(self, "learning_rate", 0, low_open=True),
            "epochs": p.check_int(self, "epochs", 1),
            "batch_size": p.check_int(self, "batch_size", 1),
            "validation_fraction": p.check_real(self, "validation_fraction", 0, 1),
            "early_stopping": p.check_bool(self, "early_stopping"),
            "patience": p.check_int(self, "patience", 1),
            "dropout": p.check_real(self, "dropout", 0, 1),
            "input_noise": p.check_real(self, "input_noise", 0),
            "l2": p.check_real(self, "l2", 0),
            "aggregate": p.check_choice(self, "aggregate", _AGGREGATES),
            "min_epochs": p.check_int(self, "min_epochs", 0),
            "lr_schedule": p.check_choice(self, "lr_schedule", _SCHEDULES),
            "mixup": p.check_real(self, "mixup", 0),
        }
        verbose_ok = isinstance(self.verbose, (bool, np.bool_)) or (
            isinstance(self.verbose, numbers.Integral) and self.verbose in (0, 1, 2)
        )
        if not verbose_ok:
            raise ValueError(f"verbose must be 0, 1, 2 or a bool, got {self.verbose!r}.")
        if self.callbacks is not None and not (
            isinstance(self.callbacks, (list, tuple))
            and all(isinstance(cb, keras.callbacks.Callback) for cb in self.callbacks)
        ):
            raise ValueError(
                "callbacks must be None or a list of keras.callbacks.Callback instances, "
                f"got {self.callbacks!r}."
            )
        if not isinstance(self.optimizer, str):
            raise ValueError(
                "optimizer must be the name of a Keras optimizer, e.g. 'adam', 'adamw', "
                f"'rmsprop' or 'sgd'; got {self.optimizer!r}."
            )
        self._make_optimizer(checked["learning_rate"])
        self._check_family_params()
        return checked

    def _make_optimizer(self, learning_rate):
        try:
            return keras.optimizers.get(
                {"class_name": self.optimizer, "config": {"learning_rate": learning_rate}}
            )
        except ValueError:
            raise ValueError(
                "optimizer must be the name of a Keras optimizer, e.g. 'adam', 'adamw', "
                f"'rmsprop' or 'sgd'; got {self.optimizer!r}."
            ) from None

    def _seed(self):
        """An int seed for Keras, or None to leave training unseeded."""
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral) and not isinstance(
            self.random_state, bool
        ):
            return int(self.random_state)
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(np.iinfo(np.int32).max))
        raise ValueError(
            "random_state must be None, an int or a numpy.random.RandomState, "
            f"got {self.random_state!r}."
        )

    # -- input checks -----------------------------------------------------------
    def _rank_error(self, shape):
        axes = self._example_axes()
        name = type(self).__name__
        unsegmented = _shape_str(("n_clips",) + axes)
        segmented = _shape_str(("n_clips", "n_segments") + axes)
        hint = self._shape_hint()
        if len(shape) == len(axes):
            hint = (
                f"{hint} Reshape your data if it is one clip: add a leading clip axis, "
                "e.g. X[np.newaxis]."
            ).strip()
        return ValueError(
            f"{name} expects unsegmented input of shape {unsegmented} or segmented input "
            f"of shape {segmented}; got an array of shape {tuple(shape)}."
            + (f" {hint}" if hint else "")
        )

    def _check_X(self, X, *, reset):
        """Validate ``X`` as float32; return it and whether it is segmented.

        At fit (``reset=True``) records ``example_shape_`` and
        ``n_features_in_`` (the size of the last axis); afterwards checks them.
        """
        ndim = self._example_ndim()
        try:
            given_ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim
        except (TypeError, ValueError):  # ragged nested lists: check_array reports them
            given_ndim = None
        two_d = ndim == 1 and given_ndim == 2
        if two_d:
            # The plain (n_samples, n_features) case: scikit-learn's own checks
            # give the standard messages and track DataFrame column names.
            X = validate_data(self, X, reset=reset, dtype=np.float32, ensure_all_finite=False)
        else:
            X = check_array(
                X, ensure_2d=False, allow_nd=True, dtype=np.float32,
                ensure_all_finite=False, input_name="X",
            )  # fmt: skip
            if X.ndim not in (ndim + 1, ndim + 2):
                raise self._rank_error(X.shape)
            if 0 in X.shape:
                raise ValueError(f"X has an empty axis: shape {X.shape}.")
        example_shape = tuple(int(s) for s in X.shape[X.ndim - ndim :])
        name = type(self).__name__
        if reset:
            self.example_shape_ = example_shape
            if not two_d:
                self.n_features_in_ = example_shape[-1]
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        else:
            if example_shape[-1] != self.n_features_in_:
                raise ValueError(
                    f"X has {example_shape[-1]} features, but {name} is expecting "
                    f"{self.n_features_in_} features as input (the size of the last axis, "
                    f"{self._example_axes()[-1]}). Each example must have shape "
                    f"{self.example_shape_} as in fit; got {example_shape}."
                )
            if example_shape != self.example_shape_:
                axes = ", ".join(self._example_axes())
                raise ValueError(
                    f"{name} was fitted on examples of shape ({axes}) = {self.example_shape_}, "
                    f"got {example_shape}. Extract features with the same settings as for "
                    "fit (a Pipeline does this: MFCCTransformer fixes the frame count at fit)."
                )
        finite = np.isfinite(X.reshape(len(X), -1)).all(axis=1)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            check_finite(X[bad], bad)
        return X, X.ndim == ndim + 2

    def _check_y(self, y, n_clips):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(y) != n_clips:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: X has "
                f"{n_clips} clips, y has {len(y)} labels."
            )
        return y

    @staticmethod
    def _check_sample_weight(sample_weight, n_clips):
        if sample_weight is None:
            return None
        if isinstance(sample_weight, numbers.Real):
            return np.full(n_clips, float(sample_weight))
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (n_clips,):
            raise ValueError(
                f"sample_weight must have shape ({n_clips},) (one weight per clip), "
                f"got {weights.shape}."
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
        return weights

    # -- fit --------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, groups=None):
        """Train the network on every real example of ``X``.

        Parameters
        ----------
        X : array-like
            Unsegmented ``(n_clips, *example)`` or segmented
            ``(n_clips, n_segments, *example)``; the example shape of each
            family is given in its class docstring. All-zero segments are
            padding and are left out.
        y : array-like of shape (n_clips,)
            Clip labels of any type (str, int); every segment inherits its
            clip's label.
        sample_weight : array-like of shape (n_clips,), default=None
            Weight of each clip, given to each of its segments. Clips of
            weight 0 are dropped.
        groups : array-like of shape (n_clips,), default=None
            Group of each clip (speaker, artist, album): the validation split
            then holds out whole groups, so that early stopping judges
            unseen groups as a leave-one-group-out test will. With scikit-learn's
            metadata routing on, request it with ``set_fit_request(groups=True)``
            for ``cross_validate`` or a search to pass it.

        Returns
        -------
        self : object
            The fitted classifier.

        Warns
        -----
        UserWarning
            When the validation split would hold fewer than
            ``MIN_VALIDATION_CLIPS_PER_CLASS`` (3) clips of a class: the fit
            then trains all ``epochs`` on every clip, without early stopping.
        sklearn.exceptions.ConvergenceWarning
            When the fitted network predicts one class for nearly all the
            clips it was trained on, when its validation accuracy is no better
            than always answering the most frequent validation class (as far
            as chance can tell), or when its validation loss was best after
            the first epoch.
        """
        params = self._check_params()
        # A refit that fails half-way must not leave the previous model looking fitted.
        for stale in ("model_", "history_", "n_epochs_", "best_epoch_"):
            self.__dict__.pop(stale, None)
        X, segmented = self._check_X(X, reset=True)
        y = self._check_y(y, len(X))
        weights = self._check_sample_weight(sample_weight, len(X))
        if groups is not None:
            groups = column_or_1d(groups)
            if len(groups) != len(X):
                raise ValueError(
                    f"groups must have one entry per clip ({len(X)}), got {len(groups)}."
                )
        if weights is not None:
            if not np.any(weights > 0):
                raise ValueError("sample_weight is zero for every clip: nothing to train on.")
            keep = weights > 0
            X, y, weights = X[keep], y[keep], weights[keep]
            groups = None if groups is None else groups[keep]
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y contains only one class ({classes[0]!r}) among the clips with non-zero "
                "weight; a classifier needs at least two classes."
            )
        class_weight = _params.check_class_weight(self, classes)
        if class_weight is not None:
            balance = compute_sample_weight(class_weight, y)
            weights = balance if weights is None else weights * balance

        seed = self._seed()
        split_rng = check_random_state(seed)
        train, validation = self._validation_split(
            y_encoded, groups, classes, params["validation_fraction"], split_rng
        )
        shuffle_seed = None if seed is None else int(split_rng.randint(np.iinfo(np.int32).max))
        X_train, y_train, w_train = self._examples(X, y_encoded, weights, train, segmented)
        monitor = None
        if len(validation):
            monitor = self._validation_monitor(X, y_encoded, weights, validation, segmented)

        self.classes_ = classes
        self.n_classes_ = len(classes)
        meta = {
            "example_shape_": self.example_shape_,
            "n_classes_": self.n_classes_,
            "steps_per_epoch": -(-len(X_train) // params["batch_size"]),
        }
        batches = training_batches(
            X_train, y_train, w_train, params["batch_size"], shuffle_seed, mixup=params["mixup"]
        )
        with _quiet_retracing():
            self.model_ = seeded_build(lambda: self._keras_build_fn(meta), seed)
            self._set_input_stats(input_stats(X_train, self._per_feature_normalization()))
            steps = params["epochs"] * -(-len(X_train) // params["batch_size"])
            self.model_.run_eagerly = steps <= _EAGER_MAX_STEPS
            stopper = self._early_stopping(params, monitor)
            history = self._train(
                batches, self._callbacks(monitor, stopper, params), params["epochs"],
                build=lambda: self._keras_build_fn(meta),
                weighted=w_train is not None or bool(params["mixup"]),
            )  # fmt: skip
        self.history_ = {key: [float(v) for v in values] for key, values in history.items()}
        self.n_epochs_ = len(self.history_["loss"])
        self.best_epoch_ = None
        if stopper is not None and stopper.best_weights is not None:
            self.best_epoch_ = int(stopper.best_epoch) + 1
        majority = None
        if monitor is not None:
            majority = (np.bincount(y_encoded[validation]).max(), len(validation))
        # At most _COLLAPSE_CLIPS training clips, evenly spread: the check
        # needs the share of one class, not every prediction.
        sample = train[:: max(1, -(-len(train) // _COLLAPSE_CLIPS))]
        self._warn_if_not_converged(
            X[sample], segmented, y_encoded[sample],
            None if weights is None else weights[sample], params, majority,
        )  # fmt: skip
        return self

    def _validation_split(self, y, groups, classes, fraction, rng):
        """Train and validation clips; no validation when it would be too small to judge."""
        if fraction == 0:
            return np.arange(len(y)), np.array([], dtype=int)
        if groups is None:
            train, validation = stratified_split(y, fraction, rng)
        else:
            train, validation = group_split(y, groups, fraction, rng)
        if groups is not None and len(validation) == 0:
            return self._without_validation(
                len(y), "every clip is in one group, so no validation split can hold out a "
                "whole group."
            )  # fmt: skip
        counts = np.bincount(y[validation], minlength=len(classes))
        if counts.min() < MIN_VALIDATION_CLIPS_PER_CLASS:
            scarce = classes[np.argmin(counts)]
            return self._without_validation(
                len(y),
                f"validation_fraction={fraction} holds out only {counts.min()} clip(s) of class "
                f"{_plain(scarce)!r} (fewer than {MIN_VALIDATION_CLIPS_PER_CLASS}), too few to "
                "stop on.",
                "Raise validation_fraction, or set it to 0 to silence this.",
            )
        return train, validation

    def _without_validation(self, n_clips, reason, advice=""):
        """Say why there is no validation split; return every clip for training."""
        warnings.warn(
            f"{type(self).__name__}: {reason} Training all {self.epochs} epochs on every clip "
            f"instead, without early stopping. {advice}".rstrip(),
            UserWarning,
            stacklevel=4,
        )
        return np.arange(n_clips), np.array([], dtype=int)

    def _validation_monitor(self, X, y, weights, clips, segmented):
        """The callback computing clip-level ``val_loss`` and ``val_accuracy``."""
        X_val = X[clips]
        mask = real_segments(X_val, self._example_ndim()) if segmented else None
        rows = X_val[mask] if segmented else X_val
        return ValidationLogs(
            rows, y[clips], None if weights is None else weights[clips],
            _predict_batch_size(rows), mask=mask, how=self.aggregate,
        )  # fmt: skip

    def _early_stopping(self, params, monitor):
        """Keras's early stopping on the clip-level validation loss, after a warm-up."""
        if not params["early_stopping"] or monitor is None:
            return None
        # Nothing is judged, stopped or restored before min_epochs: early
        # epochs of a small network on few clips are noisy, and the best of
        # them is often a near-constant predictor.
        return keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=params["patience"], restore_best_weights=True,
            start_from_epoch=params["min_epochs"],
        )  # fmt: skip

    def _callbacks(self, monitor, stopper, params):
        """Validation, the user's callbacks, early stopping and the schedule, in order."""
        callbacks = [] if monitor is None else [monitor]  # first: all others see it
        callbacks += list(self.callbacks or ())
        if stopper is not None:
            callbacks.append(stopper)
        schedule = params["lr_schedule"]
        if schedule == "auto":
            schedule = "plateau" if stopper is not None else "cosine"
        if schedule == "cosine":
            callbacks.append(cosine_decay(params["learning_rate"], params["epochs"]))
        elif schedule == "plateau":
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor="val_loss" if monitor is not None else "loss",
                    factor=0.5, patience=max(1, params["patience"] // 2),
                )
            )  # fmt: skip
        return callbacks

    def _train(self, batches, callbacks, epochs, *, build, weighted):
        """Run Keras's training loop for ``self.model_``; return the history.

        Traced fits run on a reused trainer (see ``_trainers``) unless the
        cache is switched off (``sklearn_audio.set_config(reuse_trainers=False)``),
        or a user callback may touch the model: callbacks then see ``model_``
        itself, as Keras users expect.
        """

        def fit(model):
            # The callbacks hold the model and early stopping's best weights;
            # built per fit, they are dropped with it and never pickled.
            return model.fit(
                batches, epochs=epochs, verbose=self.verbose, shuffle=False, callbacks=callbacks
            ).history

        reuse = (
            not self.model_.run_eagerly  # no graphs to trace, nothing to reuse
            and get_config()["reuse_trainers"]
            and not any(uses_model(cb) for cb in self.callbacks or ())
        )
        if not reuse:
            return fit(self.model_)
        with reusable_trainer(self.model_, build, weighted=weighted) as trainer:
            trainer.run_eagerly = False
            return fit(trainer)

    def _warn_if_not_converged(self, X, segmented, y, weights, params, majority):
        """ConvergenceWarning naming the cause when the fit has visibly failed.

        Three causes, checked in order: the network predicts one class for
        nearly all training clips; the validation accuracy of the weights
        kept is no better than always answering the validation split's most
        frequent class (``majority``); the validation loss was best at the
        first epoch judged.
        """
        name = type(self).__name__
        hint = (
            "Try another learning_rate (the default is 1e-3), more epochs or min_epochs, "
            "or check that the features separate the classes (e.g. a DenseClassifier on "
            "MFCCTransformer(output='stats'))."
        )
        predicted = np.argmax(self._clip_proba(X, segmented, params["aggregate"]), axis=1)
        top = np.bincount(predicted, minlength=self.n_classes_).argmax()
        share = float(np.mean(predicted == top))
        # The share of the labels the weights give that class: a network
        # predicting a class weighted 9 to 1 nearly always has learned the prior.
        prior = float(np.average(y == top, weights=weights))
        if share >= _COLLAPSE_SHARE and prior < _COLLAPSE_SHARE:
            warnings.warn(
                f"{name} predicts class {_plain(self.classes_[top])!r} for {share:.0%} of the "
                f"clips it was trained on (its share of the labels: {prior:.0%}): the network "
                f"has not learned to tell the classes apart after {self.n_epochs_} epochs. {hint}",
                ConvergenceWarning,
                stacklevel=3,
            )
            return
        if majority is not None:
            kept = (self.best_epoch_ or self.n_epochs_) - 1
            accuracy = self.history_["val_accuracy"][kept]
            most_frequent, n_val = majority
            majority = most_frequent / n_val
            # One-sided binomial test: could always answering the most frequent
            # validation class have scored this well by chance?
            p_value = binomtest(round(accuracy * n_val), n_val, majority, "greater").pvalue
            # Not a significance test of learning (small validation sets could
            # not pass one): a warning only when chance explains the figure well.
            if p_value > _NO_SIGN_OF_LEARNING:
                warnings.warn(
                    f"{name}: the validation accuracy of the weights kept (epoch {kept + 1}) is "
                    f"{accuracy:.0%} on {n_val} clips, not better than always answering the most "
                    f"frequent class of the validation clips ({majority:.0%}) beyond chance "
                    f"(p = {p_value:.2f}). {hint}",
                    ConvergenceWarning,
                    stacklevel=3,
                )
                return
        if self.best_epoch_ == 1 and self.n_epochs_ > 1:
            warnings.warn(
                f"{name}: the validation loss was best after the first epoch and never "
                f"improved in the {self.n_epochs_ - 1} epochs after; the weights of epoch 1 "
                f"are kept (min_epochs={params['min_epochs']}). {hint}",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _examples(self, X, y, weights, clips, segmented):
        """Rows, labels and weights of the given clips, one row per real example."""
        X, y = X[clips], y[clips]
        weights = None if weights is None else weights[clips]
        if not segmented:
            return X, y, weights
        mask = real_segments(X, self._example_ndim())
        return flatten_segments(X, mask, y, weights)

    # -- the network ----------------------------------------------------------
    def _keras_build_fn(self, meta):
        shape = tuple(meta["example_shape_"])
        inputs = keras.Input(shape=shape, name="examples")
        x = inputs
        if not self._per_feature_normalization():
            # One scalar mean and variance: a trailing channel axis of size 1.
            x = keras.layers.Reshape(shape + (1,), name="add_channel")(x)
        x = _Normalization(axis=-1, name=_NORMALIZATION)(x)
        masks = self._feature_masks()
        if masks is not None and (masks[0] or masks[1]):
            time_masks, freq_masks, fraction = masks
            x = SpecAugment(time_masks, freq_masks, fraction, name="spec_augment")(x)
        if self.input_noise:
            # Active in training only: a cheap augmentation that makes the
            # network rely less on exact values (speaker, microphone, gain).
            x = keras.layers.GaussianNoise(self.input_noise, name="input_noise")(x)
        x = self._build_hidden(x)
        # float32 probabilities under any dtype policy (e.g. mixed_float16):
        # a float16 softmax saturates and its loss loses precision.
        outputs = keras.layers.Dense(
            meta["n_classes_"], activation="softmax", dtype="float32", name="proba"
        )(x)
        model = keras.Model(inputs, outputs, name=type(self).__name__)
        momentum = batch_norm_momentum(meta["steps_per_epoch"])
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = momentum
        optimizer = self._make_optimizer(self.learning_rate)
        if get_config()["avoid_graph_leak"]:
            optimizer = skip_single_replica_all_reduce(optimizer)
        model.compile(
            optimizer=optimizer,
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def _set_input_stats(self, stats):
        mean, variance = stats
        layer = self.model_.get_layer(_NORMALIZATION)
        layer.set_weights([mean, variance, np.array(0, dtype=np.int64)])
        # The layer caches broadcast copies of its statistics; refresh them.
        layer.finalize_state()

    def _regularizer(self):
        return keras.regularizers.L2(self.l2) if self.l2 else None

    # -- prediction ---------------------------------------------------------------
    def _predict_examples(self, rows):
        """Softmax outputs of the network for a stack of examples, in batches.

        The rows are predicted in a canonical order (sorted by their bytes)
        and put back: oneDNN's batched kernels may round a row differently by
        its position in a batch (a few float32 ulps), and this way a row's
        probabilities do not depend on the order the caller gave the rows in.
        """
        batch = _predict_batch_size(rows)
        order = _byte_order(rows)
        canonical = rows[order]
        # Calling the model directly runs eagerly: no graph to trace, and nothing
        # is cached on the estimator (predict leaves its __dict__ unchanged).
        parts = [
            keras.ops.convert_to_numpy(self.model_(canonical[i : i + batch], training=False))
            for i in range(0, len(canonical), batch)
        ]
        proba = np.empty((len(rows), self.n_classes_), dtype=np.float32)
        proba[order] = np.concatenate(parts, axis=0)
        return proba

    def predict_proba(self, X):
        """Class probabilities of each clip.

        Parameters
        ----------
        X : array-like
            ``(n_clips, *example)`` or ``(n_clips, n_segments, *example)``,
            with the example shape seen in fit. The number of segments may
            differ from fit.

        Returns
        -------
        proba : ndarray of float64, shape (n_clips, n_classes)
            Columns follow ``classes_``; rows sum to 1. For segmented input,
            the aggregate (``aggregate`` parameter) of the clip's real
            segments; a clip made only of padding uses all its segments.
        """
        check_is_fitted(self)
        how = _params.check_choice(self, "aggregate", _AGGREGATES)
        X, segmented = self._check_X(X, reset=False)
        return self._clip_proba(X, segmented, how)

    def _clip_proba(self, X, segmented, how):
        """Clip probabilities of checked input: segments aggregated, rows normalised."""
        if segmented:
            mask = real_segments(X, self._example_ndim())
            proba = aggregate(self._predict_examples(X[mask]), mask, how)
        else:
            proba = self._predict_examples(X).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each clip.

        Parameters
        ----------
        X : array-like
            As for :meth:`predict_proba`.

        Returns
        -------
        y_pred : ndarray of shape (n_clips,)
            Labels of the type seen in fit.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : array-like
            As for :meth:`predict_proba`.
        y : array-like of shape (n_clips,)
            True labels.
        sample_weight : array-like of shape (n_clips,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    # scikeras's incremental API would need normalisation statistics and a
    # validation split that only ``fit`` computes; hide it rather than break.
    @available_if(_never)
    def partial_fit(self, X, y, classes=None, sample_weight=None):  # pragma: no cover
        raise NotImplementedError

    @available_if(_never)
    def initialize(self, X, y=None):  # pragma: no cover
        raise NotImplementedError
