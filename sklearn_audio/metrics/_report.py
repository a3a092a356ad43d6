"""``ClassificationReport`` and ``evaluate``: every classification metric of one evaluation."""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix

from ._checks import check_fitted_classifier, check_targets
from ._format import format_number, format_table, nan_from_none, to_builtin
from ._scoring import labelled_log_loss, ovr_roc_auc, warn_undefined_auc

__all__ = ["ClassificationReport", "evaluate"]

# Per-class metrics computed from the one-vs-rest counts of the confusion matrix.
_COUNT_METRICS = ("precision", "recall", "f1", "specificity", "fpr", "fnr", "npv")


def _ratio(numerator, denominator):
    # 0/0 is reported as 0.0 everywhere, like scikit-learn's zero_division=0.
    return np.divide(
        numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0
    )


def _per_class(cm):
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "specificity": _ratio(tn, tn + fp),
        "fpr": _ratio(fp, fp + tn),
        "fnr": _ratio(fn, fn + tp),
        "npv": _ratio(tn, tn + fn),
        "support": tp + fn,
    }


def _averages(per_class):
    support = per_class["support"]
    macro, weighted = {}, {}
    for name, values in per_class.items():
        if name == "support":
            continue
        if values is None:
            macro[name] = weighted[name] = None
            continue
        # Only ROC AUC can be undefined (NaN) for a class; it is left out.
        defined = ~np.isnan(values)
        weights = support[defined]
        macro[name] = float(values[defined].mean()) if defined.any() else None
        weighted[name] = (
            float(np.average(values[defined], weights=weights)) if weights.sum() else None
        )
    macro["support"] = weighted["support"] = int(support.sum())
    return macro, weighted


@dataclass(eq=False, repr=False)
class ClassificationReport:
    """Every classification metric of one evaluation, per class and averaged.

    Build it with :meth:`from_predictions`, :meth:`from_estimator` (or
    :func:`evaluate`), or :meth:`from_dict`; ``str(report)`` is a readable
    table.

    Per class, one-vs-rest, from the counts TP, FP, FN and TN of the confusion
    matrix: ``precision`` TP/(TP+FP), ``recall`` TP/(TP+FN), ``f1``
    2TP/(2TP+FP+FN), ``specificity`` TN/(TN+FP), ``fpr`` (false-positive rate)
    FP/(FP+TN), ``fnr`` (false-negative rate) FN/(FN+TP), ``npv`` (negative
    predictive value) TN/(TN+FN), and ``support`` TP+FN. **A ratio whose
    denominator is zero is 0.0**, as with scikit-learn's ``zero_division=0``
    (so identities such as ``fpr == 1 - specificity`` hold only where both are
    defined).

    Parameters
    ----------
    labels : ndarray of shape (n_classes,)
        The classes, in the order of every per-class array and of the rows
        and columns of ``confusion_matrix``.

    per_class : dict of str to ndarray of shape (n_classes,)
        ``precision``, ``recall``, ``f1``, ``specificity``, ``fpr``, ``fnr``,
        ``npv``, ``support`` (int) and ``roc_auc``: the one-vs-rest ROC AUC,
        NaN for a class that has no positive or no negative sample, and None
        (instead of an array) when no probabilities were given.

    macro_avg, weighted_avg : dict of str to float
        The same metrics averaged over classes, unweighted and weighted by
        support; ``support`` is the number of samples. ``roc_auc`` averages the
        defined per-class values and is None when there are none.

    accuracy : float
        Fraction of correctly classified samples.

    log_loss : float or None
        Cross-entropy of the probabilities; None when none were given.

    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Counts; row ``i`` is the true class ``labels[i]``, column ``j`` the
        predicted class ``labels[j]``.

    See Also
    --------
    evaluate : Report on a fitted estimator.
    cross_validate_report : Mean and spread of the metrics over CV folds.

    Examples
    --------
    >>> from sklearn_audio.metrics import ClassificationReport
    >>> report = ClassificationReport.from_predictions(
    ...     ["dog", "dog", "cat", "cat", "bird"],
    ...     ["dog", "cat", "cat", "cat", "bird"],
    ...     y_proba=[[0.1, 0.2, 0.7], [0.1, 0.6, 0.3], [0.2, 0.7, 0.1],
    ...              [0.1, 0.8, 0.1], [0.9, 0.05, 0.05]],
    ... )
    >>> report.labels.tolist()
    ['bird', 'cat', 'dog']
    >>> report.accuracy
    0.8
    >>> report.per_class["specificity"].round(3).tolist()
    [1.0, 0.667, 1.0]
    >>> report.macro_avg["roc_auc"]
    1.0
    >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
    ClassificationReport: 5 samples, 3 classes
    <BLANKLINE>
    label         precision  recall     f1  specificity    fpr    fnr    npv  roc_auc  support
    bird              1.000   1.000  1.000        1.000  0.000  0.000  1.000    1.000        1
    cat               0.667   1.000  0.800        0.667  0.333  0.000  1.000    1.000        2
    dog               1.000   0.500  0.667        1.000  0.000  0.500  0.750    1.000        2
    macro avg         0.889   0.833  0.822        0.889  0.111  0.167  0.917    1.000        5
    weighted avg      0.867   0.800  0.787        0.867  0.133  0.200  0.900    1.000        5
    <BLANKLINE>
    accuracy: 0.800
    log_loss: 0.449
    <BLANKLINE>
    confusion matrix (rows: true label, columns: predicted label)
          bird  cat  dog
    bird     1    0    0
    cat      0    2    0
    dog      0    1    1
    """

    labels: np.ndarray
    per_class: dict
    macro_avg: dict
    weighted_avg: dict
    accuracy: float
    log_loss: float | None
    confusion_matrix: np.ndarray

    @classmethod
    def from_predictions(cls, y_true, y_pred, *, y_proba=None, labels=None):
        """Compute the report from true labels, predictions and (optional) probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels (str or int).

        y_pred : array-like of shape (n_samples,)
            Predicted labels.

        y_proba : array-like of shape (n_samples, n_classes) or (n_samples,), default=None
            Predicted probabilities, columns in the order of ``labels`` (what
            ``predict_proba`` returns, with ``labels=estimator.classes_``). For
            a binary problem a 1-D array is the probability of ``labels[1]``.
            Without it, ROC AUC and log loss are None.

        labels : array-like of shape (n_classes,), default=None
            The classes to report on, in order. Defaults to the sorted union
            of ``y_true`` and ``y_pred``; pass it when a class appears in
            neither (it then gets a row of zeros) or to name the columns of
            ``y_proba``.

        Returns
        -------
        report : ClassificationReport

        Raises
        ------
        ValueError
            If the lengths differ, a label is not in ``labels``, or ``y_proba``
            does not have one row per sample and one column per class.

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions([0, 1, 1, 0], [0, 1, 0, 0])
        >>> report.per_class["recall"].tolist()
        [1.0, 0.5]
        >>> report.log_loss is None
        True
        """
        y_true, y_pred, y_proba, labels = check_targets(y_true, y_pred, y_proba, labels)
        cm = confusion_matrix(y_true, y_pred, labels=labels)
        per_class = _per_class(cm)
        per_class["roc_auc"] = None
        loss = None
        if y_proba is not None:
            per_class["roc_auc"] = ovr_roc_auc(y_true, y_proba, labels)
            warn_undefined_auc(labels, per_class["roc_auc"])
            loss = labelled_log_loss(y_true, y_proba, labels)
        macro, weighted = _averages(per_class)
        return cls(
            labels=labels,
            per_class=per_class,
            macro_avg=macro,
            weighted_avg=weighted,
            accuracy=float(np.trace(cm) / cm.sum()),
            log_loss=loss,
            confusion_matrix=cm,
        )

    @classmethod
    def from_estimator(cls, estimator, X, y):
        """Compute the report of a fitted classifier on ``X`` and ``y``.

        Probabilities come from ``predict_proba`` when the estimator has it;
        its ``classes_`` are the report's labels.

        Parameters
        ----------
        estimator : fitted classifier
            Any scikit-learn classifier, a Pipeline ending in one, or one of
            sklearn-audio's Keras classifiers.

        X : array-like
            Input accepted by the estimator (see :ref:`data_contract`).

        y : array-like of shape (n_samples,)
            True labels.

        Returns
        -------
        report : ClassificationReport

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
        >>> report = ClassificationReport.from_estimator(clf, X, y)
        >>> round(report.accuracy, 2), round(report.macro_avg["roc_auc"], 2)
        (0.97, 1.0)
        """
        labels = check_fitted_classifier(estimator, "ClassificationReport.from_estimator")
        y_proba = estimator.predict_proba(X) if hasattr(estimator, "predict_proba") else None
        return cls.from_predictions(y, estimator.predict(X), y_proba=y_proba, labels=labels)

    @classmethod
    def from_dict(cls, data):
        """Rebuild a report from the output of :meth:`to_dict` (e.g. read back from JSON).

        Parameters
        ----------
        data : dict
            As returned by :meth:`to_dict`.

        Returns
        -------
        report : ClassificationReport

        Examples
        --------
        >>> import json
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions(["a", "b"], ["a", "a"])
        >>> text = json.dumps(report.to_dict())
        >>> ClassificationReport.from_dict(json.loads(text)).accuracy
        0.5
        """
        per_class = {
            name: None if values is None else nan_from_none(values)
            for name, values in data["per_class"].items()
        }
        per_class["support"] = per_class["support"].astype(int)
        return cls(
            labels=np.asarray(data["labels"]),
            per_class=per_class,
            macro_avg=dict(data["macro_avg"]),
            weighted_avg=dict(data["weighted_avg"]),
            accuracy=data["accuracy"],
            log_loss=data["log_loss"],
            confusion_matrix=np.asarray(data["confusion_matrix"], dtype=int),
        )

    @property
    def absent_labels(self):
        """The labels with no true sample (support 0), e.g. classes a test set lacks.

        Their recall, F1 and ROC AUC are undefined (0/0, shown as 0 or None)
        and pull ``macro_avg`` down; :attr:`present_macro_avg` leaves them out.

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions(
        ...     ["a", "a"], ["a", "a"], labels=["a", "b", "c"])
        >>> report.absent_labels.tolist()
        ['b', 'c']
        >>> report.macro_avg["recall"], report.present_macro_avg["recall"]
        (0.3333333333333333, 1.0)
        """
        return self.labels[np.asarray(self.per_class["support"]) == 0]

    @property
    def present_macro_avg(self):
        """The macro average over the labels that have true samples (support > 0).

        Equal to ``macro_avg`` when every label occurs in ``y_true``.

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions(
        ...     ["a", "a", "b"], ["a", "b", "b"], labels=["a", "b", "c"])
        >>> report.present_macro_avg["recall"]
        0.75
        """
        present = np.asarray(self.per_class["support"]) > 0
        average = {}
        for name, values in self.per_class.items():
            if name == "support":
                continue
            if values is None:
                average[name] = None
                continue
            values = np.asarray(values, dtype=float)[present]
            defined = values[~np.isnan(values)]
            average[name] = float(defined.mean()) if len(defined) else None
        average["support"] = self.macro_avg["support"]
        return average

    @property
    def n_samples(self):
        """Number of samples evaluated."""
        return int(self.confusion_matrix.sum())

    def to_dict(self):
        """The report as plain Python values, ready for ``json.dumps``.

        Arrays become lists (per-class lists follow ``labels``) and undefined
        values (NaN) become None, since JSON has no NaN.

        Returns
        -------
        data : dict
            Keys ``labels``, ``per_class``, ``macro_avg``, ``weighted_avg``,
            ``accuracy``, ``log_loss`` and ``confusion_matrix``.

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions([0, 1, 1], [0, 1, 0])
        >>> report.to_dict()["per_class"]["precision"]
        [0.5, 1.0]
        """
        return to_builtin(
            {
                "labels": self.labels,
                "per_class": self.per_class,
                "macro_avg": self.macro_avg,
                "weighted_avg": self.weighted_avg,
                "accuracy": self.accuracy,
                "log_loss": self.log_loss,
                "confusion_matrix": self.confusion_matrix,
            }
        )

    def to_records(self):
        """One dict per table row: each class, then ``"macro avg"`` and ``"weighted avg"``.

        Needs nothing beyond the standard library to consume, and any data
        frame library can load it (``pandas.DataFrame.from_records``,
        ``polars.DataFrame``, ``csv.DictWriter``).

        Returns
        -------
        records : list of dict
            Each with ``label`` and the keys of ``per_class``.

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions(["a", "b"], ["a", "a"])
        >>> [row["label"] for row in report.to_records()]
        ['a', 'b', 'macro avg', 'weighted avg']
        >>> report.to_records()[0]["precision"]
        0.5
        """
        names = list(self.per_class)
        rows = []
        for k, label in enumerate(self.labels.tolist()):
            row = {"label": label}
            for name in names:
                values = self.per_class[name]
                row[name] = None if values is None else values[k]
            rows.append(row)
        rows.append({"label": "macro avg", **{name: self.macro_avg[name] for name in names}})
        rows.append(
            {"label": "weighted avg", **{name: self.weighted_avg[name] for name in names}}
        )
        return to_builtin(rows)

    def to_frame(self):
        """The table of :meth:`to_records` as a pandas DataFrame indexed by label.

        pandas is not a dependency of sklearn-audio: this method imports it
        when called. :meth:`to_records` and :meth:`to_dict` need nothing.

        Returns
        -------
        frame : pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed.

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport
        >>> report = ClassificationReport.from_predictions(["a", "b"], ["a", "a"])
        >>> frame = report.to_frame()  # doctest: +SKIP
        >>> frame.loc["a", "precision"]  # doctest: +SKIP
        0.5
        """
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(
                "ClassificationReport.to_frame() needs pandas, which sklearn-audio does "
                "not depend on: pip install pandas, or use to_records() or to_dict(), "
                "which need nothing."
            ) from exc
        return pandas.DataFrame.from_records(self.to_records(), index="label")

    def __str__(self):
        names = [name for name, values in self.per_class.items() if values is not None]
        header = ["label"] + [name for name in names if name != "support"] + ["support"]
        rows = [
            [str(label)] + [format_number(self.per_class[name][k]) for name in header[1:]]
            for k, label in enumerate(self.labels.tolist())
        ]
        averages = [("macro avg", self.macro_avg), ("weighted avg", self.weighted_avg)]
        absent = self.absent_labels
        if 0 < len(absent) < len(self.labels):
            averages.insert(1, ("macro avg (present)", self.present_macro_avg))
        for title, average in averages:
            rows.append([title] + [format_number(average[name]) for name in header[1:]])
        summary = [f"accuracy: {format_number(self.accuracy)}"]
        if self.log_loss is not None:
            summary.append(f"log_loss: {format_number(self.log_loss)}")
        else:
            summary.append("roc_auc, log_loss: - (no probabilities given)")
        shown = [str(label) for label in self.labels.tolist()]
        cm_rows = [
            [label] + [str(count) for count in row]
            for label, row in zip(shown, self.confusion_matrix)
        ]
        return "\n".join(
            [
                f"ClassificationReport: {self.n_samples} samples, {len(self.labels)} classes",
                "",
                format_table(header, rows),
                "",
                *summary,
                *(
                    [f"no true sample of: {', '.join(map(str, absent.tolist()))} (their recall "
                     "is 0/0, shown as 0; 'macro avg (present)' leaves them out)"]
                    if len(absent) else []
                ),
                "",
                "confusion matrix (rows: true label, columns: predicted label)",
                format_table([""] + shown, cm_rows),
            ]
        )

    def __repr__(self):
        return (
            f"<ClassificationReport: {self.n_samples} samples, {len(self.labels)} classes, "
            f"accuracy={self.accuracy:.3f}>"
        )


def evaluate(estimator, X, y):
    """Evaluate a fitted classifier on ``X`` and ``y``: a :class:`ClassificationReport`.

    Shorthand for :meth:`ClassificationReport.from_estimator`. Probabilities
    (for ROC AUC and log loss) come from ``predict_proba`` when the estimator
    has it.

    Parameters
    ----------
    estimator : fitted classifier
        Any scikit-learn classifier, a Pipeline ending in one, or one of
        sklearn-audio's Keras classifiers.

    X : array-like
        Input accepted by the estimator (see :ref:`data_contract`).

    y : array-like of shape (n_samples,)
        True labels.

    Returns
    -------
    report : ClassificationReport

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_audio.metrics import evaluate
    >>> X, y = load_iris(return_X_y=True)
    >>> report = evaluate(LogisticRegression(max_iter=1000).fit(X, y), X, y)
    >>> report.confusion_matrix.shape
    (3, 3)
    """
    return ClassificationReport.from_estimator(estimator, X, y)
