"""The cross-validated objective: one Optuna trial = one candidate scored on every fold."""

import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import check_scoring, get_scorer
from sklearn.utils import _safe_indexing

from ._pruning import pruning_callback
from ._spaces import decode_params, sample_params

__all__ = ["CVObjective", "check_scoring_and_refit"]


def check_scoring_and_refit(scoring, refit):
    """``(scorers dict, refit metric name)`` from the ``scoring`` and ``refit`` parameters.

    ``scoring=None`` means every metric of :data:`sklearn_audio.metrics.SCORING`.
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
    if refit is True and len(scorers) == 1:
        refit = next(iter(scorers))
    if not isinstance(refit, str) or refit not in scorers:
        raise ValueError(
            f"refit must name the metric to optimise and refit on, one of {sorted(scorers)}, "
            f"got {refit!r}."
        )
    return scorers, refit


class CVObjective:
    """Sample a candidate, fit and score it on every fold, record every metric.

    Each trial stores, in ``trial.user_attrs``: ``mean_test_<metric>``,
    ``std_test_<metric>`` and ``split_test_<metric>`` (one score per fold)
    for every metric of ``scorers``, and ``mean_fit_time``. The objective
    value is the mean of the ``refit`` metric.
    """

    def __init__(self, estimator, X, y, splits, space, scorers, refit, callback_param, stride):
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

    def _fold_estimator(self, params, trial, fold):
        estimator = clone(self.estimator).set_params(**params)
        if self.callback_param is not None:
            # Set after clone: cloning would deep-copy the trial and its storage.
            own = estimator.get_params()[self.callback_param] or []
            callback = pruning_callback(trial, fold, self.stride)
            estimator.set_params(**{self.callback_param: [*own, callback]})
        return estimator

    def __call__(self, trial):
        params = decode_params(self.estimator, sample_params(trial, self.space))
        scores = {name: [] for name in self.names}
        fit_times = []
        for fold, (train, test) in enumerate(self.splits):
            estimator = self._fold_estimator(params, trial, fold)
            start = time.perf_counter()
            estimator.fit(_safe_indexing(self.X, train), _safe_indexing(self.y, train))
            fit_times.append(time.perf_counter() - start)
            fold_scores = self.scorer(
                estimator, _safe_indexing(self.X, test), _safe_indexing(self.y, test)
            )
            for name in self.names:
                scores[name].append(float(fold_scores[name]))
        for name, values in scores.items():
            trial.set_user_attr(f"split_test_{name}", values)
            trial.set_user_attr(f"mean_test_{name}", float(np.mean(values)))
            trial.set_user_attr(f"std_test_{name}", float(np.std(values)))
        trial.set_user_attr("mean_fit_time", float(np.mean(fit_times)))
        return float(np.mean(scores[self.refit]))
