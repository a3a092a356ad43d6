"""The cross-validated objective: one Optuna trial = one candidate scored on every fold."""

import numbers
import time

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.metrics import check_scoring, get_scorer
from sklearn.utils.parallel import Parallel, delayed

from .._compat.sklearn import check_method_params, safe_indexing
from ._pruning import pruning_callback
from ._spaces import decode_params, sample_params

__all__ = ["CVObjective", "check_error_score", "check_scoring_and_refit"]


def check_scoring_and_refit(scoring, refit):
    """``(scorers dict, metric to maximise)`` from the ``scoring`` and ``refit`` parameters.

    ``scoring=None`` means every metric of :data:`sklearn_audio.metrics.SCORING`.
    ``refit`` names the metric; ``True`` or ``False`` (no refit) take the
    only metric of a single-metric ``scoring``.
    """
    if scoring is None:
        from ..metrics import SCORING

        scorers = dict(SCORING)
    elif isinstance(scoring, str):
        scorers = {scoring: get_scorer(scoring)}
    elif callable(scoring):
        scorers = {"score": scoring}
    elif isinstance(scoring, dict):
        scorers = {name: get_scorer(s) if isinstance(s, str) else s for name, s in scoring.items()}
    elif isinstance(scoring, (list, tuple, set)):
        scorers = {name: get_scorer(name) for name in scoring}
    else:
        raise ValueError(
            f"scoring must be None, a str, a callable, a list of str or a dict, got {scoring!r}."
        )
    if not scorers:
        raise ValueError("scoring holds no metric.")
    if isinstance(refit, bool) and len(scorers) == 1:
        return scorers, next(iter(scorers))
    if refit is False:
        raise ValueError(
            f"refit=False with {len(scorers)} metrics leaves Optuna no metric to maximise: "
            "pass a single metric as scoring (e.g. scoring='f1_macro'), or name the metric "
            f"to maximise as refit, one of {sorted(scorers)} (the best candidate is then refit)."
        )
    if not isinstance(refit, str) or refit not in scorers:
        raise ValueError(
            f"refit must name the metric to optimise and refit on, one of {sorted(scorers)}, "
            f"got {refit!r}."
        )
    return scorers, refit


def check_error_score(error_score):
    """``error_score`` as scikit-learn's searches take it: ``"raise"`` or a number."""
    if error_score == "raise" or (
        isinstance(error_score, numbers.Real) and not isinstance(error_score, bool)
    ):
        return error_score
    raise ValueError(f"error_score must be 'raise' or a number, got {error_score!r}.")


def _fit_and_score(estimator, X, y, train, test, scorer, names, fit_params, score_params,
                   error_score):
    """Fit on ``train``, score on ``test``: ``(scores, fit seconds, error message or None)``.

    A fit or scoring error becomes ``error_score`` for every metric, unless
    ``error_score="raise"``. ``optuna.TrialPruned``, raised by the pruning
    callback inside ``fit``, is a decision, not an error: it always propagates.
    """
    fit_params = check_method_params(X, fit_params, train)
    score_params = check_method_params(X, score_params, test)
    start = time.perf_counter()
    stage = "fit"
    try:
        estimator.fit(safe_indexing(X, train), safe_indexing(y, train), **fit_params)
        fit_time = time.perf_counter() - start
        stage = "scoring"
        scores = scorer(estimator, safe_indexing(X, test), safe_indexing(y, test), **score_params)
    except optuna.TrialPruned:
        raise
    except Exception as exc:
        if error_score == "raise":
            raise
        message = f"{stage} failed: {type(exc).__name__}: {exc}"
        return dict.fromkeys(names, float(error_score)), time.perf_counter() - start, message
    return {name: float(scores[name]) for name in names}, fit_time, None


class CVObjective:
    """Sample a candidate, fit and score it on every fold, record every metric.

    Each trial stores, in ``trial.user_attrs``: ``mean_test_<metric>``,
    ``std_test_<metric>`` and ``split_test_<metric>`` (one score per fold)
    for every metric of ``scorers``, ``mean_fit_time``, and, when some fold
    failed, ``fit_errors`` (one ``"fold <k>: <stage> failed: <error>"`` line
    per failed fold, whose scores are ``error_score``). The objective value
    is the mean of the ``refit`` metric: NaN when a fold failed with
    ``error_score=np.nan``, which Optuna records as a failed trial.

    The folds of a trial run in ``n_jobs`` joblib workers, unless the trial
    is pruned per epoch (``callback_param`` set): its folds report to the
    trial in order, and the trial cannot travel to another process.
    ``failures`` collects ``(trial number, fold, message)`` and ``n_fits``
    counts the fits, for this objective's caller to warn about.
    """

    def __init__(self, estimator, X, y, splits, space, scorers, refit, callback_param, stride,
                 *, fit_params=None, score_params=None, error_score=np.nan, n_jobs=None):
        self.estimator = estimator
        self.X = X
        self.y = y
        self.splits = splits
        self.space = space
        self.scorer = check_scoring(estimator, scoring=scorers)
        self.names = list(scorers)
        self.refit = refit
        self.callback_param = callback_param
        self.stride = stride
        self.fit_params = fit_params or {}
        self.score_params = score_params or {}
        self.error_score = error_score
        self.n_jobs = n_jobs
        self.failures = []
        self.n_fits = 0

    def _fold_estimator(self, params, trial, fold):
        estimator = clone(self.estimator).set_params(**params)
        if self.callback_param is not None:
            # Set after clone: cloning would deep-copy the trial and its storage.
            own = estimator.get_params()[self.callback_param] or []
            callback = pruning_callback(trial, fold, self.stride)
            estimator.set_params(**{self.callback_param: [*own, callback]})
        return estimator

    def _run_folds(self, params, trial):
        def task(fold, train, test):
            return (
                self._fold_estimator(params, trial, fold), self.X, self.y, train, test,
                self.scorer, self.names, self.fit_params, self.score_params, self.error_score,
            )

        tasks = [task(fold, train, test) for fold, (train, test) in enumerate(self.splits)]
        if self.callback_param is not None:
            return [_fit_and_score(*args) for args in tasks]
        return Parallel(n_jobs=self.n_jobs)(delayed(_fit_and_score)(*args) for args in tasks)

    def __call__(self, trial):
        params = decode_params(self.estimator, sample_params(trial, self.space))
        results = self._run_folds(params, trial)
        self.n_fits += len(results)
        failed = [(fold, error) for fold, (_, _, error) in enumerate(results) if error]
        self.failures += [(trial.number, fold, error) for fold, error in failed]
        means = {}
        for name in self.names:
            values = [scores[name] for scores, _, _ in results]
            means[name] = float(np.mean(values))
            trial.set_user_attr(f"split_test_{name}", values)
            trial.set_user_attr(f"mean_test_{name}", means[name])
            trial.set_user_attr(f"std_test_{name}", float(np.std(values)))
        trial.set_user_attr("mean_fit_time", float(np.mean([t for _, t, _ in results])))
        if failed:
            trial.set_user_attr("fit_errors", [f"fold {fold}: {error}" for fold, error in failed])
        return means[self.refit]
