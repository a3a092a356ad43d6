"""MFCC and log-mel transformers: librosa parity, every input form, bad input."""

import pickle
import warnings

import librosa
import numpy as np
import pytest
from conftest import run_front_end_check
import soundfile as sf
from sklearn.base import BaseEstimator, clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_audio.features as features_module
from sklearn_audio import MelSpectrogramTransformer, MFCCTransformer, RawSegmenter
from sklearn_audio.exceptions import AudioFileError
from sklearn_audio.segment import segment_mask

TINY = dict(sr=100, n_fft=8, hop_length=4, n_mels=4)


@parametrize_with_checks(
    [
        MFCCTransformer(n_mfcc=3, **TINY),
        MFCCTransformer(n_mfcc=3, output="stats", delta=1, **TINY),
        MelSpectrogramTransformer(**TINY),
        MFCCTransformer(n_mfcc=3, normalize="mean", **TINY),
        MelSpectrogramTransformer(normalize="mean", **TINY),
    ]
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        # The checks' toy clips are shorter than one FFT window; that warning is expected.
        warnings.filterwarnings("ignore", message=".*shorter than one FFT window")
        run_front_end_check(estimator, check)


@pytest.fixture(scope="module")
def noise():
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal(22050 * 2)).astype(np.float32)


def _relative_error(a, b):
    return np.abs(a - b).max() / np.ptp(b)


@pytest.mark.parametrize("n_mfcc, n_fft, hop", [(13, 2048, 512), (20, 512, 128)])
def test_mfcc_equals_librosa(noise, n_mfcc, n_fft, hop):
    ref = librosa.feature.mfcc(y=noise, sr=22050, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop).T
    out = MFCCTransformer(n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop).fit_transform(noise[None])
    assert out.shape == (1,) + ref.shape
    assert out.dtype == np.float32
    assert _relative_error(out[0], ref) < 1e-3


def test_deltas_equal_librosa(noise):
    ref = librosa.feature.mfcc(y=noise, sr=22050, n_mfcc=13)
    expected = np.concatenate(
        [ref, librosa.feature.delta(ref), librosa.feature.delta(ref, order=2)]
    ).T
    out = MFCCTransformer(delta=2).fit_transform(noise[None])[0]
    assert out.shape == (ref.shape[1], 39)
    assert _relative_error(out, expected) < 1e-3


def test_log_mel_equals_librosa(noise):
    ref = librosa.power_to_db(
        librosa.feature.melspectrogram(y=noise, sr=22050, n_mels=64, fmin=50.0, fmax=8000.0)
    ).T
    out = MelSpectrogramTransformer(n_mels=64, fmin=50.0, fmax=8000.0).fit_transform(noise[None])
    assert _relative_error(out[0], ref) < 1e-3


# Real recordings: speech (FSDD, 8 kHz) and music (a decaying piano note and a
# cello note from gm_instruments at 22,050 Hz, a music excerpt at 8 kHz). For
# each, whether librosa's top_db clamp sets some bins to the floor (max - top_db).
REAL_CLIPS = [
    # file, top_db, n_fft, hop_length, n_mels, the clamp bites
    ("fsdd/recordings/7_george_12.wav", 80.0, 512, 128, 40, False),
    ("fsdd/recordings/0_jackson_0.wav", 40.0, 512, 128, 40, True),
    ("gm_instruments/acoustic_grand_piano/acoustic_grand_piano_00.wav", 80, 2048, 512, 128, True),
    ("gm_instruments/cello/cello_13.wav", 80.0, 2048, 512, 128, True),
    ("music_speech_silence/music/m_65745_0.0_1.0.wav", 80.0, 512, 128, 64, True),
]
REAL_IDS = [clip[0].split("/")[-1] for clip in REAL_CLIPS]


def _read(data_root, name):
    y, sr = sf.read(data_root / name, dtype="float32")
    return y, sr


@pytest.mark.parametrize("name, top_db, n_fft, hop, n_mels, bites", REAL_CLIPS, ids=REAL_IDS)
def test_log_mel_equals_librosa_on_real_audio(data_root, name, top_db, n_fft, hop, n_mels, bites):
    y, sr = _read(data_root, name)
    power = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels
    )
    ref = librosa.power_to_db(power, top_db=top_db).T
    unclamped = librosa.power_to_db(power, top_db=None).T
    out = MelSpectrogramTransformer(
        sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, top_db=top_db
    ).fit_transform(y[None])[0]
    assert out.shape == ref.shape
    assert _relative_error(out, ref) < 1e-4
    floor = ref.max() - top_db
    clamped = np.mean(ref == floor)
    if bites:
        # The clamp sets a real share of the bins, and the transformer applies it.
        assert clamped > 0.003 and np.ptp(unclamped) > top_db
        assert np.abs(out - unclamped).max() > 1.0
        assert out.min() == pytest.approx(floor, abs=1e-3)
        assert np.mean(np.isclose(out, floor, atol=1e-3)) == pytest.approx(clamped, abs=1e-3)
    else:
        assert clamped == 0


@pytest.mark.parametrize("name, top_db, n_fft, hop, n_mels, bites", REAL_CLIPS, ids=REAL_IDS)
def test_mfcc_equals_librosa_on_real_audio(data_root, name, top_db, n_fft, hop, n_mels, bites):
    y, sr = _read(data_root, name)
    # librosa.feature.mfcc clamps at its default top_db=80, as MFCCTransformer does.
    ref = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, n_fft=n_fft, hop_length=hop, n_mels=n_mels).T
    out = MFCCTransformer(
        sr=sr, n_mfcc=20, n_fft=n_fft, hop_length=hop, n_mels=n_mels, delta=2
    ).fit_transform(y[None])[0]
    expected = np.concatenate(
        [ref, librosa.feature.delta(ref.T).T, librosa.feature.delta(ref.T, order=2).T], axis=1
    )
    assert out.shape == expected.shape
    for order in range(3):  # each block against its own range: deltas are small
        block = slice(20 * order, 20 * (order + 1))
        assert _relative_error(out[:, block], expected[:, block]) < 1e-4


def test_ragged_padded_with_silence_and_truncated(noise):
    clips = np.empty(2, dtype=object)
    clips[:] = [noise[:5000], noise[:20000]]
    mfcc = MFCCTransformer().fit(clips)
    out = mfcc.transform(clips)
    assert mfcc.n_frames_ == 1 + 20000 // 512
    assert out.shape == (2, mfcc.n_frames_, 13)
    short = librosa.feature.mfcc(y=clips[0], sr=22050, n_mfcc=13).T
    assert _relative_error(out[0, : len(short)], short) < 1e-3
    # Past its end a clip holds its silence frame: constant, energy in c0 only.
    tail = out[0, len(short) :]
    assert np.allclose(tail, tail[0]) and np.allclose(tail[:, 1:], 0, atol=1e-4)
    # A longer clip at transform is truncated to the frames fixed at fit.
    longer = mfcc.transform(noise[None])
    assert longer.shape == (1, mfcc.n_frames_, 13)
    full = librosa.feature.mfcc(y=noise, sr=22050, n_mfcc=13).T
    assert _relative_error(longer[0], full[: mfcc.n_frames_]) < 1e-3


def test_fixed_n_frames(noise):
    out = MFCCTransformer(n_frames=7).fit_transform(noise[None])
    assert out.shape == (1, 7, 13)


def test_segments_and_padding_segments(noise):
    clips = np.empty(2, dtype=object)
    clips[:] = [noise, noise[:22050]]
    segments = RawSegmenter(segment_seconds=0.5, sr=22050).fit_transform(clips)
    out = MFCCTransformer().fit_transform(segments)
    assert out.shape == (2, 4, 1 + 11025 // 512, 13)
    np.testing.assert_array_equal(segment_mask(out, 2), segment_mask(segments, 1))
    assert not out[1, 2:].any()
    expected = librosa.feature.mfcc(y=noise[11025:22050], sr=22050, n_mfcc=13).T
    assert _relative_error(out[0, 1], expected) < 1e-3


def test_stats_are_mean_and_std_over_frames(noise):
    ref = librosa.feature.mfcc(y=noise, sr=22050, n_mfcc=13).T
    mfcc = MFCCTransformer(output="stats").fit(noise[None])
    out = mfcc.transform(noise[None])
    assert out.shape == (1, 26)
    np.testing.assert_allclose(out[0, :13], ref.mean(0), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out[0, 13:], ref.std(0), rtol=1e-4, atol=1e-3)
    names = mfcc.get_feature_names_out()
    assert names[0] == "mfcc0_mean" and names[-1] == "mfcc12_std"


def test_stats_pool_real_segments_only(noise):
    segments = np.zeros((1, 3, 11025), np.float32)
    segments[0, 0], segments[0, 1] = noise[:11025], noise[11025:22050]
    pooled = MFCCTransformer(output="stats").fit_transform(segments)[0]
    frames = np.concatenate(
        [librosa.feature.mfcc(y=s, sr=22050, n_mfcc=13).T for s in segments[0, :2]]
    )
    np.testing.assert_allclose(pooled[:13], frames.mean(0), rtol=1e-4, atol=1e-3)


def test_frames_output_has_no_feature_names():
    assert not hasattr(MFCCTransformer(), "get_feature_names_out")


def test_paths_are_streamed_with_same_result(tmp_path, noise, monkeypatch):
    paths = []
    for i, length in enumerate([8000, 16000, 12000, 4000, 9000]):
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, noise[:length], 22050, subtype="FLOAT")
        paths.append(str(path))
    loaded = np.empty(len(paths), dtype=object)
    loaded[:] = [sf.read(p, dtype="float32")[0] for p in paths]
    expected = MFCCTransformer(delta=1).fit(loaded).transform(loaded)

    calls = []
    original = features_module.thread_map

    def spy(n_jobs, function, items):
        items = list(items)
        calls.append(len(items))
        return original(n_jobs, function, items)

    # Chunks of two: no more than two raw waveforms are decoded at once.
    monkeypatch.setattr(features_module, "_PATH_CHUNK", 2)
    monkeypatch.setattr(features_module, "thread_map", spy)
    mfcc = MFCCTransformer(delta=1).fit(np.array(paths))
    out = mfcc.transform(np.array(paths))
    assert mfcc.n_frames_ == expected.shape[1]
    np.testing.assert_allclose(out, expected, atol=1e-4)
    assert max(calls) <= 2


def test_paths_resampled_to_sr(tmp_path, noise):
    path = tmp_path / "clip.wav"
    sf.write(path, noise[:16000], 16000)
    out = MFCCTransformer(sr=8000, n_fft=256, hop_length=80).fit_transform([str(path)])
    assert out.shape == (1, 1 + 8000 // 80, 13)


def test_n_jobs_gives_identical_output(noise):
    X = np.stack([noise, noise[::-1], noise * 0.5])
    one = MFCCTransformer(delta=1).fit_transform(X)
    two = MFCCTransformer(delta=1, n_jobs=2).fit_transform(X)
    np.testing.assert_array_equal(one, two)


def test_short_clip_warns_and_stays_finite():
    X = np.full((2, 100), 0.3, dtype=np.float32)
    with pytest.warns(UserWarning, match="shorter than one FFT window"):
        out = MFCCTransformer(delta=2).fit_transform(X)
    assert out.shape == (2, 1, 39)
    assert np.isfinite(out).all()


def test_silent_clip_is_finite():
    out = MFCCTransformer().fit_transform(np.zeros((1, 22050), np.float32))
    assert np.isfinite(out).all()


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.ones((2, 3, 4, 5)), ValueError, "segments"),
        (np.ones(100), ValueError, "Reshape"),
        ([1.0, "a.wav"], TypeError, "Item 0 is not a path"),
        ([object(), object()], TypeError, "argument must be"),
    ],
)
def test_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        MFCCTransformer().fit(X)


def test_mixed_paths_and_objects_name_the_item(tmp_path):
    with pytest.raises(TypeError, match="Item 1"):
        MFCCTransformer().fit(np.array([str(tmp_path / "a.wav"), 3], dtype=object))


@pytest.mark.parametrize("where", [(1, 7), (0, 0)])
def test_nan_and_inf_name_the_sample(where):
    X = np.ones((3, 4096), np.float32)
    X[where] = np.inf
    with pytest.raises(ValueError, match=f"sample {where[0]} contains infinite"):
        MFCCTransformer().fit(X)
    segments = np.ones((3, 2, 4096), np.float32)
    segments[2, 1, 5] = np.nan
    with pytest.raises(ValueError, match="sample 2 contains NaN"):
        MFCCTransformer().fit(segments)


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        MFCCTransformer().fit([str(missing)])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_mfcc": 0}, "n_mfcc"),
        ({"n_mfcc": 200}, "n_mfcc"),
        ({"delta": 3}, "delta"),
        ({"output": "mean"}, "output"),
        ({"fmax": 50000}, "fmax"),
        ({"fmin": -1.0}, "fmin"),
        ({"hop_length": 0}, "hop_length"),
        ({"n_frames": 0}, "n_frames"),
    ],
)
def test_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        MFCCTransformer(**params).fit(np.ones((1, 4096)))


def test_mel_bad_top_db():
    with pytest.raises(ValueError, match="top_db"):
        MelSpectrogramTransformer(top_db=0).fit(np.ones((1, 4096)))


def _write_clips(folder, noise, lengths=(8000, 12000)):
    paths = []
    for i, length in enumerate(lengths):
        path = folder / f"clip{i}.wav"
        sf.write(path, noise[:length], 22050)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("Transformer", [MFCCTransformer, MelSpectrogramTransformer])
def test_n_features_in_follows_the_last_fit(tmp_path, noise, Transformer):
    """n_features_in_ is the width of 2-D input, and no other input form leaves one behind."""
    est = Transformer(output="stats")
    waveforms = np.stack([noise[:4096], noise[4096:8192]])
    assert est.fit(waveforms).n_features_in_ == 4096
    est.fit(_write_clips(tmp_path, noise))
    assert not hasattr(est, "n_features_in_")
    est.fit(waveforms).fit(waveforms[:, None, :])  # segments (n, 1, samples)
    assert not hasattr(est, "n_features_in_")
    ragged = np.empty(2, dtype=object)
    ragged[:] = [noise[:3000], noise[:5000]]
    est.fit(waveforms).fit(ragged)
    assert not hasattr(est, "n_features_in_")


def test_feature_names_in_from_a_dataframe(noise):
    pd = pytest.importorskip("pandas")
    columns = [f"t{k}" for k in range(4096)]
    frame = pd.DataFrame(np.stack([noise[:4096], noise[4096:8192]]), columns=columns)
    mfcc = MFCCTransformer(output="stats").fit(frame)
    np.testing.assert_array_equal(mfcc.feature_names_in_, columns)
    assert mfcc.n_features_in_ == 4096
    mfcc.fit(frame.to_numpy())
    assert not hasattr(mfcc, "feature_names_in_") and mfcc.n_features_in_ == 4096


def test_get_feature_names_out_checks_input_features(noise):
    pd = pytest.importorskip("pandas")
    X = np.stack([noise[:4096], noise[4096:8192]])
    mfcc = MFCCTransformer(n_mfcc=4, output="stats").fit(X)
    names = mfcc.get_feature_names_out()
    assert names.tolist()[:2] == ["mfcc0_mean", "mfcc1_mean"] and len(names) == 8
    # As for any scikit-learn transformer: the right number of input names is accepted...
    sample_names = [f"s{k}" for k in range(4096)]
    np.testing.assert_array_equal(mfcc.get_feature_names_out(sample_names), names)
    # ...and a wrong one is an error.
    with pytest.raises(ValueError, match="input_features should have length equal"):
        mfcc.get_feature_names_out(["s0", "s1"])
    columns = [f"t{k}" for k in range(4096)]
    mfcc.fit(pd.DataFrame(X, columns=columns))
    np.testing.assert_array_equal(mfcc.get_feature_names_out(columns), names)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        mfcc.get_feature_names_out(sample_names)


@pytest.mark.parametrize("Transformer", [MFCCTransformer, MelSpectrogramTransformer])
def test_n_jobs_follows_joblib(noise, Transformer):
    X = noise[None, :4096]
    with pytest.raises(ValueError, match="n_jobs=0 is not valid"):
        Transformer(n_jobs=0).fit(X)
    for bad in (1.5, "2", True):
        with pytest.raises(ValueError, match="n_jobs must be None or a non-zero integer"):
            Transformer(n_jobs=bad).fit(X)
    expected = Transformer().fit_transform(X)
    for n_jobs in (-1, -2, 2):
        np.testing.assert_array_equal(Transformer(n_jobs=n_jobs).fit_transform(X), expected)


def test_n_jobs_zero_same_rule_as_audio_loader(tmp_path, noise):
    from sklearn_audio import AudioLoader

    paths = _write_clips(tmp_path, noise)
    messages = []
    for Estimator in (AudioLoader, MFCCTransformer, MelSpectrogramTransformer):
        est = Estimator(n_jobs=0)
        with pytest.raises(ValueError, match="n_jobs=0") as info:
            est.fit(paths)
        messages.append(str(info.value))
    assert len(set(messages)) == 1


def test_params_check_does_not_shadow_sklearn():
    """BaseEstimator._validate_params checks _parameter_constraints; ours has another name."""
    for est in (MFCCTransformer, MelSpectrogramTransformer, RawSegmenter):
        assert est._validate_params is BaseEstimator._validate_params


def test_truncated_file_given_as_path_is_named(tmp_path, noise):
    paths = _write_clips(tmp_path, noise)
    data = open(paths[1], "rb").read()
    with open(paths[1], "wb") as f:
        f.write(data[: len(data) // 2])
    for method in ("fit", "transform"):
        mfcc = MFCCTransformer().fit(paths[:1])
        with pytest.raises(AudioFileError, match=r"clip1\.wav' is truncated"):
            getattr(mfcc, method)(paths)


def test_pickle_and_clone(noise):
    mfcc = MFCCTransformer(n_mfcc=8).fit(noise[None])
    restored = pickle.loads(pickle.dumps(mfcc))
    np.testing.assert_array_equal(restored.transform(noise[None]), mfcc.transform(noise[None]))
    assert clone(mfcc).get_params() == mfcc.get_params()


@pytest.mark.slow
def test_fsdd_end_to_end(fsdd_dir):
    """Real recordings: load -> segment -> MFCC, by paths and by waveforms."""
    from sklearn.pipeline import make_pipeline

    from sklearn_audio import AudioLoader

    paths = sorted(str(p) for p in (fsdd_dir / "recordings").glob("*_jackson_*.wav"))[:40]
    pipe = make_pipeline(
        AudioLoader(sr=8000),
        RawSegmenter(segment_seconds=0.25, sr=8000, max_segments=4),
        MFCCTransformer(sr=8000, n_fft=512, hop_length=128),
    )
    out = pipe.fit_transform(paths)
    n_segments = pipe.named_steps["rawsegmenter"].n_segments_
    assert 2 <= n_segments <= 4
    assert out.shape == (40, n_segments, 1 + 2000 // 128, 13)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert segment_mask(out, 2)[:, 0].all()

    direct = MFCCTransformer(sr=8000, n_fft=512, hop_length=128).fit(paths)
    frames = direct.transform(paths)
    assert frames.shape == (40, direct.n_frames_, 13) and np.isfinite(frames).all()
    waveforms = AudioLoader(sr=8000).fit_transform(paths)
    np.testing.assert_allclose(
        MFCCTransformer(sr=8000, n_fft=512, hop_length=128).fit(waveforms).transform(waveforms),
        frames,
        atol=1e-3,
    )


def test_feature_names_after_fitting_on_ragged_clips_or_segments(noise):
    # No input width to check against: the names are still there, as after a 2-D fit.
    ragged = np.empty(2, dtype=object)
    ragged[:] = [noise[:3000], noise[:5000]]
    expected = MFCCTransformer(n_mfcc=4, output="stats").fit(
        np.stack([noise[:4096], noise[4096:8192]])).get_feature_names_out()
    for X in (ragged, noise[:8192].reshape(1, 2, 4096)):
        mfcc = MFCCTransformer(n_mfcc=4, output="stats").fit(X)
        assert not hasattr(mfcc, "n_features_in_")
        np.testing.assert_array_equal(mfcc.get_feature_names_out(), expected)
