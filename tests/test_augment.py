"""WaveformAugmenter: augmented copies as extra segments, in training only.

Each effect is measured on a signal whose answer is known: a tone's RMS for
the gain, the residual's power for the noise and the background, a click's
position for the shift, a tone's FFT peak for the pitch shift and a tone
burst's duration for the time stretch.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import tone
from sklearn_audio import MFCCTransformer, RawSegmenter
from sklearn_audio.augment import WaveformAugmenter

SR = 8000
EFFECTS_OFF = dict(
    gain_db=None, noise_snr_db=None, shift_seconds=None, pitch_semitones=None,
    stretch_rate=None, background_snr_db=None,
)  # fmt: skip


def only(effect_param, value, p_name, **kw):
    """An augmenter with one effect on, applied to every copy."""
    params = {**EFFECTS_OFF, effect_param: value, p_name: 1.0, "sr": SR, "random_state": 0}
    return WaveformAugmenter(**{**params, **kw})


def noisy_segments(n_clips=4, n_segments=3, n_samples=SR, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.1, size=(n_clips, n_segments, n_samples)).astype(np.float32)


def db(power_ratio):
    return 10 * np.log10(power_ratio)


def power(x):
    return np.mean(np.square(x, dtype=np.float64), axis=-1)


# -- the contract -----------------------------------------------------------------
def test_copies_are_appended_as_segments_after_the_originals():
    X = noisy_segments()
    Xt = WaveformAugmenter(n_copies=2, sr=SR, random_state=0).fit_transform(X)
    assert Xt.shape == (4, 9, SR)
    assert Xt.dtype == np.float32
    assert_array_equal(Xt[:, :3], X)
    # Each copy block is an augmented version of the originals, not a duplicate.
    assert not np.array_equal(Xt[:, 3:6], X)
    assert not np.array_equal(Xt[:, 6:9], Xt[:, 3:6])


def test_waveforms_become_one_segment_each():
    X = noisy_segments()[:, 0]
    aug = WaveformAugmenter(n_copies=3, sr=SR, random_state=0)
    Xt = aug.fit_transform(X)
    assert Xt.shape == (4, 4, SR)
    assert_array_equal(Xt[:, 0], X)
    assert aug.n_features_in_ == SR
    # Segments have no number of features in scikit-learn's sense: a refit drops it.
    assert not hasattr(aug.fit(Xt), "n_features_in_")


def test_n_copies_zero_returns_the_input():
    X = noisy_segments()
    assert_array_equal(WaveformAugmenter(n_copies=0, random_state=0).fit_transform(X), X)


def test_same_random_state_same_copies_other_state_other_copies():
    X = noisy_segments()
    kw = dict(n_copies=2, sr=SR, background_snr_db=10.0)
    first = WaveformAugmenter(random_state=3, **kw).fit_transform(X)
    again = WaveformAugmenter(random_state=3, **kw).fit_transform(X)
    other = WaveformAugmenter(random_state=4, **kw).fit_transform(X)
    assert_array_equal(first, again)
    assert not np.array_equal(first[:, 3:], other[:, 3:])


def test_a_random_state_instance_gives_new_copies_at_each_call():
    X = noisy_segments()
    aug = WaveformAugmenter(sr=SR, random_state=np.random.RandomState(0))
    assert not np.array_equal(aug.fit_transform(X), aug.fit_transform(X))


def test_switching_one_effect_on_leaves_the_draws_of_the_others():
    # Each effect draws from its own stream: switching the shift on keeps
    # which copies got a gain, and which gain, unchanged.
    X = noisy_segments()
    gain = only("gain_db", 6.0, "p_gain", p_gain=0.5)
    with_shift = clone(gain).set_params(shift_seconds=0.25, p_shift=0.5)
    ratio = np.sqrt(power(gain.fit_transform(X)[:, 3:]) / power(X))
    # A circular shift keeps the power, so the gains are still readable.
    ratio_shifted = np.sqrt(power(with_shift.fit_transform(X)[:, 3:]) / power(X))
    assert_allclose(ratio_shifted, ratio, rtol=1e-5)
    assert 0 < np.sum(np.isclose(ratio, 1.0)) < ratio.size  # p=0.5: some copies have none


def test_transform_is_the_identity():
    X = noisy_segments()
    aug = WaveformAugmenter(n_copies=2, sr=SR, random_state=0).fit(X)
    assert aug.transform(X) is X
    # Waveforms come back as a view with a unit segments axis: same values, no copy.
    waves = X[:, 0]
    out = aug.fit(waves).transform(waves)
    assert out.shape == (4, 1, SR)
    assert np.shares_memory(out, waves)
    assert_array_equal(out[:, 0], waves)


def test_fit_then_transform_does_not_augment_but_fit_transform_does():
    X = noisy_segments()
    aug = WaveformAugmenter(sr=SR, random_state=0)
    assert aug.fit(X).transform(X).shape == X.shape
    assert aug.fit_transform(X).shape == (4, 6, SR)


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError):
        WaveformAugmenter().transform(noisy_segments())


def test_transform_requires_the_segment_length_seen_in_fit():
    aug = WaveformAugmenter(sr=SR).fit(noisy_segments(n_samples=100))
    expected = "X has 99 features, but WaveformAugmenter is expecting 100"
    with pytest.raises(ValueError, match=expected):
        aug.transform(noisy_segments(n_samples=99))


class ShapeSpy(TransformerMixin, BaseEstimator):
    """A passthrough step that records the arrays it sees in fit and afterwards."""

    def fit(self, X, y=None):
        self.fit_seen_ = np.array(X, copy=True)
        return self

    def transform(self, X):
        self.transform_seen_ = np.array(X, copy=True)
        return X


class SegmentMeanClassifier(ClassifierMixin, BaseEstimator):
    """Nearest class mean of the clips' mean segment power; records the shapes it sees.

    The shapes go to a module-level log because searches fit clones.
    """

    def fit(self, X, y):
        LOG.append(("fit", X.shape))
        self.classes_, y = np.unique(y, return_inverse=True)
        level = power(X).mean(axis=1)
        self.means_ = np.array([level[y == k].mean() for k in range(len(self.classes_))])
        return self

    def predict(self, X):
        LOG.append(("predict", X.shape))
        level = power(X).mean(axis=1)
        return self.classes_[np.abs(level[:, None] - self.means_).argmin(axis=1)]


LOG = []


def loud_and_quiet(n_per_class=6):
    """Two classes of segments that differ in level by 20 dB."""
    X = noisy_segments(n_clips=2 * n_per_class, n_segments=2, n_samples=400)
    X[n_per_class:] *= 10
    return X, np.repeat(["quiet", "loud"], n_per_class)


def test_pipeline_predict_never_augments():
    X, y = loud_and_quiet()
    pipe = Pipeline([
        ("aug", WaveformAugmenter(n_copies=2, sr=SR, random_state=0)),
        ("spy", ShapeSpy()),
        ("clf", SegmentMeanClassifier()),
    ]).fit(X, y)  # fmt: skip
    assert pipe["spy"].fit_seen_.shape == (12, 6, 400)
    pipe.predict(X)
    # What reaches the classifier at predict time is the input itself.
    assert_array_equal(pipe["spy"].transform_seen_, X)


def test_grid_search_reaches_the_parameters_and_scores_unaugmented_folds():
    X, y = loud_and_quiet()
    pipe = Pipeline([
        ("aug", WaveformAugmenter(sr=SR, random_state=0)),
        ("clf", SegmentMeanClassifier()),
    ])  # fmt: skip
    LOG.clear()
    search = GridSearchCV(pipe, {"aug__n_copies": [1, 3], "aug__gain_db": [3.0]}, cv=2).fit(X, y)
    assert search.best_estimator_["aug"].gain_db == 3.0
    fits = {shape[1] for kind, shape in LOG if kind == "fit"}
    predicts = {shape[1] for kind, shape in LOG if kind == "predict"}
    assert fits == {2 * 2, 2 * 4}  # 2 segments times 1 + n_copies
    assert predicts == {2}  # test folds: the clips' own segments only


def test_optuna_search_reaches_the_parameters():
    from optuna.distributions import FloatDistribution, IntDistribution

    from sklearn_audio.tuning import AudioOptunaSearchCV

    X, y = loud_and_quiet()
    pipe = Pipeline([
        ("aug", WaveformAugmenter(sr=SR, random_state=0)),
        ("clf", SegmentMeanClassifier()),
    ])  # fmt: skip
    space = {"aug__gain_db": FloatDistribution(0.0, 12.0), "aug__n_copies": IntDistribution(1, 3)}
    LOG.clear()
    search = AudioOptunaSearchCV(pipe, space, n_trials=4, cv=2, scoring="accuracy",
                                 refit="accuracy", random_state=0).fit(X, y)  # fmt: skip
    best = search.best_estimator_["aug"]
    assert (best.gain_db, best.n_copies) == (
        search.best_params_["aug__gain_db"], search.best_params_["aug__n_copies"],
    )
    assert 0.0 < best.gain_db < 12.0
    fits = {shape[1] for kind, shape in LOG if kind == "fit"}
    assert fits <= {4, 6, 8} and len(fits) > 1  # 2 segments times 1 + n_copies, as sampled
    assert {shape[1] for kind, shape in LOG if kind == "predict"} == {2}


def test_caching_the_segments_keeps_augmentation_fresh(tmp_path):
    # The documented arrangement: cache the loading and segmenting, augment
    # after the cache, so that a new random_state gives new copies.
    from sklearn_audio.tuning import CachedTransformer

    X = noisy_segments(n_clips=3, n_segments=1, n_samples=2 * SR)[:, 0]
    pipe = Pipeline([
        ("cached", CachedTransformer(RawSegmenter(segment_seconds=1.0, sr=SR),
                                     memory=str(tmp_path))),
        ("aug", WaveformAugmenter(sr=SR, random_state=0)),
        ("spy", ShapeSpy()),
    ])  # fmt: skip
    first = pipe.fit(X).named_steps["spy"].fit_seen_
    again = pipe.fit(X).named_steps["spy"].fit_seen_
    other = pipe.set_params(aug__random_state=1).fit(X).named_steps["spy"].fit_seen_
    assert first.shape == (3, 4, SR)
    assert_array_equal(first, again)
    assert_array_equal(first[:, :2], other[:, :2])  # the cached segments
    assert not np.array_equal(first[:, 2:], other[:, 2:])  # new copies


def test_mfcc_frame_count_is_unchanged_by_augmentation():
    # MFCCTransformer(n_frames=None) fixes its frame count at fit from the
    # segment length; every copy, time-stretched ones included, keeps it.
    X = noisy_segments(n_clips=3, n_segments=2, n_samples=SR)
    mfcc = dict(sr=SR, n_fft=256, hop_length=128)
    plain = MFCCTransformer(**mfcc).fit(X)
    aug = WaveformAugmenter(n_copies=1, sr=SR, stretch_rate=(0.5, 0.5), p_stretch=1.0,
                            random_state=0)  # fmt: skip
    augmented = MFCCTransformer(**mfcc).fit(aug.fit_transform(X))
    assert augmented.n_frames_ == plain.n_frames_


# -- padding ----------------------------------------------------------------------
ALL_ON = dict(
    gain_db=6.0, noise_snr_db=10.0, shift_seconds=0.1, pitch_semitones=1.0, stretch_rate=1.2,
    background_snr_db=10.0, p_gain=1.0, p_noise=1.0, p_shift=1.0, p_pitch=1.0, p_stretch=1.0,
    p_background=1.0,
)  # fmt: skip


def test_padding_segments_stay_all_zero():
    X = noisy_segments(n_clips=3, n_segments=3, n_samples=2048)
    X[1, 1:] = 0.0  # a short clip: one real segment, two padding
    X[2] = 0.0  # a clip made only of padding
    Xt = WaveformAugmenter(n_copies=2, sr=SR, random_state=0, **ALL_ON).fit_transform(X)
    padding = [1, 2, 4, 5, 7, 8]
    assert np.all(Xt[1, padding] == 0)
    assert np.all(Xt[2] == 0)
    # The real segments were augmented, noise and all.
    assert np.all(np.any(Xt[0, 3:] != X[0, [0, 1, 2, 0, 1, 2]], axis=1))


# -- each effect, measured --------------------------------------------------------
def test_gain_is_within_the_range_in_db():
    X = noisy_segments()
    Xt = only("gain_db", (-6.0, 3.0), "p_gain", n_copies=5).fit_transform(X)
    copies = Xt[:, 3:].reshape(4, 5, 3, SR)
    gains = db(power(copies) / power(X)[:, None])
    assert np.all((gains >= -6.0 - 1e-4) & (gains <= 3.0 + 1e-4))
    assert gains.min() < -3 and gains.max() > 0  # drawn across the range
    # A number g means (-g, g); a pair (g, g) is exactly g.
    exact = only("gain_db", (4.0, 4.0), "p_gain").fit_transform(X)
    assert_allclose(db(power(exact[:, 3:]) / power(X)), 4.0, atol=1e-4)


@pytest.mark.parametrize("snr", [0.0, 20.0])
def test_noise_is_added_at_the_asked_snr(snr):
    X = np.stack([tone(440, sr=SR), tone(1000, sr=SR, amplitude=0.05)])
    Xt = only("noise_snr_db", snr, "p_noise").fit_transform(X)
    noise = Xt[:, 1] - X
    # 8,000 noise samples estimate the noise power to about 1.6%, i.e. 0.07 dB.
    assert_allclose(db(power(X) / power(noise)), snr, atol=0.3)
    # White: the noise is uncorrelated with the signal.
    assert abs(np.corrcoef(noise[0], X[0])[0, 1]) < 0.05


@pytest.mark.parametrize(
    "seconds, where", [(0.05, 1400), (-0.05, 600), (0.9, (1000 + 7200) % SR)]
)
def test_shift_rolls_a_click_by_the_asked_samples(seconds, where):
    X = np.zeros((1, SR), dtype=np.float32)
    X[0, 1000] = 1.0
    Xt = only("shift_seconds", (seconds, seconds), "p_shift").fit_transform(X)
    # A circular shift: the click moves, nothing is lost or added (the last
    # case goes past the end and comes back at the start).
    assert np.flatnonzero(Xt[0, 1]).tolist() == [where]


def fft_peak(x, sr):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / sr)[spectrum.argmax()]


@pytest.mark.parametrize("semitones", [3.0, -2.0])
def test_pitch_shift_moves_a_tone_by_the_asked_semitones(semitones):
    X = tone(440, seconds=1.0, sr=SR)[np.newaxis]
    Xt = only("pitch_semitones", (semitones, semitones), "p_pitch").fit_transform(X)
    assert Xt.shape == (1, 2, SR)
    expected = 440 * 2 ** (semitones / 12)
    assert abs(fft_peak(Xt[0, 1], SR) - expected) < 2.0  # bins are 1 Hz apart
    assert abs(fft_peak(X[0], SR) - 440) < 2.0


def burst_seconds(x, sr):
    """Duration of the part of ``x`` louder than half its peak, in 10-ms frames."""
    frame = sr // 100
    energy = np.sqrt(power(x[: len(x) // frame * frame].reshape(-1, frame)))
    return np.sum(energy > energy.max() / 2) / 100


def burst():
    """A 1-s tone burst starting at 0.125 s in a 3-s segment."""
    X = np.zeros((1, 3 * SR), dtype=np.float32)
    X[0, 1000 : 1000 + SR] = tone(500, seconds=1.0, sr=SR)
    return X


@pytest.mark.parametrize("rate", [0.5, 2.0])
def test_time_stretch_changes_a_burst_duration_and_keeps_the_length(rate):
    X = burst()
    Xt = only("stretch_rate", (rate, rate), "p_stretch").fit_transform(X)
    assert Xt.shape == (1, 2, 3 * SR)  # cut or zero-padded to the segment length
    assert burst_seconds(X[0], SR) == pytest.approx(1.0, abs=0.02)
    assert burst_seconds(Xt[0, 1], SR) == pytest.approx(1.0 / rate, rel=0.1)


def test_time_stretch_number_means_a_symmetric_range_of_rates():
    Xt = only("stretch_rate", 2.0, "p_stretch", n_copies=8).fit_transform(burst())
    durations = np.array([burst_seconds(seg, SR) for seg in Xt[0, 1:]])
    assert np.all((durations > 1.0 / 2 * 0.9) & (durations < 1.0 * 2 * 1.1))
    assert durations.min() < 0.9 and durations.max() > 1.1  # faster and slower both drawn


def test_background_mixes_another_clip_at_the_asked_snr():
    X = np.stack([tone(440, sr=SR), tone(1000, sr=SR, amplitude=0.2)])
    Xt = only("background_snr_db", 10.0, "p_background").fit_transform(X)
    for clip, other in [(0, 1), (1, 0)]:
        added = Xt[clip, 1] - X[clip]
        # What was added is the other clip, scaled to 10 dB below this one.
        assert np.corrcoef(added, X[other])[0, 1] > 0.999
        assert_allclose(db(power(X[clip]) / power(added)), 10.0, atol=1e-3)


def test_background_prefers_another_clip_and_skips_padding():
    X = np.zeros((3, 2, SR), dtype=np.float32)
    X[0, 0] = tone(440, sr=SR)
    X[1, 0] = tone(1000, sr=SR)  # X[1, 1] and all of X[2] are padding
    Xt = only("background_snr_db", 0.0, "p_background", n_copies=4).fit_transform(X)
    for copy in range(1, 5):
        added = Xt[0, 2 * copy] - X[0, 0]
        assert np.corrcoef(added, X[1, 0])[0, 1] > 0.999


def test_background_of_a_lone_clip_is_another_of_its_segments():
    X = np.stack([tone(440, sr=SR), tone(1000, sr=SR)])[np.newaxis]  # one clip, 2 segments
    Xt = only("background_snr_db", 0.0, "p_background").fit_transform(X)
    assert np.corrcoef(Xt[0, 2] - X[0, 0], X[0, 1])[0, 1] > 0.999
    assert np.corrcoef(Xt[0, 3] - X[0, 1], X[0, 0])[0, 1] > 0.999
    # A single real segment has nothing to mix in: the copy is left as it is.
    lone = X[:, :1]
    assert_array_equal(
        only("background_snr_db", 0.0, "p_background").fit_transform(lone)[:, 1], lone[:, 0]
    )


RANGES = dict(
    gain="gain_db", noise="noise_snr_db", shift="shift_seconds", pitch="pitch_semitones",
    stretch="stretch_rate", background="background_snr_db",
)  # fmt: skip


@pytest.mark.parametrize("effect", list(RANGES))
@pytest.mark.parametrize("off", ["p_zero", "range_none"])
def test_an_effect_is_off_with_probability_zero_or_range_none(effect, off):
    X = noisy_segments(n_clips=2, n_segments=2, n_samples=2048)
    on = only(RANGES[effect], ALL_ON[RANGES[effect]], f"p_{effect}")
    assert on.fit(X).effects_ == (effect,)
    assert not np.array_equal(on.fit_transform(X)[:, 2:], X)
    params = {f"p_{effect}": 0.0} if off == "p_zero" else {RANGES[effect]: None}
    disabled = clone(on).set_params(**params)
    assert disabled.fit(X).effects_ == ()
    assert_array_equal(disabled.fit_transform(X)[:, 2:], X)  # the copies are duplicates


def test_probability_is_the_share_of_copies_affected():
    X = noisy_segments(n_clips=20, n_segments=10, n_samples=64)
    Xt = only("gain_db", (6.0, 6.0), "p_gain", p_gain=0.3, n_copies=5).fit_transform(X)
    changed = ~np.isclose(power(Xt[:, 10:]), np.tile(power(X), 5))
    assert changed.mean() == pytest.approx(0.3, abs=0.05)  # 1,000 draws


# -- parameters and input ---------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_copies=-1), "n_copies must be a non-negative integer"),
        (dict(n_copies=1.5), "n_copies must be a non-negative integer"),
        (dict(n_copies=True), "n_copies must be a non-negative integer"),
        (dict(sr=0), "sr must be a positive integer"),
        (dict(gain_db=-3), r"gain_db must be a number >= 0"),
        (dict(gain_db=(6, -6)), r"gain_db must be None, a finite number or a \(low, high\)"),
        (dict(noise_snr_db=(10, 20, 30)), "noise_snr_db must be None"),
        (dict(noise_snr_db=float("nan")), "noise_snr_db must be None"),
        (dict(shift_seconds="0.5"), "shift_seconds must be None"),
        (dict(stretch_rate=0.8), r"stretch_rate must be a number >= 1"),
        (dict(stretch_rate=(0.0, 1.2)), "pair of positive rates"),
        (dict(background_snr_db=[None, 3]), "background_snr_db must be None"),
        (dict(p_noise=1.5), r"p_noise must be a probability in \[0, 1\]"),
        (dict(p_pitch=None), r"p_pitch must be a probability in \[0, 1\]"),
    ],
)
def test_invalid_parameters_raise_in_fit(params, match):
    aug = WaveformAugmenter(**params)  # stored untouched
    assert aug.get_params()[next(iter(params))] is next(iter(params.values()))
    with pytest.raises(ValueError, match=match):
        aug.fit(noisy_segments())


def test_ragged_clips_are_refused_with_advice():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [np.ones(100, np.float32), np.ones(50, np.float32)]
    with pytest.raises(ValueError, match="cut them with RawSegmenter first"):
        WaveformAugmenter().fit_transform(ragged)


def test_paths_features_and_nan_are_refused():
    with pytest.raises(TypeError, match="put an AudioLoader"):
        WaveformAugmenter().fit(["a.wav", "b.wav"])
    with pytest.raises(ValueError, match="Features are not accepted"):
        WaveformAugmenter().fit(np.ones((2, 3, 4, 5)))
    X = noisy_segments()
    X[2, 1, 5] = np.nan
    with pytest.raises(ValueError, match="sample 2 contains NaN"):
        WaveformAugmenter().fit_transform(X)


def test_clone_set_params_and_pickle():
    X = noisy_segments()
    aug = WaveformAugmenter(n_copies=2, sr=SR, pitch_semitones=(1, 2), random_state=0)
    cloned = clone(aug)
    assert cloned.get_params() == aug.get_params()
    assert cloned.pitch_semitones == (1, 2)
    cloned.set_params(gain_db=(2.0, 2.0), p_gain=1.0, noise_snr_db=None, shift_seconds=None,
                      pitch_semitones=None)  # fmt: skip
    assert_allclose(db(power(cloned.fit_transform(X)[:, 3:6]) / power(X)), 2.0, atol=1e-4)
    restored = pickle.loads(pickle.dumps(aug.fit(X)))
    assert restored.effects_ == ("pitch", "shift", "gain", "noise")
    assert_array_equal(restored.fit_transform(X), aug.fit_transform(X))
    assert restored.transform(X) is X


@parametrize_with_checks(
    [
        WaveformAugmenter(random_state=0),
        WaveformAugmenter(n_copies=2, background_snr_db=10.0, random_state=0),
    ],
    expected_failed_checks=lambda est: {
        # Both compare fit_transform(X) with fit(X).transform(X). They differ by
        # design: augmenting in fit_transform only is what keeps the copies
        # out of predict and scoring.
        "check_transformer_general": "fit_transform augments; transform is the identity",
        "check_transformer_data_not_an_array": (
            "fit_transform augments; transform is the identity"
        ),
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- end to end on real audio -----------------------------------------------------
@pytest.mark.slow
def test_real_audio_pipeline_augments_in_fit_only(data_root):
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_audio import AudioLoader, DenseClassifier
    from sklearn_audio.datasets import load_audio_folder

    files, labels = load_audio_folder(data_root / "gm_instruments", return_X_y=True)
    classes = ["acoustic_grand_piano", "church_organ", "flute", "trumpet"]
    picked = np.concatenate([np.flatnonzero(labels == c)[:6] for c in classes])
    train = np.concatenate([picked[i * 6 : i * 6 + 4] for i in range(4)])
    test = np.setdiff1d(picked, train)
    sr = 11025
    pipe = Pipeline([
        ("load", AudioLoader(sr=sr)),
        ("seg", RawSegmenter(segment_seconds=1.0, sr=sr)),  # 4-s clips: 4 segments
        ("aug", WaveformAugmenter(n_copies=2, sr=sr, background_snr_db=(10.0, 20.0),
                                  pitch_semitones=1.0, random_state=0)),
        ("mfcc", MFCCTransformer(sr=sr, n_mfcc=13)),
        # (n, segments, frames, 13) -> each segment's mean MFCC vector
        ("pool", FunctionTransformer(lambda F: F.mean(axis=2))),
        ("spy", ShapeSpy()),
        # 16 clips: too few for a validation split, so a fixed epoch budget.
        ("clf", DenseClassifier(hidden_layer_sizes=(32,), learning_rate=1e-2, epochs=60,
                                validation_fraction=0.0, early_stopping=False, random_state=0)),
    ]).fit(files[train], labels[train])  # fmt: skip
    assert pipe["spy"].fit_seen_.shape == (16, 4 * 3, 13)
    predicted = pipe.predict(files[test])
    assert pipe["spy"].transform_seen_.shape == (8, 4, 13)
    assert set(predicted) <= set(classes)
    assert np.mean(predicted == labels[test]) > 0.5  # chance is 0.25
