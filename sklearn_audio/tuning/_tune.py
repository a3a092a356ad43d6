"""``tune``: one call from data to a tuned model, and a summary for reports and the CLI."""

from dataclasses import dataclass, field

import numpy as np
from optuna.trial import TrialState

from ._objective import check_scoring_and_refit
from ._search import AudioOptunaSearchCV

__all__ = ["TuneResult", "tune"]


@dataclass(frozen=True)
class TuneResult:
    """What :func:`tune` found.

    Attributes
    ----------
    best_params : dict
        The best candidate's parameters (layer sizes as tuples), ready for
        ``estimator.set_params(**best_params)``.
    best_scores : dict of str to float
        Its mean cross-validated score for every metric of ``scoring``.
    metric : str
        The metric that was maximised (``refit``).
    study : optuna.study.Study
        The study, with every trial of every run and worker; plot it with
        :func:`plot_tuning`.
    best_estimator : estimator or None
        The estimator with ``best_params``, fit on all the data; ``None``
        with ``refit=False``.
    search : AudioOptunaSearchCV
        The fitted search (``cv_results_`` and more).
    n_trials : dict of str to int
        Trials in the study by state: ``"COMPLETE"``, ``"PRUNED"``,
        ``"FAIL"``, ``"RUNNING"``...

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_audio.tuning import tune
    >>> X, y = load_iris(return_X_y=True)
    >>> result = tune(LogisticRegression(max_iter=500), X, y,
    ...               param_distributions={"C": [0.1, 1.0]}, n_trials=2, cv=3)
    >>> result.metric, sorted(result.best_params)
    ('f1_macro', ['C'])
    >>> result.best_score == result.best_scores["f1_macro"]
    True
    >>> result.best_estimator.predict(X[:2]).shape
    (2,)
    """

    best_params: dict
    best_scores: dict
    metric: str
    study: object = field(repr=False)
    best_estimator: object = field(repr=False)
    search: object = field(repr=False)
    n_trials: dict = field(default_factory=dict)

    @property
    def best_score(self):
        """The best candidate's mean cross-validated ``metric``."""
        return self.best_scores[self.metric]

    def summary(self):
        """A plain-text report: the study, trial counts, best parameters and scores.

        Returns
        -------
        text : str
        """
        counts = ", ".join(f"{n} {state.lower()}" for state, n in self.n_trials.items() if n)
        width = max(map(len, [*self.best_params, *self.best_scores]), default=0)
        lines = [f"Study {self.study.study_name!r}: {counts}.", "Best parameters:"]
        lines += [f"  {name:<{width}}  {value!r}" for name, value in self.best_params.items()]
        lines.append(f"Cross-validated scores of the best trial (maximised: {self.metric}):")
        lines += [f"  {name:<{width}}  {value:.4f}" for name, value in self.best_scores.items()]
        return "\n".join(lines)


def tune(
    estimator,
    X,
    y,
    *,
    param_distributions=None,
    n_trials=20,
    timeout=None,
    cv=5,
    groups=None,
    scoring=None,
    refit="f1_macro",
    error_score=np.nan,
    pruning="auto",
    pruner=None,
    n_jobs=None,
    storage=None,
    study_name=None,
    random_state=None,
    verbose=0,
):
    """Tune an estimator with a cross-validated Optuna study; resume it if it exists.

    :class:`AudioOptunaSearchCV` with ``resume=True``: with a database
    ``storage`` and a ``study_name``, a study that a killed run left is
    continued (its completed trials kept), and several processes or
    machines running this same call share the study, their trials adding
    up. The training data must be the same in every run and worker.

    Parameters
    ----------
    estimator : estimator
        A classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one.
    X : array-like of shape (n_samples, ...)
        Training data, e.g. audio file paths.
    y : array-like of shape (n_samples,)
        Labels.
    param_distributions : dict, default=None
        As in :class:`AudioOptunaSearchCV`; ``None`` means
        :func:`search_space` of the classifier.
    n_trials : int or None, default=20
        Trials *this call* runs (a resumed or shared study adds them to
        the ones it holds). ``None`` runs until ``timeout``.
    timeout : float or None, default=None
        Start no new trial after this many seconds.
    cv : int, cross-validation generator or iterable, default=5
        Splits; every worker must split identically.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group-aware ``cv``.
    scoring : str, callable, list or dict, default=None
        Metrics recorded on every trial; ``None`` means all of
        :data:`sklearn_audio.metrics.SCORING`.
    refit : str or bool, default="f1_macro"
        The metric maximised, and the best candidate refit with; ``False``
        (with a single metric in ``scoring``) refits nothing.
    error_score : "raise" or float, default=np.nan
        The score of a fold whose fit failed; the study goes on (see
        :class:`AudioOptunaSearchCV`). ``"raise"`` stops at the error.
    pruning : {"auto", True, False}, default="auto"
        Epoch-level pruning of Keras classifiers on their validation loss
        (see :class:`AudioOptunaSearchCV`).
    pruner : optuna.pruners.BasePruner, default=None
        ``None`` means ``MedianPruner(n_startup_trials=5, n_warmup_steps=2)``.
    n_jobs : int, default=None
        Workers fitting a trial's folds at once (see
        :class:`AudioOptunaSearchCV`).
    storage : str or optuna.storages.BaseStorage, default=None
        ``None`` (in memory), ``"sqlite:///file.db"`` (one machine) or
        ``"postgresql://user:password@host/db"`` (many machines).
    study_name : str, default=None
        The study to create or continue.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampler; give each worker its own.
    verbose : int, default=0
        ``1`` or more: Optuna logs a line per trial.

    Returns
    -------
    result : TuneResult
        Best parameters, best scores for every metric, the study, the refit
        estimator and the fitted search; ``result.summary()`` is a
        printable report.

    Raises
    ------
    ValueError
        Before any trial runs, for an unknown parameter name, an empty search
        space, bad ``scoring``/``refit``, or a resumed study run on other data.
    ConnectionError
        When the storage cannot be reached (the message names the URL
        without its password).

    See Also
    --------
    AudioOptunaSearchCV : The search as an estimator, e.g. inside ``cross_validate``.
    plot_tuning : Optimisation history and parameter importances as PNGs.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_audio.tuning import tune
    >>> X, y = load_iris(return_X_y=True)
    >>> result = tune(LogisticRegression(max_iter=500), X, y,
    ...               param_distributions={"C": [0.01, 0.1, 1.0, 10.0]},
    ...               n_trials=4, cv=3, random_state=0)
    >>> sorted(result.best_scores)  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'f1_macro', 'neg_log_loss', 'precision_macro', 'recall_macro', 'roc_auc_ovr']
    >>> result.n_trials["COMPLETE"]
    4
    >>> print(result.summary())  # doctest: +ELLIPSIS
    Study '...': 4 complete.
    Best parameters:
      C ...
    """
    search = AudioOptunaSearchCV(
        estimator,
        param_distributions,
        n_trials=n_trials,
        timeout=timeout,
        cv=cv,
        scoring=scoring,
        refit=refit,
        error_score=error_score,
        pruning=pruning,
        pruner=pruner,
        n_jobs=n_jobs,
        storage=storage,
        study_name=study_name,
        resume=True,
        random_state=random_state,
        verbose=verbose,
    )
    # Only when given: with metadata routing on, a groups=None would still need a consumer.
    search.fit(X, y, **({} if groups is None else {"groups": groups}))
    states = [t.state for t in search.study_.get_trials(deepcopy=False)]
    return TuneResult(
        best_params=search.best_params_,
        best_scores=search.best_scores_,
        metric=check_scoring_and_refit(scoring, refit)[1],
        study=search.study_,
        best_estimator=getattr(search, "best_estimator_", None),
        search=search,
        n_trials={state.name: states.count(state) for state in TrialState},
    )
