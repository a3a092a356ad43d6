"""``plot_tuning``: a study's history, parameter importances and learning curves as PNGs.

Drawn on pyplot-free figures (see :mod:`sklearn_audio.metrics`), so it runs
headless and leaves no figure open.
"""

import warnings
from pathlib import Path

import numpy as np
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from optuna.trial import TrialState

from ..metrics import save_figure
from ..metrics._plotting import new_figure
from ._pruning import REPORTED_ATTR
from ._study import METRIC_ATTR

__all__ = ["plot_tuning"]


def _history(study, complete, metric):
    figure, (ax,) = new_figure(figsize=(6.4, 4.0))
    numbers = [t.number for t in complete]
    values = np.array([t.value for t in complete])
    ax.plot(numbers, values, "o", alpha=0.7, label="trial")
    ax.step(numbers, np.maximum.accumulate(values), where="post", label="best so far")
    pruned = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))]
    if pruned:
        ax.plot(pruned, np.full(len(pruned), values.min()), "x", color="grey", label="pruned")
    ax.set(xlabel="trial", ylabel=f"mean CV {metric}", title="Optimisation history")
    ax.legend(loc="lower right")
    return figure


def _importances(study):
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    names = list(importances)[::-1]
    figure, (ax,) = new_figure(figsize=(6.4, 0.6 + 0.45 * len(names)))
    ax.barh(names, [importances[n] for n in names])
    ax.set(xlabel="importance (fANOVA)", title="Parameter importances")
    return figure


def _learning_curves(trials, reported):
    figure, (ax,) = new_figure(figsize=(6.4, 4.0))
    for trial in trials:
        steps = sorted(trial.intermediate_values)
        pruned = trial.state == TrialState.PRUNED
        ax.plot(
            steps,
            [trial.intermediate_values[s] for s in steps],
            color="grey" if pruned else "C0",
            alpha=0.5 if pruned else 0.9,
            linewidth=1,
        )
    ax.set(
        xlabel="step (fold x epochs + epoch)",
        ylabel=reported,
        title="Values reported for pruning (grey: pruned)",
    )
    return figure


def plot_tuning(study, out_dir):
    """Write PNGs of a tuning study: history, parameter importances, learning curves.

    * ``optimization_history.png``: every complete trial's score and the
      best so far (pruned trials marked).
    * ``param_importances.png``: fANOVA importances of the searched
      parameters; left out, with a warning, when fewer than two trials are
      complete or no parameter varied.
    * ``intermediate_values.png``: the value each trial reported per fold
      and epoch (``neg_val_loss``, the negated validation loss, for a
      search of sklearn-audio); only when something was reported (pruning
      on).

    Parameters
    ----------
    study : optuna.study.Study, TuneResult or fitted AudioOptunaSearchCV
        The study, or an object holding it as ``study`` or ``study_``.
    out_dir : str or os.PathLike
        Folder for the images, created if missing.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        If the study has no complete trial.

    Examples
    --------
    >>> import tempfile
    >>> import optuna
    >>> from sklearn_audio.tuning import plot_tuning
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(lambda t: -(t.suggest_float("x", -2, 2) ** 2), n_trials=8)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print([p.name for p in plot_tuning(study, folder)])
    ['optimization_history.png', 'param_importances.png']
    """
    study = getattr(study, "study", None) or getattr(study, "study_", None) or study
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        raise ValueError(f"Study {study.study_name!r} has no complete trial to plot.")
    out_dir = Path(out_dir)
    metric = study.user_attrs.get(METRIC_ATTR, "objective")
    figures = {"optimization_history": _history(study, complete, metric)}
    try:
        if len(complete) < 2:
            raise ValueError("they need at least two complete trials.")
        figures["param_importances"] = _importances(study)
    except (ValueError, RuntimeError) as exc:
        warnings.warn(f"Parameter importances not drawn: {exc}", UserWarning, stacklevel=2)
    reported = [t for t in study.get_trials(deepcopy=False) if t.intermediate_values]
    if reported:
        figures["intermediate_values"] = _learning_curves(
            reported, study.user_attrs.get(REPORTED_ATTR, "intermediate value")
        )
    return [save_figure(figure, out_dir / f"{name}.png") for name, figure in figures.items()]
