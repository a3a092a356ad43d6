"""Validation of labels and probabilities, shared by reports, scorers and plots."""

import numpy as np
from sklearn.utils.multiclass import unique_labels

__all__ = ["check_targets", "check_fitted_classifier"]


def _as_1d(y, name):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per clip), got shape {y.shape}.")
    if y.size == 0:
        raise ValueError(f"{name} is empty.")
    return y


def _check_known(y, labels, name):
    # Compare as Python objects: np.setdiff1d would coerce 0 and "0" to the same string.
    known = set(labels.tolist())
    unknown = [value for value in np.unique(y).tolist() if value not in known]
    if unknown:
        raise ValueError(
            f"{name} contains labels that are not in labels={labels.tolist()}: "
            f"{unknown[:10]}."
        )


def check_targets(y_true, y_pred=None, y_proba=None, labels=None):
    """Validate targets and return ``(y_true, y_pred, y_proba, labels)`` as arrays.

    ``labels`` defaults to the sorted union of ``y_true`` and ``y_pred``, as in
    scikit-learn. The columns of ``y_proba`` follow ``labels``; a 1-D
    ``y_proba`` on a binary problem is the probability of ``labels[1]`` (the
    positive class, as in ``predict_proba(X)[:, 1]``) and is widened to two
    columns. ``y_pred`` and ``y_proba`` may be None.
    """
    y_true = _as_1d(y_true, "y_true")
    if y_pred is not None:
        y_pred = _as_1d(y_pred, "y_pred")
        if len(y_pred) != len(y_true):
            raise ValueError(
                f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}."
            )
    present = [y_true] if y_pred is None else [y_true, y_pred]
    labels_given = labels is not None
    if labels_given:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(f"labels must be a non-empty 1-D array-like, got {labels!r}.")
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must be unique, got {labels.tolist()}.")
        for y, name in zip(present, ["y_true", "y_pred"]):
            _check_known(y, labels, name)
    else:
        labels = unique_labels(*present)

    if y_proba is not None:
        y_proba = np.asarray(y_proba, dtype=float)
        if y_proba.ndim == 1 and len(labels) == 2:
            y_proba = np.column_stack([1.0 - y_proba, y_proba])
        if y_proba.ndim != 2:
            raise ValueError(
                f"y_proba must have shape (n_samples, n_classes), got {y_proba.shape}."
            )
        if y_proba.shape[0] != len(y_true):
            raise ValueError(
                f"y_proba has {y_proba.shape[0]} rows but y_true has {len(y_true)} samples."
            )
        if y_proba.shape[1] != len(labels):
            hint = (
                "its columns must follow labels"
                if labels_given
                else "pass labels= (an estimator's classes_) to name its columns"
            )
            raise ValueError(
                f"y_proba has {y_proba.shape[1]} columns but there are {len(labels)} "
                f"classes {labels.tolist()}; {hint}."
            )
        if not np.all(np.isfinite(y_proba)):
            raise ValueError("y_proba contains NaN or infinite values.")
    return y_true, y_pred, y_proba, labels


def check_fitted_classifier(estimator, what):
    """Return ``estimator.classes_``, with a clear error for unfitted or non-classifiers."""
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError(
            f"{what} needs a fitted classifier with a classes_ attribute; got "
            f"{type(estimator).__name__}. Fit it first."
        )
    return np.asarray(classes)
