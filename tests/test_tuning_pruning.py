"""Epoch-level pruning: the value reported agrees with the study's direction, so a pruner
stops the trials that learn badly, not the ones that learn well."""

import numpy as np
import optuna
import pytest
from optuna.pruners import MedianPruner
from optuna.trial import TrialState
from sklearn.datasets import make_classification

from sklearn_audio.tuning import AudioOptunaSearchCV
from sklearn_audio.tuning._pruning import REPORTED_ATTR, pruning_callback, resolve_pruning

models = pytest.importorskip("sklearn_audio.models")

BAD, GOOD = 1e-7, 1e-2  # a learning rate that cannot learn in 3 epochs, one that does


@pytest.fixture(scope="module")
def separable():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=4, n_redundant=0, class_sep=2.0,
        random_state=0,
    )
    return X.astype(np.float32), y


def tiny_net():
    return models.DenseClassifier(
        hidden_layer_sizes=(8,), epochs=3, batch_size=8, validation_fraction=0.2,
        early_stopping=False, random_state=0, verbose=0,
    )


def test_median_pruner_prunes_the_trials_that_do_not_learn(separable):
    """Trials run bad, good, bad, good; after two complete trials, the median pruner must stop
    the third (bad) and keep the fourth (good). Reporting val_loss to the maximising study
    did the opposite: the bad trial's high loss looked best, and the good trial was pruned."""
    X, y = separable
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(storage=storage, study_name="lr", direction="maximize")
    for lr in (BAD, GOOD, BAD, GOOD):  # a fixed order, whatever the sampler would draw
        study.enqueue_trial({"learning_rate": lr})
    search = AudioOptunaSearchCV(
        tiny_net(),
        {"learning_rate": [BAD, GOOD]},
        n_trials=4,
        cv=2,
        scoring="accuracy",
        refit=True,
        pruning=True,
        pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        storage=storage,
        study_name="lr",
        resume=True,
        random_state=0,
    ).fit(X, y)
    trials = search.study_.trials
    assert [t.params["learning_rate"] for t in trials] == [BAD, GOOD, BAD, GOOD]
    assert [t.state for t in trials] == [
        TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED, TrialState.COMPLETE
    ]
    assert search.best_params_ == {"learning_rate": GOOD}
    # What was reported is the negated validation loss: higher is better, as for the score.
    assert search.study_.user_attrs[REPORTED_ATTR] == "neg_val_loss"
    assert all(v < 0 for t in trials for v in t.intermediate_values.values())
    bad, good = trials[0].intermediate_values, trials[1].intermediate_values
    assert all(good[step] > bad[step] for step in bad)


@pytest.mark.parametrize("direction, sign", [("maximize", -1.0), ("minimize", 1.0)])
def test_reported_loss_is_signed_by_the_study_direction(direction, sign):
    study = optuna.create_study(direction=direction, pruner=MedianPruner())
    trial = study.ask()
    callback = pruning_callback(trial, fold=1, stride=5)
    callback.on_epoch_end(2, logs={"val_loss": 0.25})
    assert study.trials[0].intermediate_values == {7: sign * 0.25}  # fold 1, epoch 2: 1 * 5 + 2


def test_resumed_study_with_other_reported_values_is_refused(separable, tmp_path):
    """A study whose trials reported plain val_loss (before this fix) cannot be mixed with
    this run's neg_val_loss: the pruner would compare losses with negated losses."""
    X, y = separable
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = optuna.create_study(storage=url, study_name="old", direction="maximize")
    trial = old.ask()
    trial.report(0.7, step=0)
    old.tell(trial, 0.5)
    search = AudioOptunaSearchCV(
        tiny_net(), {"learning_rate": [GOOD]}, n_trials=1, cv=2, storage=url,
        study_name="old", resume=True,
    )
    with pytest.raises(ValueError, match=r"reported unknown values .* reports neg_val_loss.*"
                                         r"pruning=False"):
        search.fit(X, y)
    assert len(optuna.load_study(study_name="old", storage=url).trials) == 1
    # Without pruning, nothing is reported and the study resumes.
    search.set_params(pruning=False).fit(X, y)
    assert len(search.study_.trials) == 2


def test_pruning_and_parallel_folds_exclude_each_other(separable):
    X, y = separable
    assert resolve_pruning("auto", tiny_net(), n_jobs=2) is None
    assert resolve_pruning("auto", tiny_net(), n_jobs=1) == "callbacks"
    search = AudioOptunaSearchCV(
        tiny_net(), {"learning_rate": [GOOD]}, n_trials=1, cv=2, pruning=True, n_jobs=2
    )
    with pytest.raises(ValueError, match="cannot be pruned: n_jobs=2 fits a trial's folds"):
        search.fit(X, y)
    assert not hasattr(search, "study_")


def test_unsupported_optimizer_argument_fails_before_the_study(separable):
    X, y = separable
    search = AudioOptunaSearchCV(
        tiny_net(), {"optimizer__momentum": [0.0, 0.9]}, n_trials=1, cv=2
    )
    with pytest.raises(ValueError, match=r"Unknown parameter 'optimizer__momentum' \(did you "
                                         r"mean 'optimizer'\?\).*Valid names: \[.*'learning_rate'"):
        search.fit(X, y)
    assert not hasattr(search, "study_")
