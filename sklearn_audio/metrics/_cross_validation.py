"""``cross_validate_report``: every ``SCORING`` metric as mean and spread over folds."""

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_validate

from ._format import format_number, format_table, to_builtin
from ._scoring import SCORING

__all__ = ["CrossValidationReport", "cross_validate_report"]


def _splitter(cv, groups, shuffle, random_state):
    if cv is None:
        cv = 5
    if not isinstance(cv, numbers.Integral):
        return cv
    # scikit-learn rejects a random_state that shuffle=False would ignore.
    seed = random_state if shuffle else None
    if groups is None:
        return StratifiedKFold(n_splits=cv, shuffle=shuffle, random_state=seed)
    return StratifiedGroupKFold(n_splits=cv, shuffle=shuffle, random_state=seed)


def _summary(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std()), "folds": values}


@dataclass(eq=False, repr=False)
class CrossValidationReport:
    """Per-fold scores of a cross-validation, with their mean and standard deviation.

    Returned by :func:`cross_validate_report`; ``str(report)`` is a readable
    ``mean ± std`` table. A fold whose fit failed scores NaN, which makes the
    mean NaN: a failure is never averaged away.

    Parameters
    ----------
    test_scores : dict of str to ndarray of shape (n_splits,)
        Each metric on each test fold.

    fit_time, score_time : ndarray of shape (n_splits,)
        Seconds spent fitting and scoring on each fold.

    train_scores : dict of str to ndarray of shape (n_splits,), default=None
        Each metric on each training fold, when requested.

    cv : str, default=""
        Description of the splitter (its repr).

    See Also
    --------
    ClassificationReport : Every metric of a single evaluation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.metrics import CrossValidationReport
    >>> report = CrossValidationReport(
    ...     test_scores={"accuracy": np.array([0.8, 0.9])},
    ...     fit_time=np.array([1.0, 1.2]), score_time=np.array([0.1, 0.1]))
    >>> round(report.mean["accuracy"], 3), round(report.std["accuracy"], 3)
    (0.85, 0.05)
    >>> print(report)
    CrossValidationReport: 2 folds
    <BLANKLINE>
    metric                   test
    accuracy        0.850 ± 0.050
    fit_time (s)    1.100 ± 0.100
    score_time (s)  0.100 ± 0.000
    """

    test_scores: dict
    fit_time: np.ndarray
    score_time: np.ndarray
    train_scores: dict | None = None
    cv: str = ""

    @property
    def n_splits(self):
        """Number of folds."""
        return len(self.fit_time)

    @property
    def mean(self):
        """dict of str to float: mean test score of each metric over the folds."""
        return {name: float(np.mean(scores)) for name, scores in self.test_scores.items()}

    @property
    def std(self):
        """dict of str to float: standard deviation of each test score over the folds."""
        return {name: float(np.std(scores)) for name, scores in self.test_scores.items()}

    def to_dict(self):
        """The report as plain Python values, ready for ``json.dumps``.

        Returns
        -------
        data : dict
            ``test`` (and ``train`` when recorded): metric name to
            ``{"mean", "std", "folds"}``; ``fit_time`` and ``score_time`` in
            the same form; ``n_splits`` and ``cv``. NaN becomes None.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_audio.metrics import CrossValidationReport
        >>> report = CrossValidationReport(
        ...     test_scores={"accuracy": np.array([0.8, 0.9])},
        ...     fit_time=np.array([1.0, 1.2]), score_time=np.array([0.1, 0.1]))
        >>> report.to_dict()["test"]["accuracy"]["folds"]
        [0.8, 0.9]
        """
        data = {
            "n_splits": self.n_splits,
            "cv": self.cv,
            "test": {name: _summary(scores) for name, scores in self.test_scores.items()},
            "fit_time": _summary(self.fit_time),
            "score_time": _summary(self.score_time),
        }
        if self.train_scores is not None:
            data["train"] = {name: _summary(s) for name, s in self.train_scores.items()}
        return to_builtin(data)

    def __str__(self):
        def cell(values):
            summary = _summary(values)
            return f"{format_number(summary['mean'])} ± {format_number(summary['std'])}"

        with_train = self.train_scores is not None
        header = ["metric", "test"] + (["train"] if with_train else [])
        rows = [
            [name, cell(scores)] + ([cell(self.train_scores[name])] if with_train else [])
            for name, scores in self.test_scores.items()
        ]
        times = {"fit_time (s)": self.fit_time, "score_time (s)": self.score_time}
        for name, seconds in times.items():
            rows.append([name, cell(seconds)] + ([""] if with_train else []))
        title = f"CrossValidationReport: {self.n_splits} folds"
        if self.cv:
            title += f", {self.cv}"
        return f"{title}\n\n{format_table(header, rows)}"

    def __repr__(self):
        return f"<CrossValidationReport: {self.n_splits} folds, metrics {list(self.test_scores)}>"


def cross_validate_report(
    estimator,
    X,
    y,
    *,
    cv=5,
    groups=None,
    scoring=None,
    shuffle=False,
    random_state=None,
    return_train_score=False,
    n_jobs=None,
    params=None,
):
    """Cross-validate a classifier on every :data:`SCORING` metric.

    A thin layer over :func:`sklearn.model_selection.cross_validate` that
    picks a class-stratified splitter and summarises each metric as
    ``mean ± std`` over the folds.

    Parameters
    ----------
    estimator : classifier
        Unfitted classifier or Pipeline; it is cloned for every fold.

    X : array-like
        Input accepted by the estimator (see :ref:`data_contract`); one row
        per clip.

    y : array-like of shape (n_samples,)
        Labels.

    cv : int, cross-validation splitter or iterable, default=5
        An int is the number of folds of a
        :class:`~sklearn.model_selection.StratifiedKFold`, or, when ``groups``
        is given, of a :class:`~sklearn.model_selection.StratifiedGroupKFold`
        (every clip of a group, e.g. one speaker or one song, stays on the
        same side of each split). Anything else goes to ``cross_validate``
        as is.

    groups : array-like of shape (n_samples,), default=None
        Group of each row, for group-aware splitting.

    scoring : dict, default=None
        Scorers by name; None means :data:`SCORING`.

    shuffle : bool, default=False
        Whether an int ``cv`` shuffles rows before splitting. Set it (with a
        ``random_state``) when rows are ordered, e.g. by class or speaker.

    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling; used only when ``shuffle=True``.

    return_train_score : bool, default=False
        Also score the training folds (costs a prediction on each).

    n_jobs : int, default=None
        Folds to fit in parallel, as in ``cross_validate``.

    params : dict, default=None
        Parameters passed to the estimator's ``fit``.

    Returns
    -------
    report : CrossValidationReport

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_audio.metrics import cross_validate_report
    >>> X, y = load_iris(return_X_y=True)
    >>> report = cross_validate_report(LogisticRegression(max_iter=1000), X, y, cv=3)
    >>> sorted(report.mean)  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'f1_macro', 'neg_log_loss', 'precision_macro', 'recall_macro',
     'roc_auc_ovr']
    >>> round(report.mean["accuracy"], 2)
    0.97
    """
    splitter = _splitter(cv, groups, shuffle, random_state)
    results = cross_validate(
        estimator,
        X,
        y,
        groups=groups,
        scoring=SCORING if scoring is None else scoring,
        cv=splitter,
        n_jobs=n_jobs,
        return_train_score=return_train_score,
        params=params,
    )

    def scores(prefix):
        return {
            key[len(prefix) :]: np.asarray(values, dtype=float)
            for key, values in results.items()
            if key.startswith(prefix)
        }

    return CrossValidationReport(
        test_scores=scores("test_"),
        fit_time=np.asarray(results["fit_time"]),
        score_time=np.asarray(results["score_time"]),
        train_scores=scores("train_") if return_train_score else None,
        cv=repr(splitter) if hasattr(splitter, "split") else "",
    )
