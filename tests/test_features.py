"""MFCC and log-mel transformers: librosa parity, every input form, bad input."""

import pickle
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_audio.features as features_module
from sklearn_audio import MelSpectrogramTransformer, MFCCTransformer, RawSegmenter
from sklearn_audio.segment import segment_mask

ANY_LENGTH = (
    "By design clips of any length are accepted at transform: they are padded or truncated "
    "to the frame count fixed at fit, so n_features_in_ is not enforced."
)
TINY = dict(sr=100, n_fft=8, hop_length=4, n_mels=4)


@parametrize_with_checks(
    [
        MFCCTransformer(n_mfcc=3, **TINY),
        MFCCTransformer(n_mfcc=3, output="stats", delta=1, **TINY),
        MelSpectrogramTransformer(**TINY),
    ],
    expected_failed_checks=lambda est: {
        "check_n_features_in_after_fitting": ANY_LENGTH,
        "check_transformer_general": ANY_LENGTH,
    },
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        # The checks' toy clips are shorter than one FFT window; that warning is expected.
        warnings.filterwarnings("ignore", message=".*shorter than one FFT window")
        check(estimator)


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
    original = features_module._map

    def spy(n_jobs, function, items):
        items = list(items)
        calls.append(len(items))
        return original(n_jobs, function, items)

    # Chunks of two: no more than two raw waveforms are decoded at once.
    monkeypatch.setattr(features_module, "_PATH_CHUNK", 2)
    monkeypatch.setattr(features_module, "_map", spy)
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
