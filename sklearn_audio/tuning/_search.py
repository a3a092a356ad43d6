"""``AudioOptunaSearchCV``: an Optuna search that is an ordinary scikit-learn estimator."""

import contextlib
import numbers
import time
import warnings

import joblib
import numpy as np
import optuna
from optuna.pruners import NopPruner
from optuna.samplers import TPESampler
from optuna.trial import TrialState
from scipy.stats import rankdata
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, check_random_state, get_tags
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._objective import CVObjective, check_error_score, check_scoring_and_refit
from ._pruning import default_pruner, epoch_stride, record_reported_value, resolve_pruning
from ._spaces import check_search_space, decode_params, search_space
from ._study import make_storage, open_study

__all__ = ["AudioOptunaSearchCV"]


def _check_refit(search, attr):
    if search.refit is False:
        raise AttributeError(
            f"This {type(search).__name__} was initialised with refit=False: {attr} is "
            "available only after refitting the best candidate. Refit it yourself with "
            "clone(search.estimator).set_params(**search.best_params_).fit(X, y)."
        )


def _delegate(method):
    """Available when the search refits and the refit estimator (or, before fit, the
    estimator) has ``method``."""

    def check(self):
        _check_refit(self, method)
        return hasattr(getattr(self, "best_estimator_", self.estimator), method)

    return check


def _routing_enabled():
    return get_config().get("enable_metadata_routing", False)


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
    """Trials that scored every fold: complete ones, and those failed by ``error_score=nan``."""
    return [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL))
        if f"mean_test_{refit}" in t.user_attrs
    ]


def _warn_or_raise_about_failures(objective, error_score):
    """As scikit-learn's searches do: raise when every fit failed, else warn once."""
    if not objective.failures:
        return
    n_failed, n_fits = len(objective.failures), objective.n_fits
    where = {}  # as scikit-learn does: each distinct error once, with the fits it ended
    for number, fold, message in objective.failures:
        where.setdefault(message, []).append(f"trial {number} fold {fold}")
    details = "\n".join(
        f"  {len(fits)} fits ({', '.join(fits)}): {message}" for message, fits in where.items()
    )
    if n_failed == n_fits:
        raise RuntimeError(
            f"All the {n_fits} fits of this search failed; the estimator or its parameters "
            f"are likely wrong. The errors:\n{details}"
        )
    warnings.warn(
        f"{n_failed} fits failed out of a total of {n_fits}. Their scores are set to "
        f"error_score={error_score!r} (with NaN, Optuna records the trial as failed). "
        f"Pass error_score='raise' to see the tracebacks. The errors:\n{details}",
        FitFailedWarning,
        stacklevel=3,
    )


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
    pruned epoch by epoch on their validation loss.

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
    refit : str or bool, default="f1_macro"
        The metric Optuna maximises and the best candidate is chosen by;
        the best candidate is refit on all the data. ``True`` is accepted
        with a single metric. ``False``, with a single metric, maximises it
        and refits nothing: ``best_params_`` and ``best_score_`` are set,
        ``best_estimator_`` is not, and ``predict`` and the other methods
        using it raise an ``AttributeError`` saying so.
    error_score : "raise" or float, default=np.nan
        The score, for every metric, of a fold whose fit or scoring raised,
        as in scikit-learn's searches: the study goes on, and a
        :class:`~sklearn.exceptions.FitFailedWarning` lists the failures
        at the end of ``fit``. With NaN the trial's mean is NaN, which
        Optuna records as a failed trial (its row in ``cv_results_`` is
        NaN and ranked last); with a number the trial completes with that
        score. ``"raise"`` re-raises the error, ending the search. If every
        fit fails, ``fit`` raises a ``RuntimeError`` listing the errors.
    pruning : {"auto", True, False}, default="auto"
        Epoch-level pruning with Optuna's ``KerasPruningCallback`` on the
        validation loss, passed through the classifier's ``callbacks``. The
        loss is reported in the study's direction (``-val_loss``, since the
        study maximises), so the pruner stops the trials whose loss is
        high. Fold ``k``'s epoch ``e`` is reported as step
        ``k * epochs + e`` (with ``epochs`` the largest any trial may run),
        so steps grow across folds and trials are compared fold by fold,
        epoch by epoch. ``"auto"`` prunes when the final step takes Keras
        ``callbacks``, has ``validation_fraction > 0``, and folds run one
        after another (``n_jobs`` is ``None`` or 1); ``True`` raises if it
        cannot.
    pruner : optuna.pruners.BasePruner, default=None
        ``None`` means ``MedianPruner(n_startup_trials=5, n_warmup_steps=2)``.
    n_jobs : int, default=None
        Number of joblib workers fitting and scoring a trial's folds at
        once; ``None`` means 1 unless in a :func:`joblib.parallel_backend`
        context, ``-1`` all processors. Trials still run one after another
        (each trial's sampling learns from the previous ones); see Notes to
        run trials in parallel. A trial pruned per epoch reports its folds
        to Optuna in order, so pruning and ``n_jobs > 1`` exclude each
        other (see ``pruning``).
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
        ``estimator`` with ``best_params_``, fit on all the data (not set
        with ``refit=False``).
    cv_results_ : dict of ndarray
        :class:`~sklearn.model_selection.GridSearchCV`'s layout, one row per
        trial of the study that scored every fold (complete, or failed by
        ``error_score=np.nan``): ``params``, ``param_<name>`` (masked
        where a trial did not sample it), ``split<k>_test_<metric>``,
        ``mean_test_<metric>``, ``std_test_<metric>``, ``rank_test_<metric>``,
        ``mean_fit_time``, and ``trial_number``.
    scorer_ : dict of str to callable
        The scorers used.
    refit_time_ : float
        Seconds spent refitting the best candidate (not set with
        ``refit=False``).
    n_splits_ : int
        Number of cross-validation splits.
    classes_ : ndarray
        The classes, from ``best_estimator_``.
    multimetric_ : bool
        Whether ``scoring`` holds several metrics.

    See Also
    --------
    tune : The same search as a function returning a summary for reports.
    search_space : The default search spaces.

    Notes
    -----
    Every trial stores, in ``trial.user_attrs``, ``mean_test_<metric>``,
    ``std_test_<metric>`` and ``split_test_<metric>`` for every metric,
    ``mean_fit_time``, and ``fit_errors`` when a fold failed.

    Fit parameters and metadata are routed as in scikit-learn's searches.
    Without metadata routing, ``fit(X, y, groups=groups)`` passes ``groups``
    to the ``cv`` splitter (e.g. :class:`~sklearn.model_selection.GroupKFold`)
    and every other keyword (``sample_weight``...) to the estimator's ``fit``,
    each fold getting its own rows. With
    ``sklearn.set_config(enable_metadata_routing=True)``, every keyword goes
    where it was requested (``set_fit_request``, ``set_score_request``,
    splitters taking ``groups``), as :meth:`get_metadata_routing` describes.

    Trials run one after another in this process (``n_jobs`` spreads a
    trial's folds over workers). To run trials in parallel, start several
    processes, on one machine or many, each fitting with the same database
    ``storage``, ``study_name`` and data and ``resume=True`` (or calling
    :func:`tune`): they share the study. Optuna's own thread-parallel
    ``study.optimize(n_jobs=...)`` is not used: Keras fits in threads of one
    process share TensorFlow's global state.

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
        error_score=np.nan,
        pruning="auto",
        pruner=None,
        n_jobs=None,
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
        self.error_score = error_score
        self.pruning = pruning
        self.pruner = pruner
        self.n_jobs = n_jobs
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
        if self.n_jobs is not None and (
            not isinstance(self.n_jobs, numbers.Integral)
            or isinstance(self.n_jobs, bool)
            or self.n_jobs == 0
        ):
            raise ValueError(
                f"n_jobs must be None or a non-zero integer (-1: all processors), "
                f"got {self.n_jobs!r}."
            )

    def _routed_params(self, params):
        """Fit parameters per consumer, as scikit-learn's searches route them."""
        if _routing_enabled():
            return process_routing(self, "fit", **params)
        params = dict(params)
        groups = params.pop("groups", None)
        return Bunch(
            estimator=Bunch(fit=params),
            splitter=Bunch(split={"groups": groups}),
            scorer=Bunch(score={}),
        )

    def _setup(self, X, y, routed):
        """Validate everything and open the study: all that can fail before a trial runs."""
        self._check_budget()
        error_score = check_error_score(self.error_score)
        scorers, refit = check_scoring_and_refit(self.scoring, self.refit)
        space = check_search_space(
            self.estimator,
            search_space(self.estimator)
            if self.param_distributions is None
            else self.param_distributions,
        )
        callback_param = resolve_pruning(self.pruning, self.estimator, n_jobs=self.n_jobs)
        stride = epoch_stride(self.estimator, space) if callback_param else None
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, **routed["splitter"]["split"]))
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
        if callback_param is not None:
            record_reported_value(study)
        study.sampler = _sampler(self.random_state, len(study.get_trials(deepcopy=False)))
        objective = CVObjective(
            self.estimator, X, y, splits, space, scorers, refit, callback_param, stride,
            fit_params=routed["estimator"]["fit"],
            score_params=routed["scorer"]["score"],
            error_score=error_score,
            n_jobs=self.n_jobs,
        )
        return study, objective, scorers, refit, len(splits)

    def fit(self, X, y, **params):
        """Run ``n_trials`` trials, then refit the best candidate on all of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training data, e.g. a 1-D array of audio file paths for a
            pipeline starting with :class:`~sklearn_audio.AudioLoader`.
        y : array-like of shape (n_samples,)
            Labels.
        **params : dict of str to object
            Fit parameters and metadata. Without metadata routing, ``groups``
            goes to the ``cv`` splitter (for a group-aware one such as
            :class:`~sklearn.model_selection.GroupKFold`) and the others
            (``sample_weight``...) to the estimator's ``fit``: per fold, the
            rows of the training fold; at the refit, all of them. With
            metadata routing enabled, each goes where it was requested.

        Returns
        -------
        self : AudioOptunaSearchCV

        Raises
        ------
        RuntimeError
            When no trial scored every fold (all pruned, or failed), or
            when every fit failed.
        """
        routed = self._routed_params(params)
        with _optuna_verbosity(self.verbose):
            study, objective, self.scorer_, refit, self.n_splits_ = self._setup(X, y, routed)
            self.study_ = study
            study.optimize(objective, n_trials=self.n_trials, timeout=self.timeout)
        _warn_or_raise_about_failures(objective, self.error_score)
        self.multimetric_ = len(self.scorer_) > 1
        trials = _scored_trials(study, refit)
        if trials:
            self.cv_results_ = _cv_results(trials, self.estimator, list(self.scorer_))
            best = int(np.argmin(self.cv_results_[f"rank_test_{refit}"]))
        if not trials or not np.isfinite(self.cv_results_[f"mean_test_{refit}"][best]):
            counts = {s.name: len(study.get_trials(states=(s,))) for s in TrialState}
            raise RuntimeError(
                f"No trial of study {study.study_name!r} completed ({counts}); nothing to refit. "
                "Run more trials, or prune less (pruning=False, or another pruner)."
            )
        self.best_index_ = best
        self.best_trial_ = trials[best]
        self.best_params_ = self.cv_results_["params"][best]
        self.best_scores_ = {
            name: float(self.cv_results_[f"mean_test_{name}"][best]) for name in self.scorer_
        }
        self.best_score_ = self.best_scores_[refit]
        if self.refit is not False:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y, **routed["estimator"]["fit"])
            self.refit_time_ = time.perf_counter() - start
        return self

    def get_metadata_routing(self):
        """How :meth:`fit` and :meth:`score` route metadata, as scikit-learn's searches do.

        ``fit``'s metadata goes to the estimator's ``fit``, the scorers'
        ``score`` and the ``cv`` splitter's ``split``; ``score``'s to the
        scorers. Used when ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        scorers, _ = check_scoring_and_refit(self.scoring, self.refit)
        return (
            MetadataRouter(owner=self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                scorer=check_scoring(self.estimator, scoring=scorers),
                method_mapping=MethodMapping()
                .add(caller="score", callee="score")
                .add(caller="fit", callee="score"),
            )
            .add(
                splitter=self.cv,
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    @property
    def classes_(self):
        """The classes, from ``best_estimator_``."""
        _check_refit(self, "classes_")
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

    def score(self, X, y, **params):
        """The ``refit`` metric of ``best_estimator_`` on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        **params : dict of str to object
            Metadata for the scorer (e.g. ``sample_weight``); only with
            metadata routing enabled, as in scikit-learn's searches.

        Returns
        -------
        score : float
        """
        _check_refit(self, "score")
        check_is_fitted(self, "best_estimator_")
        _, refit = check_scoring_and_refit(self.scoring, self.refit)
        if _routing_enabled():
            params = process_routing(self, "score", **params)["scorer"]["score"]
        elif params:
            raise ValueError(
                f"score got {sorted(params)}: metadata reaches the scorer only with "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        return self.scorer_[refit](self.best_estimator_, X, y, **params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.input_tags = inner.input_tags
        return tags
