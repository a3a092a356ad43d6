"""``SCORING`` for multi-metric model selection, and the probability metrics behind it."""

import inspect
import sys
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline

from .._compat.sklearn import base_scorer, scorer_response_cache
from ._checks import check_fitted_classifier, check_targets

__all__ = [
    "SCORING",
    "ovr_roc_auc",
    "macro_roc_auc",
    "warn_undefined_auc",
    "labelled_log_loss",
    "roc_auc_ovr_score",
    "log_loss_score",
]


def ovr_roc_auc(y_true, y_proba, labels, sample_weight=None):
    """One-vs-rest ROC AUC of each class in ``labels``.

    A class that is absent from ``y_true``, or is all of it, has no ROC curve:
    its entry is NaN rather than an error, so a test fold that lacks a class
    (frequent with group-wise splits) still gets a score from the others.
    """
    aucs = np.full(len(labels), np.nan)
    for k, label in enumerate(labels):
        positive = y_true == label
        if positive.any() and not positive.all():
            aucs[k] = roc_auc_score(positive, y_proba[:, k], sample_weight=sample_weight)
    return aucs


def macro_roc_auc(y_true, y_proba, labels, sample_weight=None):
    """Mean of the defined one-vs-rest ROC AUCs; NaN when none is defined."""
    aucs = ovr_roc_auc(y_true, y_proba, labels, sample_weight)
    defined = ~np.isnan(aucs)
    return float(aucs[defined].mean()) if defined.any() else float("nan")


def warn_undefined_auc(labels, aucs):
    """Say which classes were left out of the ROC AUC averages, and why."""
    undefined = labels[np.isnan(aucs)]
    if len(undefined):
        warnings.warn(
            f"ROC AUC is undefined for classes {undefined.tolist()} (y_true holds no "
            "sample of them, or nothing else); they are left out of the averages.",
            UndefinedMetricWarning,
            stacklevel=3,
        )


def labelled_log_loss(y_true, y_proba, labels, sample_weight=None):
    """Log loss of probabilities whose columns follow ``labels`` in any order."""
    # sklearn's log_loss assumes the columns follow the *sorted* labels.
    order = np.argsort(labels, kind="stable")
    return float(
        log_loss(y_true, y_proba[:, order], labels=labels[order], sample_weight=sample_weight)
    )


def roc_auc_ovr_score(y_true, y_proba, *, labels=None, sample_weight=None):
    """Mean one-vs-rest ROC AUC over the classes whose curve is defined.

    The metric of ``SCORING["roc_auc_ovr"]``. ``labels`` name the columns
    of ``y_proba`` (default: the sorted labels of ``y_true``); a 1-D
    ``y_proba`` on a binary problem is the probability of ``labels[1]``.

    Examples
    --------
    >>> from sklearn_audio.metrics._scoring import roc_auc_ovr_score
    >>> roc_auc_ovr_score(["a", "b", "b"], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    1.0
    """
    y_true, _, y_proba, labels = check_targets(y_true, y_proba=y_proba, labels=labels)
    return macro_roc_auc(y_true, y_proba, labels, sample_weight)


def log_loss_score(y_true, y_proba, *, labels=None, sample_weight=None):
    """Log loss of ``y_proba`` whose columns follow ``labels`` in any order.

    The metric of ``SCORING["neg_log_loss"]`` (which negates it).
    ``labels`` as in :func:`roc_auc_ovr_score`.

    Examples
    --------
    >>> from sklearn_audio.metrics._scoring import log_loss_score
    >>> round(log_loss_score(["b", "a"], [[0.5, 0.5], [0.5, 0.5]], labels=["b", "a"]), 4)
    0.6931
    """
    y_true, _, y_proba, labels = check_targets(y_true, y_proba=y_proba, labels=labels)
    return labelled_log_loss(y_true, y_proba, labels, sample_weight)


# The cache key of the full ``predict_proba``: scikit-learn's own "predict_proba"
# entry keeps one column on binary problems (see _full_proba).
_PROBA_KEY = "sklearn_audio.metrics:predict_proba"


def _predicts_most_probable_class(estimator):
    """Whether ``estimator.predict(X)`` is by construction ``classes_[argmax(predict_proba(X))]``.

    True only for sklearn-audio's Keras classifiers (whose ``predict`` calls
    ``predict_proba`` and takes the argmax) and pipelines ending in one. Many
    scikit-learn classifiers predict from another quantity (``SVC`` from its
    decision function, ``FixedThresholdClassifier`` from a threshold, logistic
    regression from the sign of a decision value that rounding can turn into a
    tie of probabilities), so for any other estimator the label metrics use
    ``predict`` itself.
    """
    # Static look-ups compare the methods as defined, unbound (Pipeline's are
    # descriptors that build a new function at each access): a subclass that
    # overrides predict is not recognised.
    while isinstance(estimator, Pipeline) and _same_predict(type(estimator), Pipeline):
        estimator = estimator.steps[-1][1]
    # An instance exists only if its module was imported; importing it here
    # would pull TensorFlow into every use of the metrics.
    base = sys.modules.get("sklearn_audio.models._base")
    return base is not None and _same_predict(type(estimator), base.KerasAudioClassifier)


def _same_predict(cls, base):
    sentinel = object()
    return inspect.getattr_static(cls, "predict", sentinel) is inspect.getattr_static(
        base, "predict"
    )


def _full_proba(method_caller, estimator, X, name):
    """``estimator.predict_proba(X)``, computed once per test fold and shared by the scorers.

    scikit-learn's cached call would reduce a binary ``predict_proba`` to the
    positive column, chosen by whichever scorer calls first; this keeps all
    the columns under a key of its own in the same per-fold cache.
    """
    cache = scorer_response_cache(method_caller)
    if cache is not None and _PROBA_KEY in cache:
        return cache[_PROBA_KEY]
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"The {name!r} scorer needs predict_proba, which "
            f"{type(estimator).__name__} does not provide (for SVC or another classifier "
            "without it, wrap it in sklearn.calibration.CalibratedClassifierCV)."
        )
    proba = estimator.predict_proba(X)
    if cache is not None:
        cache[_PROBA_KEY] = proba
    return proba


_BaseScorer = base_scorer()


class _AudioScorer(_BaseScorer):
    """A scorer that scikit-learn's multi-metric scoring caches, named for its metric.

    Deriving from scikit-learn's scorer base means ``GridSearchCV``,
    ``cross_validate`` and ``check_scoring`` pass every scorer of a dict the
    same per-fold response cache, and provides ``set_score_request`` for
    routing ``sample_weight`` (every metric accepts it).
    """

    # Read by scikit-learn only to decide whether a dict of scorers shares a
    # response (it resolves the first method the estimator has): every
    # SCORING entry may use predict_proba, which they share. "predict" comes
    # second so that an estimator without predict_proba still gets the label
    # metrics, the probability ones failing alone with a clear error (a single
    # "predict_proba" would make scikit-learn raise before any scorer runs).
    _RESPONSE_METHOD = ("predict_proba", "predict")

    def __init__(self, name, score_func, sign=1, **kwargs):
        super().__init__(score_func, sign, kwargs, response_method=self._RESPONSE_METHOD)
        self.name = name

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        """``sign * score_func(y_true, response, **kwargs)``, reading responses from the cache.

        ``kwargs`` holds the routed metadata (``sample_weight``).
        """
        self._warn_overlap(
            message=(
                f"The {self.name!r} scorer was given metadata that overrides its own "
                "parameters."
            ),
            kwargs=kwargs,
        )
        return self._sign * self._metric(method_caller, estimator, X, y_true, kwargs)

    def __repr__(self):
        return f"<{self.name} scorer>"


class _LabelScorer(_AudioScorer):
    """A metric of the predicted labels, such as accuracy or macro F1."""

    def _metric(self, method_caller, estimator, X, y_true, kwargs):
        if _predicts_most_probable_class(estimator):
            # Derived from the shared predict_proba: one inference for all metrics.
            classes = check_fitted_classifier(estimator, f"The {self.name!r} scorer")
            proba = _full_proba(method_caller, estimator, X, self.name)
            y_pred = classes[np.argmax(proba, axis=1)]
        else:
            y_pred = method_caller(estimator, "predict", X)
        return self._score_func(y_true, y_pred, **{**self._kwargs, **kwargs})


class _ProbabilityScorer(_AudioScorer):
    """A metric of ``predict_proba`` with the estimator's ``classes_`` naming the columns.

    scikit-learn's built-in ``roc_auc_ovr`` and ``neg_log_loss`` scorers infer
    the classes from each test fold's ``y`` and fail when a fold lacks one;
    this scorer does not.
    """

    def _metric(self, method_caller, estimator, X, y_true, kwargs):
        labels = check_fitted_classifier(estimator, f"The {self.name!r} scorer")
        if "labels" in kwargs:
            raise ValueError(
                f"The {self.name!r} scorer names the columns of predict_proba with the "
                "estimator's classes_; labels cannot be passed to it."
            )
        proba = _full_proba(method_caller, estimator, X, self.name)
        return self._score_func(y_true, proba, labels=labels, **{**self._kwargs, **kwargs})


#: Scorers by name for multi-metric model selection with any scikit-learn
#: classifier, e.g. ``GridSearchCV(model, grid, scoring=SCORING,
#: refit="f1_macro")`` or ``cross_validate(model, X, y, scoring=SCORING)``.
#: A search computes the responses once per test fold for all of them:
#: ``predict`` and ``predict_proba``, or ``predict_proba`` alone for
#: sklearn-audio's classifiers.
SCORING = {
    "accuracy": _LabelScorer("accuracy", accuracy_score),
    # pos_label=None, as in scikit-learn's own "*_macro" scorers: the default
    # pos_label=1 is rejected on binary problems with string labels.
    # zero_division=0: a class never predicted scores 0 without a warning per fold.
    "precision_macro": _LabelScorer(
        "precision_macro", precision_score, average="macro", pos_label=None, zero_division=0
    ),
    "recall_macro": _LabelScorer(
        "recall_macro", recall_score, average="macro", pos_label=None, zero_division=0
    ),
    "f1_macro": _LabelScorer(
        "f1_macro", f1_score, average="macro", pos_label=None, zero_division=0
    ),
    "roc_auc_ovr": _ProbabilityScorer("roc_auc_ovr", roc_auc_ovr_score),
    "neg_log_loss": _ProbabilityScorer("neg_log_loss", log_loss_score, sign=-1),
}
