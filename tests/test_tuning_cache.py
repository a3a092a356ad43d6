"""Feature caching across the candidates of a search, on real audio."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

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
    """Count MFCCTransformer.fit and .transform calls, and the clips transformed."""
    calls = {"fit": 0, "transform": 0, "clips": 0}
    for method in ("fit", "transform"):
        original = getattr(MFCCTransformer, method)

        def counted(self, X, *args, _original=original, _method=method, **kwargs):
            calls[_method] += 1
            if _method == "transform":
                calls["clips"] += len(X)
            return _original(self, X, *args, **kwargs)

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
    # Statistics fix no frame count, so any training clips give the same fitted state:
    # what lets a per-sample cache share rows across folds.
    stats = MFCCTransformer(sr=8000, output="stats")
    ragged = np.empty(3, dtype=object)
    ragged[:] = [w[:n] for w, n in zip(waveforms[:3], (4000, 6000, 8000))]
    assert stats.fit(ragged).n_frames_ is None
    assert joblib.hash(stats.fit(ragged)) == joblib.hash(clone(stats).fit(ragged[:2]))


def test_pipeline_memory_fits_features_once_per_fold(tmp_path, mss, spy):
    X, y = mss
    grid(Pipeline([*features(), clf()], memory=str(tmp_path))).fit(X, y)
    # 2 folds + the refit: the second candidate's folds come from the cache.
    assert spy["fit"] == 3
    spy["fit"] = 0
    grid(Pipeline([*features(), clf()])).fit(X, y)
    assert spy["fit"] == 2 * 2 + 1


def test_cached_transformer_extracts_each_file_once_per_search(tmp_path, mss, spy):
    X, y = mss
    cached = CachedTransformer(Pipeline(features()), memory=str(tmp_path))
    pipe = Pipeline([("features", cached), clf()])
    search = grid(pipe).fit(X, y)
    # The first fold computes its training then its test clips; the second fold's
    # folds, the second candidate and the refit only read rows.
    assert (spy["transform"], spy["clips"]) == (2, len(X))
    assert search.best_params_["clf__alpha"] in GRID["clf__alpha"]
    # Without rows: the training and the test clips' features, once per fold; plus
    # the refit. Nothing for the second candidate.
    spy["transform"] = spy["clips"] = 0
    whole = CachedTransformer(Pipeline(features()), memory=str(tmp_path / "whole"),
                              per_sample=False)
    grid(Pipeline([("features", whole), clf()])).fit(X, y)
    assert (spy["transform"], spy["clips"]) == (2 * 2 + 1, 2 * len(X) + len(X))
    spy["transform"] = 0
    grid(Pipeline([*features(), clf()])).fit(X, y)
    # Uncached, per candidate and fold: the training clips, then the test clips once for
    # predict and once for predict_proba (SCORING's scorers share scikit-learn's cached
    # responses); plus the refit.
    assert spy["transform"] == 2 * 2 * 3 + 1
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
    # Optuna trials share the cache too: one fit per fold; the refit on all clips
    # is the standalone fit above, read from the cache.
    assert spy["fit"] == 2


def test_rows_whose_layout_depends_on_the_batch(tmp_path):
    # AudioLoader stacks clips of equal length into a 2-D array and returns a
    # ragged object array otherwise: stored rows must never be joined with rows
    # of another layout.
    import soundfile as sf

    rng = np.random.default_rng(0)
    paths = []
    for i, n in enumerate((8000, 8000, 9000, 9000, 7000)):
        paths.append(str(tmp_path / f"clip{i}.wav"))
        sf.write(paths[-1], rng.uniform(-0.5, 0.5, n).astype(np.float32), 8000)
    plain = AudioLoader(sr=8000)
    cached = CachedTransformer(AudioLoader(sr=8000), memory=str(tmp_path / "cache")).fit(paths)
    for batch in ([0, 1], [0, 4, 2], [0, 2, 3], [2, 3], [0, 2], [1, 0]):
        chosen = [paths[i] for i in batch]
        got, expected = cached.transform(chosen), plain.transform(chosen)
        assert got.shape == expected.shape and got.dtype == expected.dtype, batch
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


def _object_rows(X):
    return np.array([np.asarray(row) for row in X] + [None], dtype=object)[:-1]


def test_rows_are_shared_in_order_and_recomputed_when_damaged(tmp_path, mss, spy):
    X, _ = mss
    expected = Pipeline(features()).fit_transform(X)
    cached = CachedTransformer(Pipeline(features()), memory=str(tmp_path))
    np.testing.assert_array_equal(cached.fit_transform(X[:10]), expected[:10])
    spy["clips"] = 0
    # Half of these rows are stored: only the other half is extracted, and the
    # output keeps the input's order.
    mixed = [15, 2, 14, 7, 13, 0]
    np.testing.assert_array_equal(cached.transform(X[mixed]), expected[mixed])
    assert spy["clips"] == 3
    # A damaged batch (a full disk, a stray edit) is computed again, not read.
    folder = tmp_path / "joblib" / "sklearn_audio" / "rows"
    keys = sorted(folder.rglob("*.keys.npy"))
    assert sorted(len(np.load(k)) for k in keys) == [3, 10]
    (last,) = [k for k in keys if len(np.load(k)) == 3]
    rows = last.with_name(last.name.replace(".keys.", ".rows."))
    rows.write_bytes(rows.read_bytes()[:100])
    spy["clips"] = 0
    stored = [*range(10), 13, 14, 15]
    np.testing.assert_array_equal(cached.transform(X[stored]), expected[stored])
    assert spy["clips"] == 3
    # Memory.clear() removes the rows with the rest of the cache.
    joblib.Memory(str(tmp_path), verbose=0).clear(warn=False)
    assert not list(tmp_path.rglob("*.npy"))


def test_rows_of_arrays_and_unstorable_outputs(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    X = np.arange(12.0).reshape(6, 2)
    scaler = CachedTransformer(StandardScaler(), memory=str(tmp_path)).fit(X)
    expected = StandardScaler().fit(X).transform(X)
    np.testing.assert_allclose(scaler.transform(X[:4]), expected[:4])
    np.testing.assert_allclose(scaler.transform(list(X[2:])), expected[2:])
    # Object outputs are passed through, never stored nor mixed with stored rows.
    ragged = CachedTransformer(FunctionTransformer(_object_rows), memory=str(tmp_path))
    out = ragged.fit_transform(X)
    assert out.dtype == object and len(out) == 6
    assert out[0].tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="per_sample must be True or False"):
        CachedTransformer(StandardScaler(), memory=str(tmp_path), per_sample="yes").fit(X)


@parametrize_with_checks([CachedTransformer(StandardScaler())])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# check_estimator warns for the array-API check it skips without SCIPY_ARRAY_API.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("per_sample", [True, False])
def test_sklearn_compatible_with_a_cache_folder(tmp_path, per_sample):
    # A folder of its own per test: parametrize_with_checks would put its path in
    # the test ids, which must be the same in every pytest-xdist worker.
    check_estimator(CachedTransformer(StandardScaler(), memory=str(tmp_path),
                                      per_sample=per_sample))  # fmt: skip


def test_a_cached_augmenter_still_augments_every_fit(tmp_path):
    # fit_transform is what adds the copies: fit-then-transform, or a stored
    # earlier draw, would silently turn augmentation off or freeze it.
    from sklearn.pipeline import Pipeline

    from sklearn_audio import RawSegmenter, WaveformAugmenter

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 8000)).astype(np.float32)
    chain = Pipeline([
        ("seg", RawSegmenter(segment_seconds=0.5, sr=8000)),
        ("aug", WaveformAugmenter(n_copies=1, sr=8000, p_gain=1.0, p_noise=0.0, p_shift=0.0)),
    ])  # fmt: skip
    for per_sample in (True, False):
        cached = CachedTransformer(chain, memory=str(tmp_path / str(per_sample)),
                                   per_sample=per_sample)  # fmt: skip
        first = cached.fit_transform(X)
        assert first.shape == (3, 4, 4000)  # 2 segments + 2 augmented copies
        assert not np.array_equal(first[:, 2:], first[:, :2])
        second = cached.fit_transform(X)  # random_state=None: a new draw, not a stored one
        assert not np.array_equal(second[:, 2:], first[:, 2:])
        assert cached.transform(X).shape == (3, 2, 4000)  # predict never augments
