"""``AudioOptunaSearchCV``: an Optuna search that is an ordinary scikit-learn estimator."""

import contextlib
import numbers
import time

import joblib
import numpy as np
import optuna
from optuna.pruners import NopPruner
from optuna.samplers import TPESampler
from optuna.trial import TrialState
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._objective import CVObjective, check_scoring_and_refit
from ._pruning import default_pruner, epoch_stride, resolve_pruning
from ._spaces import check_search_space, decode_params, search_space
from ._study import make_storage, open_study

__all__ = ["AudioOptunaSearchCV"]


def _delegate(method):
    """Available when the refit estimator (or, before fit, the estimator) has ``method``."""

    def check(self):
        return hasattr(getattr(self, "best_estimator_", self.estimator), method)

    return check


@contextlib.contextmanager
def _optuna_verbosity(verbose):
    """Optuna logs every trial at INFO; keep that for verbose > 0 only, and restore it after."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _sampler(random_state, n_done):
    if random_state is None:
        return TPESampler()
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    # A resumed study must not replay the first run's samples: shift by the trials done.
    return TPESampler(seed=int((seed + n_done) % np.iinfo(np.int32).max))


def _scored_trials(study, refit):
    return [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if f"mean_test_{refit}" in t.user_attrs
    ]


_MISSING = object()


def _masked_column(values):
    column = np.ma.MaskedArray(np.empty(len(values), dtype=object), mask=True)
    for i, value in enumerate(values):
        if value is not _MISSING:
            column[i] = value
    return column


def _cv_results(trials, estimator, names):
    """``cv_results_`` in GridSearchCV's layout, one row per complete trial."""
    params = [decode_params(estimator, t.params) for t in trials]
    results = {"trial_number": np.array([t.number for t in trials]), "params": params}
    for name in sorted({name for p in params for name in p}):
        results[f"param_{name}"] = _masked_column([p.get(name, _MISSING) for p in params])
    results["mean_fit_time"] = np.array([t.user_attrs.get("mean_fit_time", np.nan) for t in trials])
    for metric in names:
        splits = [t.user_attrs.get(f"split_test_{metric}", []) for t in trials]
        for k in range(max(map(len, splits), default=0)):
            results[f"split{k}_test_{metric}"] = np.array(
                [s[k] if k < len(s) else np.nan for s in splits]
            )
        means = np.array([t.user_attrs.get(f"mean_test_{metric}", np.nan) for t in trials])
        results[f"mean_test_{metric}"] = means
        results[f"std_test_{metric}"] = np.array(
            [t.user_attrs.get(f"std_test_{metric}", np.nan) for t in trials]
        )
        # As in scikit-learn: rank 1 is best, NaN scores rank last.
        results[f"rank_test_{metric}"] = rankdata(
            -np.nan_to_num(means, nan=-np.inf), method="min"
        ).astype(np.int32)
    return results


class AudioOptunaSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Cross-validated Optuna search over an estimator's parameters, as an estimator.

    Each Optuna trial samples one candidate from ``param_distributions``,
    fits it on every cross-validation fold and records every metric of
    ``scoring``; the ``refit`` metric is what Optuna maximises, and the best
    candidate is then refit on all the data, as in
    :class:`~sklearn.model_selection.GridSearchCV`. Keras classifiers are
    pruned epoch by epoch on ``val_loss``.

    Every :meth:`fit` runs in a **new** study (unless ``resume=True``), so
    the search composes with :func:`~sklearn.model_selection.cross_validate`:
    an outer cross-validation clones the search into each of its folds, and
    each fold tunes in a study of its own rather than adding trials to a
    shared one. Parameters hold only the storage URL and the study name,
    never a study.

    Parameters
    ----------
    estimator : estimator
        A classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one.
    param_distributions : dict, default=None
        Parameter name (as for ``set_params``) to an
        ``optuna.distributions`` object or a list of choices; tuples of
        layer sizes are accepted as choices. ``None`` means
        :func:`search_space` of ``estimator``'s classifier.
    n_trials : int or None, default=20
        Trials this fit runs (pruned and failed ones included). ``None``
        runs until ``timeout``.
    timeout : float or None, default=None
        Start no new trial after this many seconds.
    cv : int, cross-validation generator or iterable, default=5
        As in scikit-learn; an int means stratified k-fold for classifiers.
        Workers sharing a study must split identically: use a splitter
        without shuffling or with a fixed ``random_state``.
    scoring : str, callable, list or dict, default=None
        Metrics recorded on every trial. ``None`` means all of
        :data:`sklearn_audio.metrics.SCORING`.
    refit : str, default="f1_macro"
        The metric Optuna maximises and the best candidate is chosen by;
        the best candidate is refit on all the data. ``True`` is accepted
        with a single metric.
    pruning : {"auto", True, False}, default="auto"
        Epoch-level pruning with Optuna's ``KerasPruningCallback`` on
        ``val_loss``, passed through the classifier's ``callbacks``. Fold
        ``k``'s epoch ``e`` is reported as step ``k * epochs + e`` (with
        ``epochs`` the largest any trial may run), so steps grow across
        folds and trials are compared fold by fold, epoch by epoch.
        ``"auto"`` prunes when the final step takes Keras ``callbacks`` and
        has ``validation_fraction > 0``; ``True`` raises if it cannot.
    pruner : optuna.pruners.BasePruner, default=None
        ``None`` means ``MedianPruner(n_startup_trials=5, n_warmup_steps=2)``.
    storage : str or optuna.storages.BaseStorage, default=None
        ``None``: in memory. ``"sqlite:///file.db"``: one machine, survives
        the process. ``"postgresql://user:password@host/db"``: many workers
        on many machines. Database storages run with a heartbeat, so trials
        of a killed process are marked FAIL once stale.
    study_name : str, default=None
        Name of the study in ``storage``. With ``resume=False``, a name
        already taken gets a suffix (``name-2``, ``name-3``...).
    resume : bool, default=False
        Continue the study ``study_name`` if it exists: how a killed run is
        resumed and how several workers share one study. A study run on other
        training data is refused with a ``ValueError`` (this is what
        happens if a resuming search is cloned into the folds of an outer
        cross-validation).
    random_state : int, RandomState instance or None, default=None
        Seeds the ``TPESampler``. A resumed study shifts the seed by the
        number of trials already run, so it does not replay them. Give each
        worker of a shared study its own seed.
    verbose : int, default=0
        ``0``: Optuna logs warnings only; ``1`` or more: a line per trial.

    Attributes
    ----------
    study_ : optuna.study.Study
        The study of this fit, with every trial (of earlier runs and other
        workers too, when resumed). ``study_.study_name`` is its name.
    best_trial_ : optuna.trial.FrozenTrial
        The complete trial with the best mean ``refit`` score.
    best_params_ : dict
        Its parameters, tuples decoded.
    best_score_ : float
        Its mean cross-validated ``refit`` score.
    best_scores_ : dict of str to float
        Its mean cross-validated score for every metric of ``scoring``.
    best_index_ : int
        Its row in ``cv_results_``.
    best_estimator_ : estimator
        ``estimator`` with ``best_params_``, fit on all the data.
    cv_results_ : dict of ndarray
        :class:`~sklearn.model_selection.GridSearchCV`'s layout, one row per
        complete trial of the study: ``params``, ``param_<name>`` (masked
        where a trial did not sample it), ``split<k>_test_<metric>``,
        ``mean_test_<metric>``, ``std_test_<metric>``, ``rank_test_<metric>``,
        ``mean_fit_time``, and ``trial_number``.
    scorer_ : dict of str to callable
        The scorers used.
    refit_time_ : float
        Seconds spent refitting the best candidate.
    n_splits_ : int
        Number of cross-validation splits.
    classes_ : ndarray
        The classes, from ``best_estimator_``.

    See Also
    --------
    tune : The same search as a function returning a summary for reports.
    search_space : The default search spaces.

    Notes
    -----
    Every trial stores, in ``trial.user_attrs``, ``mean_test_<metric>``,
    ``std_test_<metric>`` and ``split_test_<metric>`` for every metric, and
    ``mean_fit_time``.

    Trials run one after another in this process. To run them in parallel,
    start several processes, on one machine or many, each fitting with the
    same database ``storage``, ``study_name`` and data and ``resume=True``
    (or calling :func:`tune`): they share the study.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from optuna.distributions import FloatDistribution
    >>> from sklearn_audio.tuning import AudioOptunaSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = AudioOptunaSearchCV(
    ...     LogisticRegression(max_iter=500),
    ...     {"C": FloatDistribution(1e-2, 1e2, log=True)},
    ...     n_trials=5, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> len(search.study_.trials), sorted(search.best_params_)
    (5, ['C'])
    >>> 0.9 < search.best_scores_["accuracy"] <= 1.0
    True
    """

    def __init__(
        self,
        estimator,
        param_distributions=None,
        *,
        n_trials=20,
        timeout=None,
        cv=5,
        scoring=None,
        refit="f1_macro",
        pruning="auto",
        pruner=None,
        storage=None,
        study_name=None,
        resume=False,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.pruning = pruning
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.resume = resume
        self.random_state = random_state
        self.verbose = verbose

    def _check_budget(self):
        def positive(value, kind):
            return isinstance(value, kind) and not isinstance(value, bool) and value > 0

        if self.n_trials is not None and not positive(self.n_trials, numbers.Integral):
            raise ValueError(f"n_trials must be None or a positive integer, got {self.n_trials!r}.")
        if self.timeout is not None and not positive(self.timeout, numbers.Real):
            raise ValueError(f"timeout must be None or a positive number, got {self.timeout!r}.")
        if self.n_trials is None and self.timeout is None:
            raise ValueError(
                "Give n_trials, timeout or both: without either the search never ends."
            )

    def _setup(self, X, y, groups):
        """Validate everything and open the study: all that can fail before a trial runs."""
        self._check_budget()
        scorers, refit = check_scoring_and_refit(self.scoring, self.refit)
        space = check_search_space(
            self.estimator,
            search_space(self.estimator)
            if self.param_distributions is None
            else self.param_distributions,
        )
        callback_param = resolve_pruning(self.pruning, self.estimator)
        stride = epoch_stride(self.estimator, space) if callback_param else None
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        study = open_study(
            make_storage(self.storage),
            self.study_name,
            resume=self.resume,
            pruner=NopPruner()
            if callback_param is None
            else default_pruner()
            if self.pruner is None
            else self.pruner,
            fingerprint=joblib.hash((X, y)),
            metric=refit,
            storage_arg=self.storage,
        )
        study.sampler = _sampler(self.random_state, len(study.get_trials(deepcopy=False)))
        objective = CVObjective(
            self.estimator, X, y, splits, space, scorers, refit, callback_param, stride
        )
        return study, objective, scorers, refit, len(splits)

    def fit(self, X, y, groups=None):
        """Run ``n_trials`` trials, then refit the best candidate on all of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training data, e.g. a 1-D array of audio file paths for a
            pipeline starting with :class:`~sklearn_audio.AudioLoader`.
        y : array-like of shape (n_samples,)
            Labels.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv`` splitter.

        Returns
        -------
        self : AudioOptunaSearchCV
        """
        with _optuna_verbosity(self.verbose):
            study, objective, self.scorer_, refit, self.n_splits_ = self._setup(X, y, groups)
            self.study_ = study
            study.optimize(objective, n_trials=self.n_trials, timeout=self.timeout)
        trials = _scored_trials(study, refit)
        if not trials:
            counts = {s.name: len(study.get_trials(states=(s,))) for s in TrialState}
            raise RuntimeError(
                f"No trial of study {study.study_name!r} completed ({counts}); nothing to refit. "
                "Run more trials, or prune less (pruning=False, or another pruner)."
            )
        self.cv_results_ = _cv_results(trials, self.estimator, list(self.scorer_))
        self.best_index_ = int(np.argmin(self.cv_results_[f"rank_test_{refit}"]))
        self.best_trial_ = trials[self.best_index_]
        self.best_params_ = self.cv_results_["params"][self.best_index_]
        self.best_scores_ = {
            name: float(self.cv_results_[f"mean_test_{name}"][self.best_index_])
            for name in self.scorer_
        }
        self.best_score_ = self.best_scores_[refit]
        start = time.perf_counter()
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        self.refit_time_ = time.perf_counter() - start
        return self

    @property
    def classes_(self):
        """The classes, from ``best_estimator_``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @available_if(_delegate("predict"))
    def predict(self, X):
        """Predict with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_delegate("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_delegate("decision_function"))
    def decision_function(self, X):
        """Decision function of ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        scores : ndarray
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    def score(self, X, y):
        """The ``refit`` metric of ``best_estimator_`` on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "best_estimator_")
        _, refit = check_scoring_and_refit(self.scoring, self.refit)
        return self.scorer_[refit](self.best_estimator_, X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.input_tags = inner.input_tags
        return tags
