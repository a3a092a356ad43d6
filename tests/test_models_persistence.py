"""Persistence and model selection: pickle, joblib, clone, GridSearchCV, memory."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

import sklearn_audio
from sklearn_audio.features import MFCCTransformer
from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier

SR = 8000


def tones(n_per_class=8, seed=0):
    """Noisy tones of three pitches: waveforms (n, 2000) and their pitch labels."""
    rng = np.random.default_rng(seed)
    t = np.arange(2000) / SR
    X, y = [], []
    for label, freq in (("low", 300.0), ("mid", 900.0), ("high", 2500.0)):
        for _ in range(n_per_class):
            wave = 0.5 * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6))
            X.append((wave + 0.05 * rng.normal(size=t.size)).astype(np.float32))
            y.append(label)
    return np.stack(X), np.array(y)


@pytest.fixture(scope="module")
def fitted_pipeline():
    X, y = tones()
    pipe = Pipeline([
        ("mfcc", MFCCTransformer(sr=SR, n_mfcc=13, n_fft=256, hop_length=128)),
        ("clf", CNNClassifier(filters=(4,), dense_units=8, epochs=2, batch_size=8,
                              random_state=0)),
    ]).fit(X, y)  # fmt: skip
    return pipe, X, y


def test_pickle_roundtrip_keeps_predictions(fitted_pipeline):
    pipe, X, _ = fitted_pipeline
    before = pipe.predict_proba(X)
    restored = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(restored.predict_proba(X), before)
    assert_array_equal(restored.predict(X), pipe.predict(X))
    assert restored[-1].history_ == pipe[-1].history_


def test_traced_fit_pickles_with_its_optimizer_state():
    # A traced fit trains on a cached trainer (see _trainers); the estimator's own
    # model must still carry the trained optimizer state, or Keras warns on load
    # that it skipped the optimizer's variables.
    X, y = tones(n_per_class=12)
    clf = DenseClassifier(hidden_layer_sizes=(8,), epochs=2, batch_size=1,
                          validation_fraction=0.0, random_state=0)  # fmt: skip
    features = MFCCTransformer(sr=SR, n_fft=256, hop_length=128, output="stats")
    clf.fit(features.fit_transform(X), y)
    assert clf.model_.run_eagerly is False
    steps = int(clf.model_.optimizer.iterations.numpy())
    assert steps == 2 * 36  # 2 epochs x 36 training clips
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = pickle.loads(pickle.dumps(clf))
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert int(restored.model_.optimizer.iterations.numpy()) == steps


def test_joblib_roundtrip_keeps_predictions(fitted_pipeline):
    pipe, X, _ = fitted_pipeline
    buffer = io.BytesIO()
    joblib.dump(pipe, buffer)
    buffer.seek(0)
    assert_array_equal(joblib.load(buffer).predict_proba(X), pipe.predict_proba(X))


def test_restored_model_can_be_refitted(fitted_pipeline):
    pipe, X, y = fitted_pipeline
    restored = pickle.loads(pickle.dumps(pipe))
    assert restored.fit(X, y).score(X, y) >= 0.0


def test_clone_of_fitted_pipeline_is_unfitted(fitted_pipeline):
    pipe = fitted_pipeline[0]
    copy = clone(pipe)
    assert copy.get_params()["clf"].get_params() == pipe[-1].get_params()
    assert not hasattr(copy[-1], "model_")


@pytest.mark.parametrize(
    "est",
    [CNNClassifier(conv="1d", random_state=0), LSTMClassifier(cell="gru"), DenseClassifier()],
    ids=["cnn1d", "lstm", "dense"],
)
def test_unfitted_estimators_pickle(est):
    restored = pickle.loads(pickle.dumps(est))
    assert restored.get_params() == est.get_params()


@pytest.mark.slow
def test_grid_search_in_two_processes():
    X, y = tones(n_per_class=6)
    X = np.asarray(MFCCTransformer(sr=SR, n_fft=256, hop_length=128, output="stats").fit_transform(X))
    search = GridSearchCV(
        DenseClassifier(epochs=2, batch_size=8, random_state=0),
        {"hidden_layer_sizes": [(4,), (8,)]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        n_jobs=2,  # loky worker processes: the estimator travels pickled
    ).fit(X, y)
    assert set(search.best_params_) == {"hidden_layer_sizes"}
    assert search.predict_proba(X).shape == (len(X), 3)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.slow
def test_twenty_fits_keep_memory_flat():
    # benchmarks/fsdd.py measures the same over 20 CNN fits on FSDD. With the
    # trainer cache off every fit traces its own training graph, the part
    # that used to be leaked, so the leak fix is what is exercised here.
    psutil = pytest.importorskip("psutil")
    from tensorflow.python.framework import ops

    X, y = tones(n_per_class=7)
    stats = MFCCTransformer(sr=SR, n_fft=256, hop_length=128, output="stats").fit_transform(X)
    process = psutil.Process()

    def fit_and_predict(seed):
        # batch_size=1: 2 x 19 steps, past the eager-step limit, so each fit
        # traces its training graph.
        est = DenseClassifier(hidden_layer_sizes=(8 + seed,), epochs=2, batch_size=1,
                              random_state=seed)  # fmt: skip
        est.fit(stats, y).predict(stats)
        assert est.model_.run_eagerly is False

    with sklearn_audio.config_context(reuse_trainers=False):
        fit_and_predict(0)  # warm-up: TensorFlow's one-off allocations
        start = process.memory_info().rss
        registered = len(ops._gradient_registry.list())
        for seed in range(20):
            fit_and_predict(seed)
        growth_mb = (process.memory_info().rss - start) / 2**20
        # The leak held each traced graph through TensorFlow's gradient
        # registry: one entry per fit with the fix off (tests/test_models_state.py).
        assert len(ops._gradient_registry.list()) == registered
    assert growth_mb < 200, f"memory grew by {growth_mb:.0f} MB over 20 fits"


# -- the safe format (sklearn_audio.persistence) -------------------------------------------
def test_safe_format_roundtrip_keeps_predictions(fitted_pipeline, tmp_path):
    from sklearn_audio.persistence import load_model, save_model

    pipe, X, y = fitted_pipeline
    restored = load_model(save_model(pipe, tmp_path / "model.skaudio"))
    assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    assert restored[-1].history_ == pipe[-1].history_
    # The original still pickles with its network: the hooks act only while saving.
    assert_array_equal(pickle.loads(pickle.dumps(pipe)).predict_proba(X), pipe.predict_proba(X))
    assert restored.fit(X, y).score(X, y) >= 0.0


@pytest.mark.parametrize(
    "est",
    [CNNClassifier(conv="1d", random_state=0), LSTMClassifier(cell="gru"), DenseClassifier()],
    ids=["cnn1d", "lstm", "dense"],
)
def test_unfitted_estimators_safe_format(est, tmp_path):
    from sklearn_audio.persistence import load_model, read_metadata, save_model

    path = save_model(est, tmp_path / "model.skaudio")
    assert read_metadata(path)["networks"] == []
    assert load_model(path).get_params() == est.get_params()


def test_fitted_grid_search_safe_format(tmp_path):
    from sklearn_audio.persistence import load_model, save_model

    X, y = tones(n_per_class=6)
    features = MFCCTransformer(sr=SR, n_fft=256, hop_length=128, output="stats")
    X = np.asarray(features.fit_transform(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny folds: convergence warnings
        search = GridSearchCV(
            DenseClassifier(epochs=1, batch_size=8, random_state=0),
            {"hidden_layer_sizes": [(4,), (8,)]},
            cv=StratifiedKFold(2, shuffle=True, random_state=0),
        ).fit(X, y)
    restored = load_model(save_model(search, tmp_path / "search.skaudio"))
    assert_array_equal(restored.predict_proba(X), search.predict_proba(X))
    assert restored.best_params_ == search.best_params_
