"""Tuning our Keras classifiers: GridSearchCV in a pipeline, Optuna with epoch-level pruning."""

import numpy as np
import pytest
from optuna.pruners import NopPruner, ThresholdPruner
from optuna.trial import TrialState
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, MFCCTransformer
from sklearn_audio.datasets import load_audio_folder
from sklearn_audio.metrics import SCORING
from sklearn_audio.tuning import AudioOptunaSearchCV, CachedTransformer, search_space, tune

models = pytest.importorskip("sklearn_audio.models")

pytestmark = pytest.mark.slow
# 18 training clips per fold (6 per class): half held out gives 3 validation
# clips per class, the fewest the classifiers validate on (below that they
# train without a validation split, and pruning would have no val_loss).
TINY = dict(epochs=2, batch_size=32, validation_fraction=0.5, random_state=0, verbose=0)


@pytest.fixture(scope="module")
def mss(mss_dir):
    data = load_audio_folder(mss_dir)
    keep = np.r_[0:12, 40:52, 80:92]  # 12 one-second clips per class
    return data.filenames[keep], data.target[keep]


@pytest.fixture(scope="module")
def frames(mss):
    X, y = mss
    mfcc = MFCCTransformer(sr=8000, n_fft=512, hop_length=128)
    return mfcc.fit_transform(AudioLoader(sr=8000).transform(X)), y


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_in_pipeline_with_all_metrics(tmp_path, mss, n_jobs):
    X, y = mss
    pipe = Pipeline(
        [
            ("load", AudioLoader(sr=8000)),
            ("mfcc", MFCCTransformer(sr=8000, n_fft=512, hop_length=128, output="stats")),
            ("clf", models.DenseClassifier(**TINY)),
        ],
        memory=str(tmp_path),
    )
    grid = {"clf__learning_rate": [1e-3, 1e-2], "clf__hidden_layer_sizes": [(8,), (8, 4)]}
    search = GridSearchCV(
        pipe, grid, scoring=SCORING, refit="f1_macro", cv=StratifiedKFold(2), n_jobs=n_jobs
    ).fit(X, y)
    for name in SCORING:
        assert np.isfinite(search.cv_results_[f"mean_test_{name}"]).all()
    assert search.best_params_["clf__hidden_layer_sizes"] in grid["clf__hidden_layer_sizes"]
    assert search.predict_proba(X[:3]).shape == (3, 3)


def test_pruning_reports_fold_major_steps(frames):
    X, y = frames
    clf = models.CNNClassifier(filters=(4,), dense_units=8, **TINY)
    search = AudioOptunaSearchCV(
        clf,
        {"learning_rate": [1e-3, 1e-2]},
        n_trials=2,
        cv=2,
        pruning=True,
        pruner=NopPruner(),
        random_state=0,
    ).fit(X, y)
    for trial in search.study_.trials:
        # Fold k's epoch e is step k * epochs + e: increasing across folds.
        assert sorted(trial.intermediate_values) == [0, 1, 2, 3]
        assert all(np.isfinite(list(trial.intermediate_values.values())))
    # The refit estimator carries no pruning callback (nor a trial).
    assert search.best_estimator_.callbacks is None


def test_pruned_trial_stops_at_its_first_epoch(frames):
    X, y = frames
    search = AudioOptunaSearchCV(
        models.CNNClassifier(filters=(4,), dense_units=8, **TINY),
        {"learning_rate": [1e-3]},
        n_trials=1,
        cv=2,
        # The maximising study is told -val_loss, always below 0: prune at once.
        pruner=ThresholdPruner(lower=0.0),
    )
    with pytest.raises(RuntimeError, match="No trial.*completed.*'PRUNED': 1"):
        search.fit(X, y)
    (trial,) = search.study_.trials
    assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [0]


def test_no_pruning_without_validation_data(frames):
    X, y = frames
    clf = models.DenseClassifier(early_stopping=False, **dict(TINY, validation_fraction=0.0))
    with pytest.raises(ValueError, match="validation_fraction=0"):
        AudioOptunaSearchCV(clf, {"learning_rate": [1e-3]}, pruning=True).fit(X.mean(1), y)


@pytest.mark.parametrize("family", ["CNNClassifier", "LSTMClassifier"])
def test_default_search_space_runs(frames, family):
    X, y = frames
    clf = getattr(models, family)(epochs=1, random_state=0)
    result = tune(clf, X, y, n_trials=1, cv=2, random_state=0)
    assert set(result.best_params) == set(search_space(clf))
    sizes = "filters" if family == "CNNClassifier" else "units"
    assert isinstance(result.best_params[sizes], tuple)
    assert getattr(result.best_estimator, sizes) == result.best_params[sizes]
    assert result.n_trials["COMPLETE"] == 1


def test_tune_pipeline_with_feature_cache(tmp_path, mss):
    X, y = mss
    pipe = Pipeline(
        [
            ("features", CachedTransformer(
                Pipeline([("load", AudioLoader(sr=8000)),
                          ("mfcc", MFCCTransformer(sr=8000, n_fft=512, hop_length=128,
                                                   output="stats"))]),
                memory=str(tmp_path),
            )),
            ("clf", models.DenseClassifier(**TINY)),
        ]
    )
    result = tune(pipe, X, y, n_trials=2, cv=2, random_state=0)
    assert set(result.best_params) == set(search_space("dense"))
    assert isinstance(result.best_params["clf__hidden_layer_sizes"], tuple)
    assert all(len(t.intermediate_values) == 4 for t in result.study.trials)
