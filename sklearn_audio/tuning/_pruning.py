"""Epoch-level pruning across cross-validation folds.

Optuna wants the steps a trial reports to grow, and compares trials step by
step. A cross-validated trial trains one network per fold, each counting its
epochs from 0, so fold ``k``'s epoch ``e`` is reported as step
``k * stride + e``, where ``stride`` is the largest number of epochs any trial
may run. Steps then grow across folds, and a trial's fold-2 epoch-3 loss is
compared only with other trials' fold-2 epoch-3 losses: the same validation
split, the same stage of training. Early stopping only leaves gaps.
"""

import numbers

from optuna.distributions import CategoricalDistribution
from optuna.pruners import MedianPruner

__all__ = ["default_pruner", "epoch_stride", "pruning_callback", "resolve_pruning"]

MONITOR = "val_loss"


def default_pruner():
    """Median pruning after 5 complete trials, never on a fold's first 2 epochs."""
    return MedianPruner(n_startup_trials=5, n_warmup_steps=2)


def _classifier_params(estimator):
    from ._spaces import _classifier_step

    prefix, classifier = _classifier_step(estimator)
    return prefix, classifier.get_params(deep=False)


def resolve_pruning(pruning, estimator):
    """The name of the parameter that takes the pruning callback, or ``None`` not to prune.

    Pruning needs a classifier with Keras ``callbacks`` and a validation
    split (``validation_fraction > 0``) for ``val_loss`` to exist.
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


class _FoldTrial:
    """The trial as the Keras callback sees it: steps shifted by the fold's offset."""

    def __init__(self, trial, offset):
        self._trial = trial
        self._offset = offset

    def report(self, value, step):
        self._trial.report(value, self._offset + step)

    def should_prune(self):
        return self._trial.should_prune()


def pruning_callback(trial, fold, stride):
    """Optuna's ``KerasPruningCallback`` on ``val_loss``, reporting at ``fold * stride + epoch``."""
    from optuna_integration import KerasPruningCallback

    return KerasPruningCallback(_FoldTrial(trial, fold * stride), MONITOR)
