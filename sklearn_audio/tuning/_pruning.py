"""Epoch-level pruning across cross-validation folds.

Optuna wants the steps a trial reports to grow, and compares trials step by
step. A cross-validated trial trains one network per fold, each counting its
epochs from 0, so fold ``k``'s epoch ``e`` is reported as step
``k * stride + e``, where ``stride`` is the largest number of epochs any trial
may run. Steps then grow across folds, and a trial's fold-2 epoch-3 loss is
compared only with other trials' fold-2 epoch-3 losses: the same validation
split, the same stage of training. Early stopping only leaves gaps.

The value reported is the validation loss *in the study's direction*: a
pruner prunes the trials whose values are worse than the others' for the
study's direction, so a study that maximises its score (as every
sklearn-audio study does) is told ``-val_loss``, higher being better, and a
study that minimises is told ``val_loss``. Reporting the plain loss to a
maximising study would prune the trials that learn best.
"""

import numbers

from optuna.distributions import CategoricalDistribution
from optuna.pruners import MedianPruner
from optuna.study import StudyDirection

__all__ = [
    "REPORTED",
    "REPORTED_ATTR",
    "default_pruner",
    "epoch_stride",
    "pruning_callback",
    "record_reported_value",
    "reported_value",
    "resolve_pruning",
]

MONITOR = "val_loss"
# What a maximising study is told: the negated loss, named as scikit-learn names
# its negated losses (``neg_log_loss``).
REPORTED = "neg_val_loss"
# The study attribute naming what its trials report (for resumption and plots).
REPORTED_ATTR = "sklearn_audio:reported"


def default_pruner():
    """Median pruning after 5 complete trials, never on a fold's first 2 epochs."""
    return MedianPruner(n_startup_trials=5, n_warmup_steps=2)


def _classifier_params(estimator):
    from ._spaces import _classifier_step

    prefix, classifier = _classifier_step(estimator)
    return prefix, classifier.get_params(deep=False)


def resolve_pruning(pruning, estimator, n_jobs=None):
    """The name of the parameter that takes the pruning callback, or ``None`` not to prune.

    Pruning needs a classifier with Keras ``callbacks``, a validation split
    (``validation_fraction > 0``) for ``val_loss`` to exist, and a trial's
    folds run in order in this process (``n_jobs`` None or 1): each reports
    to the trial, and the pruner compares the reports step by step.
    """
    if pruning not in ("auto", True, False):
        raise ValueError(f"pruning must be 'auto', True or False, got {pruning!r}.")
    if pruning is False:
        return None
    prefix, params = _classifier_params(estimator)
    reason = None
    if "callbacks" not in params:
        reason = "its final step takes no Keras callbacks"
    elif not params.get("validation_fraction"):
        reason = "it holds out no validation data (validation_fraction=0), so no val_loss"
    elif n_jobs not in (None, 1):
        reason = (
            f"n_jobs={n_jobs} fits a trial's folds in parallel, and pruning needs them one "
            "after another (n_jobs=None prunes; pruning='auto' fits the folds in parallel "
            "without pruning)"
        )
    if reason is None:
        return f"{prefix}callbacks"
    if pruning is True:
        raise ValueError(
            f"pruning=True, but {type(estimator).__name__} cannot be pruned: {reason}."
        )
    return None


def epoch_stride(estimator, space):
    """The most epochs any trial may run: the step distance between folds."""
    prefix, params = _classifier_params(estimator)
    dist = space.get(f"{prefix}epochs")
    if dist is None:
        epochs = params.get("epochs")
    elif isinstance(dist, CategoricalDistribution):
        epochs = max(dist.choices)
    else:
        epochs = dist.high
    if not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(
            f"Cannot prune per epoch: epochs must be a positive integer, got {epochs!r}."
        )
    return int(epochs)


def reported_value(direction):
    """The name of what a study of ``direction`` is told each epoch: a loss, signed to agree.

    Examples
    --------
    >>> from optuna.study import StudyDirection
    >>> from sklearn_audio.tuning._pruning import reported_value
    >>> reported_value(StudyDirection.MAXIMIZE), reported_value(StudyDirection.MINIMIZE)
    ('neg_val_loss', 'val_loss')
    """
    if direction == StudyDirection.MAXIMIZE:
        return REPORTED
    if direction == StudyDirection.MINIMIZE:
        return MONITOR
    raise ValueError(f"Cannot prune a study whose direction is {direction!r}.")


def record_reported_value(study):
    """Record in ``study`` what its trials report; refuse one whose trials reported otherwise.

    A study resumed from an earlier version of sklearn-audio (or fed by other
    code) may hold plain ``val_loss`` values: a pruner would compare them with
    this run's ``-val_loss`` and prune every new trial.
    """
    name = reported_value(study.direction)
    recorded = study.user_attrs.get(REPORTED_ATTR)
    if recorded is None and any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        recorded = "unknown values (not recorded by this version of sklearn-audio)"
    if recorded is None:
        study.set_user_attr(REPORTED_ATTR, name)
    elif recorded != name:
        raise ValueError(
            f"The trials of study {study.study_name!r} reported {recorded} per epoch, this "
            f"search reports {name}: a pruner cannot compare them. Resume it with "
            "pruning=False, or give this search a new study_name."
        )


class _FoldTrial:
    """The trial as the Keras callback sees it: steps shifted by the fold's offset, and
    the loss signed so that higher is better in a maximising study."""

    def __init__(self, trial, offset):
        self._trial = trial
        self._offset = offset
        self._sign = -1.0 if reported_value(trial.study.direction) == REPORTED else 1.0

    def report(self, value, step):
        self._trial.report(self._sign * value, self._offset + step)

    def should_prune(self):
        return self._trial.should_prune()


def pruning_callback(trial, fold, stride):
    """Optuna's ``KerasPruningCallback`` on ``val_loss``, reporting at ``fold * stride + epoch``.

    The loss is reported in the direction of ``trial.study``: ``-val_loss``
    when it maximises, ``val_loss`` when it minimises (see
    :func:`reported_value`), so that its pruner prunes the trials whose
    validation loss is high.
    """
    from optuna_integration import KerasPruningCallback

    from ..models._training import MODEL_FREE

    callback = KerasPruningCallback(_FoldTrial(trial, fold * stride), MONITOR)
    # It reads the epoch's logs only: fits may keep training on a reused
    # trainer (a callback that may touch the model switches reuse off).
    setattr(callback, MODEL_FREE, True)
    return callback
