"""``SCORING`` for multi-metric model selection, and the probability metrics behind it."""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    make_scorer,
    precision_score,
    recall_score,
    roc_auc_score,
)

from ._checks import check_fitted_classifier, check_targets

__all__ = ["SCORING", "ovr_roc_auc", "macro_roc_auc", "warn_undefined_auc", "labelled_log_loss"]


def ovr_roc_auc(y_true, y_proba, labels):
    """One-vs-rest ROC AUC of each class in ``labels``.

    A class that is absent from ``y_true``, or is all of it, has no ROC curve:
    its entry is NaN rather than an error, so a test fold that lacks a class
    (frequent with group-wise splits) still gets a score from the others.
    """
    aucs = np.full(len(labels), np.nan)
    for k, label in enumerate(labels):
        positive = y_true == label
        if positive.any() and not positive.all():
            aucs[k] = roc_auc_score(positive, y_proba[:, k])
    return aucs


def macro_roc_auc(y_true, y_proba, labels):
    """Mean of the defined one-vs-rest ROC AUCs; NaN when none is defined."""
    aucs = ovr_roc_auc(y_true, y_proba, labels)
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


def labelled_log_loss(y_true, y_proba, labels):
    """Log loss of probabilities whose columns follow ``labels`` in any order."""
    # sklearn's log_loss assumes the columns follow the *sorted* labels.
    order = np.argsort(labels, kind="stable")
    return float(log_loss(y_true, y_proba[:, order], labels=labels[order]))


class _ProbabilityScorer:
    """Score ``predict_proba`` with the estimator's ``classes_`` naming the columns.

    scikit-learn's built-in ``roc_auc_ovr`` and ``neg_log_loss`` scorers infer
    the classes from each test fold's ``y`` and fail when a fold lacks one;
    this scorer does not. It is a plain callable, which ``GridSearchCV`` and
    ``cross_validate`` accept in a scoring dict.
    """

    def __init__(self, name, metric, sign):
        self.name = name
        self.metric = metric
        self.sign = sign

    def __call__(self, estimator, X, y_true):
        labels = check_fitted_classifier(estimator, f"The {self.name!r} scorer")
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"The {self.name!r} scorer needs predict_proba, which "
                f"{type(estimator).__name__} does not provide (for SVC, set probability=True)."
            )
        y_true, _, y_proba, labels = check_targets(
            y_true, y_proba=estimator.predict_proba(X), labels=labels
        )
        return self.sign * self.metric(y_true, y_proba, labels)

    def __repr__(self):
        return f"<{self.name} scorer>"


#: Scorers by name for multi-metric model selection with any scikit-learn
#: classifier, e.g. ``GridSearchCV(model, grid, scoring=SCORING,
#: refit="f1_macro")`` or ``cross_validate(model, X, y, scoring=SCORING)``.
#: The label metrics are ``make_scorer`` scorers, so a search calls
#: ``predict`` once for all of them.
SCORING = {
    "accuracy": make_scorer(accuracy_score),
    # pos_label=None, as in scikit-learn's own "*_macro" scorers: the default
    # pos_label=1 is rejected on binary problems with string labels.
    # zero_division=0: a class never predicted scores 0 without a warning per fold.
    "precision_macro": make_scorer(
        precision_score, average="macro", pos_label=None, zero_division=0
    ),
    "recall_macro": make_scorer(recall_score, average="macro", pos_label=None, zero_division=0),
    "f1_macro": make_scorer(f1_score, average="macro", pos_label=None, zero_division=0),
    "roc_auc_ovr": _ProbabilityScorer("roc_auc_ovr", macro_roc_auc, 1.0),
    "neg_log_loss": _ProbabilityScorer("neg_log_loss", labelled_log_loss, -1.0),
}
