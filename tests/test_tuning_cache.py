"""Feature caching across the candidates of a search, on real audio."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, MFCCTransformer
from sklearn_audio.datasets import load_audio_folder
from sklearn_audio.metrics import SCORING
from sklearn_audio.tuning import CachedTransformer, tune

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # MLP's float rounding in predict_proba, seen by log_loss; not what is tested here.
    pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one"),
]

GRID = {"clf__alpha": [1e-4, 1e-2]}


@pytest.fixture(scope="module")
def mss(mss_dir):
    data = load_audio_folder(mss_dir)
    keep = np.r_[0:12, 40:52, 80:92]  # 12 clips per class
    return data.filenames[keep], data.target[keep]


@pytest.fixture
def spy(monkeypatch):
    """Count MFCCTransformer.fit and .transform calls."""
    calls = {"fit": 0, "transform": 0}
    for method in calls:
        original = getattr(MFCCTransformer, method)

        def counted(self, *args, _original=original, _method=method, **kwargs):
            calls[_method] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MFCCTransformer, method, counted)
    return calls


def features():
    return [
        ("load", AudioLoader(sr=8000)),
        ("mfcc", MFCCTransformer(sr=8000, n_fft=512, hop_length=128, output="stats")),
    ]


def clf():
    return ("clf", MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0))


def grid(pipe):
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    return GridSearchCV(pipe, GRID, scoring=SCORING, refit="f1_macro", cv=cv)


def test_transformers_hash_the_same_when_fitted_the_same(mss):
    X, _ = mss
    waveforms = AudioLoader(sr=8000).transform(X)
    a, b = (MFCCTransformer(sr=8000).fit(waveforms) for _ in range(2))
    assert joblib.hash(a) == joblib.hash(b)
    a.transform(waveforms[:2])  # no state left behind by transform
    assert joblib.hash(a) == joblib.hash(b) == joblib.hash(clone(a).fit(waveforms))
    assert joblib.hash(AudioLoader(sr=8000)) == joblib.hash(clone(AudioLoader(sr=8000)))


def test_pipeline_memory_fits_features_once_per_fold(tmp_path, mss, spy):
    X, y = mss
    grid(Pipeline([*features(), clf()], memory=str(tmp_path))).fit(X, y)
    # 2 folds + the refit: the second candidate's folds come from the cache.
    assert spy["fit"] == 3
    spy["fit"] = 0
    grid(Pipeline([*features(), clf()])).fit(X, y)
    assert spy["fit"] == 2 * 2 + 1


def test_cached_transformer_also_caches_test_fold_features(tmp_path, mss, spy):
    X, y = mss
    cached = CachedTransformer(Pipeline(features()), memory=str(tmp_path))
    pipe = Pipeline([("features", cached), clf()])
    search = grid(pipe).fit(X, y)
    # Per fold: the training and the test clips' features, each computed once; plus
    # the refit. Nothing for the second candidate.
    assert spy["transform"] == 2 * 2 + 1
    assert search.best_params_["clf__alpha"] in GRID["clf__alpha"]
    spy["transform"] = 0
    grid(Pipeline([*features(), clf()])).fit(X, y)
    # Uncached, per candidate and fold: the training clips, then the test clips for
    # predict and again for each probability metric (roc_auc_ovr, neg_log_loss).
    assert spy["transform"] == 2 * 2 * 4 + 1
    # The cached pipeline predicts what the uncached one does.
    plain = Pipeline([*features(), clf()]).fit(X, y)
    np.testing.assert_allclose(
        clone(pipe).fit(X, y).predict_proba(X), plain.predict_proba(X), rtol=1e-6
    )


def test_cached_transformer_params_tags_and_optuna_trials(tmp_path, mss, spy):
    X, y = mss
    cached = CachedTransformer(Pipeline(features()), memory=str(tmp_path))
    assert cached.get_params()["transformer__mfcc__hop_length"] == 128
    cached.fit(X, y)
    mfcc = CachedTransformer(MFCCTransformer(sr=8000, output="stats"), memory=str(tmp_path))
    waveforms = AudioLoader(sr=8000).transform(X[:3])
    assert len(mfcc.fit(waveforms).get_feature_names_out()) == mfcc.transform(waveforms).shape[1]
    spy["fit"] = 0
    pipe = Pipeline([("features", cached), clf()])
    tune(pipe, X, y, param_distributions={"clf__alpha": [1e-4, 1e-3, 1e-2]}, n_trials=3, cv=2,
         random_state=0)
    # Optuna trials share the cache too: one fit per fold plus the refit on all clips
    # (which the standalone fit above already cached).
    assert spy["fit"] == 1 + 2
