"""Tests for sklearn_audio.io: decoding, resampling, bad files, AudioLoader."""

import pickle
import warnings

import numpy as np
import pytest
import soundfile as sf
from conftest import tone
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from sklearn_audio import io
from sklearn_audio.exceptions import AudioFileError, TruncatedAudioWarning
from sklearn_audio.io import AudioLoader, audio_duration, load_audio
from sklearn_audio.segment import RawSegmenter

SR = 8000


def write(path, data, sr=SR, **kwargs):
    sf.write(path, data, sr, **kwargs)
    return path


@pytest.fixture
def wav(tmp_path):
    return write(tmp_path / "tone.wav", tone(sr=SR))


@pytest.fixture
def ramp(tmp_path):
    """1 s of float samples whose values give away their position."""
    data = (np.arange(SR) / SR).astype(np.float32)
    return write(tmp_path / "ramp.wav", data, subtype="FLOAT"), data


# --- formats, resampling, channels, offset/duration ------------------------

FORMATS = ["WAV", "FLAC", "OGG", "AIFF", "AU"]
if "MP3" in sf.available_formats():
    FORMATS.append("MP3")


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_audio_each_format(tmp_path, fmt):
    signal = tone(sr=SR)
    path = write(tmp_path / f"tone.{fmt.lower()}", signal, format=fmt)
    y = load_audio(path, sr=None)
    assert y.dtype == np.float32 and y.ndim == 1
    if fmt in ("OGG", "MP3"):  # lossy: only the length and the level survive
        assert abs(len(y) - len(signal)) <= 0.05 * SR
        assert 0.3 < np.abs(y).max() < 0.7
    else:
        np.testing.assert_allclose(y, signal, atol=1e-3)
    assert audio_duration(path) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(("sr", "expected"), [(16000, 16000), (22050, 22050), (4000, 4000)])
def test_resampling_length(wav, sr, expected):
    y = load_audio(wav, sr=sr)
    assert abs(len(y) - expected) <= 1
    assert y.dtype == np.float32


def test_resampling_keeps_the_tone(wav):
    y = load_audio(wav, sr=16000)
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) * 16000 / len(y) == pytest.approx(440, abs=2)


def test_sr_none_keeps_native_rate(wav):
    assert len(load_audio(wav, sr=None)) == SR
    assert len(load_audio(wav, sr=SR)) == SR


def test_stereo_folded_to_mono_by_averaging(tmp_path):
    left, right = tone(440, sr=SR), tone(1000, sr=SR, amplitude=0.25)
    path = write(tmp_path / "stereo.wav", np.stack([left, right], axis=1), subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path, sr=None), (left + right) / 2, atol=1e-6)
    both = load_audio(path, sr=None, mono=False)
    assert both.shape == (2, SR) and both.flags.c_contiguous
    np.testing.assert_allclose(both[1], right, atol=1e-6)
    assert load_audio(path, sr=16000, mono=False).shape == (2, 16000)


def test_mono_false_is_always_2d(wav):
    assert load_audio(wav, sr=None, mono=False).shape == (1, SR)


def test_offset_and_duration_read_the_right_frames(ramp):
    path, data = ramp
    np.testing.assert_array_equal(
        load_audio(path, sr=None, offset=0.25, duration=0.5), data[2000:6000]
    )
    np.testing.assert_array_equal(load_audio(path, sr=None, offset=0.75), data[6000:])
    np.testing.assert_array_equal(load_audio(path, sr=None, duration=2.0), data)


def test_offset_past_the_end(ramp):
    with pytest.raises(AudioFileError, match=r"ramp\.wav.*0 samples at offset=2"):
        load_audio(ramp[0], offset=2.0)


def test_pathlike_and_str_agree(wav):
    np.testing.assert_array_equal(load_audio(wav), load_audio(str(wav)))


# --- bad files ---------------------------------------------------------------


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.wav"
    for func in (load_audio, audio_duration):
        with pytest.raises(FileNotFoundError, match="nope.wav") as info:
            func(missing)
        assert info.value.filename == str(missing)


def test_directory(tmp_path):
    with pytest.raises(AudioFileError, match="is a directory"):
        load_audio(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    for func in (load_audio, audio_duration):
        with pytest.raises(AudioFileError, match=r"empty\.wav.*empty \(0 bytes\)"):
            func(path)


def test_non_audio_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is a text file, not audio\n" * 20)
    with pytest.raises(AudioFileError, match=r"notes\.wav.*not audio") as info:
        load_audio(path)
    assert isinstance(info.value.__cause__, sf.SoundFileError)
    with pytest.raises(AudioFileError, match=r"notes\.wav"):
        audio_duration(path)


@pytest.mark.parametrize(("fmt", "keep"), [("WAV", 10), ("FLAC", 0.5), ("OGG", 100)])
def test_truncated_file(tmp_path, fmt, keep):
    whole = write(tmp_path / f"whole.{fmt.lower()}", tone(sr=SR), format=fmt).read_bytes()
    cut = tmp_path / f"cut.{fmt.lower()}"
    cut.write_bytes(whole[: int(keep * len(whole)) if keep < 1 else keep])
    with pytest.raises(AudioFileError, match=rf"cut\.{fmt.lower()}"):
        load_audio(cut)


def test_header_only_wav_is_truncated_and_decodes_to_nothing(tmp_path, wav):
    cut = tmp_path / "header_only.wav"
    cut.write_bytes(wav.read_bytes()[:44])
    with pytest.raises(AudioFileError, match=r"header_only\.wav.* is truncated"):
        load_audio(cut)
    # Even when truncation is only a warning, no audio at all is still an error.
    with pytest.warns(TruncatedAudioWarning), pytest.raises(
        AudioFileError, match=r"header_only\.wav.*0 samples"
    ):
        load_audio(cut, on_truncated="warn")


def cut_in_half(source, target):
    """Copy ``source`` to ``target`` cut halfway through its bytes, as an interrupted copy."""
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.mark.parametrize("fmt", ["WAV", "AIFF", "AU"])
def test_data_cut_halfway_raises_naming_the_file(tmp_path, fmt):
    """libsndfile reads such a file as shorter audio; the header says otherwise."""
    signal = tone(sr=SR)
    whole = write(tmp_path / f"whole.{fmt.lower()}", signal, format=fmt)
    cut = cut_in_half(whole, tmp_path / f"half.{fmt.lower()}")
    with pytest.raises(AudioFileError, match=rf"half\.{fmt.lower()}' is truncated.*bytes missing"):
        load_audio(cut, sr=None)
    with pytest.raises(AudioFileError, match=rf"half\.{fmt.lower()}' is truncated"):
        audio_duration(cut)
    with pytest.warns(TruncatedAudioWarning, match=rf"half\.{fmt.lower()}' is truncated"):
        y = load_audio(cut, sr=None, on_truncated="warn")
    with pytest.warns(TruncatedAudioWarning):
        assert audio_duration(cut, on_truncated="warn") == len(y) / SR
    # What is there is read, and it is the start of the signal.
    assert 0.4 * SR < len(y) < 0.5 * SR
    np.testing.assert_allclose(y, signal[: len(y)], atol=1e-3)
    # The intact file is neither an error nor a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_audio(whole, sr=None)) == len(signal)


def test_real_wav_cut_halfway(fsdd_dir, tmp_path):
    source = fsdd_dir / "recordings" / "3_theo_7.wav"
    cut = cut_in_half(source, tmp_path / "3_theo_7.wav")
    with pytest.raises(AudioFileError, match=r"3_theo_7\.wav' is truncated"):
        load_audio(cut)
    with pytest.raises(AudioFileError, match=r"3_theo_7\.wav' is truncated"):
        AudioLoader(sr=8000).fit_transform([source, cut])
    with pytest.warns(TruncatedAudioWarning, match=r"3_theo_7\.wav"):
        X = AudioLoader(sr=None, on_truncated="warn").fit_transform([source, cut])
    full = load_audio(source, sr=None)
    assert len(X[1]) < 0.5 * len(full)
    np.testing.assert_array_equal(X[1], full[: len(X[1])])


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0x7FFFFFFF, 0x7FFFF000])
def test_unknown_data_size_is_not_truncation(tmp_path, wav, placeholder):
    """Streaming writers (e.g. arecord to a pipe) leave a placeholder data size."""
    data = bytearray(wav.read_bytes())
    assert data[36:40] == b"data"
    data[40:44] = placeholder.to_bytes(4, "little")
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(load_audio(streamed, sr=None), load_audio(wav, sr=None))


def test_chunks_after_the_data_are_not_truncation(tmp_path, wav):
    data = wav.read_bytes() + b"LIST" + (5).to_bytes(4, "little") + b"INFO!" + b"\x00"
    extra = tmp_path / "extra_chunk.wav"
    extra.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(load_audio(extra, sr=None), load_audio(wav, sr=None))


def test_zero_sample_file(tmp_path):
    path = write(tmp_path / "silent.wav", np.zeros(0, dtype=np.float32))
    with pytest.raises(AudioFileError, match=r"silent\.wav.*0 samples"):
        load_audio(path)


@pytest.mark.parametrize(("value", "word"), [(np.nan, "NaN"), (np.inf, "infinite")])
def test_non_finite_samples(tmp_path, value, word):
    data = tone(sr=SR)
    data[100] = value
    path = write(tmp_path / "broken.wav", data, subtype="FLOAT")
    with pytest.raises(ValueError, match=rf"broken\.wav.*{word}"):
        load_audio(path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sr": 0},
        {"sr": 16000.0},
        {"sr": True},
        {"mono": "yes"},
        {"offset": -1.0},
        {"offset": np.nan},
        {"duration": 0},
        {"duration": "1s"},
        {"on_truncated": "ignore"},
    ],
)
def test_invalid_parameters(wav, kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        load_audio(wav, **kwargs)
    with pytest.raises(ValueError, match=name):
        AudioLoader(**kwargs).fit([wav])


def test_non_path(tmp_path):
    with pytest.raises(TypeError, match="int"):
        load_audio(123)


# --- audioread fallback --------------------------------------------------------


def _soundfile_fails(*args, **kwargs):
    raise sf.LibsndfileError(1, "pretend libsndfile cannot read this: ")


def test_fallback_decodes_like_soundfile(monkeypatch, tmp_path):
    path = write(tmp_path / "pcm.wav", tone(sr=SR), subtype="PCM_16")
    expected = [load_audio(path, sr=16000), load_audio(path, sr=None, offset=0.1, duration=0.3)]
    monkeypatch.setattr(io, "_read_soundfile", _soundfile_fails)
    got = [load_audio(path, sr=16000), load_audio(path, sr=None, offset=0.1, duration=0.3)]
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, atol=1e-6)
    monkeypatch.setattr(sf, "info", _soundfile_fails)
    assert audio_duration(path) == pytest.approx(1.0)


def test_fallback_failure_gives_both_reasons(monkeypatch, tmp_path):
    path = write(tmp_path / "odd.flac", tone(sr=SR), format="FLAC")
    monkeypatch.setattr(io, "_read_soundfile", _soundfile_fails)
    with pytest.raises(AudioFileError, match=r"odd\.flac.*soundfile says.*audioread fallback"):
        load_audio(path)


# --- AudioLoader --------------------------------------------------------------


@pytest.fixture
def clips(tmp_path):
    """Two 1 s clips and one 0.5 s clip."""
    return [
        write(tmp_path / "a.wav", tone(440, sr=SR)),
        write(tmp_path / "b.flac", tone(880, sr=SR), format="FLAC"),
        write(tmp_path / "c.wav", tone(440, seconds=0.5, sr=SR)),
    ]


def test_loader_equal_lengths_give_2d(clips):
    X = AudioLoader(sr=16000).fit_transform(clips[:2])
    assert X.shape == (2, 16000) and X.dtype == np.float32
    np.testing.assert_array_equal(X[1], load_audio(clips[1], sr=16000))


def test_loader_ragged_gives_object_array(clips):
    X = AudioLoader(sr=None).fit_transform(np.array([str(c) for c in clips]))
    assert X.shape == (3,) and X.dtype == object
    assert [w.shape for w in X] == [(SR,), (SR,), (SR // 2,)]
    assert all(w.dtype == np.float32 for w in X)


def test_loader_single_clip_is_2d(clips):
    assert AudioLoader(sr=None).transform(clips[:1]).shape == (1, SR)


def test_loader_stereo_shapes(tmp_path):
    stereo = np.stack([tone(sr=SR), tone(sr=SR)], axis=1)
    paths = [write(tmp_path / "s1.wav", stereo), write(tmp_path / "s2.wav", stereo)]
    assert AudioLoader(sr=None, mono=False).transform(paths).shape == (2, 2, SR)
    paths.append(write(tmp_path / "m.wav", tone(sr=SR)))
    X = AudioLoader(sr=None, mono=False).transform(paths)
    assert X.dtype == object and [w.shape for w in X] == [(2, SR), (2, SR), (1, SR)]


def test_loader_offset_duration(clips):
    X = AudioLoader(sr=None, offset=0.1, duration=0.25).transform(clips)
    assert X.shape == (3, 2000)


def test_loader_is_stateless(clips):
    loader = AudioLoader(sr=None)
    unfitted = loader.transform(clips[:2])
    np.testing.assert_array_equal(unfitted, loader.fit(clips).transform(clips[:2]))
    assert not hasattr(loader, "n_features_in_")
    assert loader.fit(clips) is loader


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ("one.wav", TypeError, "single path"),
        ([], ValueError, "at least one path"),
        ([["a.wav", "b.wav"]], ValueError, "1-D"),
        (["a.wav", 3.5, "c.wav"], TypeError, "Item 1 .*float"),
        (np.zeros((2, 10)), ValueError, "1-D"),
    ],
)
def test_loader_bad_path_arrays(X, error, match):
    for method in ("fit", "transform"):
        with pytest.raises(error, match=match):
            getattr(AudioLoader(), method)(X)


def test_loader_names_the_bad_file(clips, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        AudioLoader().transform([*clips, tmp_path / "missing.wav"])
    (tmp_path / "fake.wav").write_text("not audio")
    with pytest.raises(AudioFileError, match="fake.wav"):
        AudioLoader(n_jobs=2).transform([tmp_path / "fake.wav", *clips])


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_loader_invalid_n_jobs(clips, n_jobs):
    with pytest.raises(ValueError, match="n_jobs"):
        AudioLoader(n_jobs=n_jobs).fit(clips)


@pytest.mark.parametrize("n_jobs", [None, 1, 2, -1, -2])
def test_loader_valid_n_jobs(clips, n_jobs):
    expected = AudioLoader().transform(clips)
    for a, b in zip(AudioLoader(n_jobs=n_jobs).fit_transform(clips), expected):
        np.testing.assert_array_equal(a, b)


def test_loader_progress_bar(clips, capsys):
    AudioLoader(verbose=True).transform(clips)
    assert "Loading audio" in capsys.readouterr().err
    AudioLoader().transform(clips)
    assert "Loading audio" not in capsys.readouterr().err


def test_loader_clone_pickle_params(clips):
    loader = AudioLoader(sr=16000, duration=0.5, n_jobs=2)
    assert clone(loader).get_params() == loader.get_params()
    restored = pickle.loads(pickle.dumps(loader.fit(clips)))
    np.testing.assert_array_equal(restored.transform(clips), loader.transform(clips))
    assert loader.get_params()["duration"] == 0.5  # stored untouched by fit


def test_loader_in_a_pipeline(clips):
    pipe = make_pipeline(AudioLoader(sr=SR), RawSegmenter(segment_seconds=0.25, sr=SR))
    assert pipe.fit_transform(clips).shape == (3, 4, 2000)


@pytest.fixture
def unreadable(tmp_path):
    """A 0-byte file and a text file named .wav."""
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "readme.wav"
    text.write_text("not audio, despite the name")
    return [str(empty), str(text)]


def test_loader_raises_on_unreadable_files_by_default(clips, unreadable):
    for bad in unreadable:
        with pytest.raises(AudioFileError, match=bad.rsplit("/", 1)[-1]):
            AudioLoader().fit_transform([*clips, bad])
    loader = AudioLoader(sr=SR).fit(clips)
    loader.transform(clips)
    assert not hasattr(loader, "unreadable_")  # nothing to record: errors raise


def test_loader_skip_replaces_unreadable_files_with_silence(clips, unreadable):
    loader = AudioLoader(sr=16000, on_unreadable="skip").fit(clips)
    assert loader.unreadable_ == []
    files = [clips[0], unreadable[0], clips[2], unreadable[1]]
    with pytest.warns(io.UnreadableAudioWarning) as caught:
        X = loader.transform(files)
    assert [str(w.message).split("'")[1] for w in caught] == unreadable
    assert "0 bytes" in str(caught[0].message) and "Cannot decode" in str(caught[1].message)
    # One second at sr, all zeros, by default; readable files untouched.
    assert [len(w) for w in X] == [16000, 16000, 8000, 16000]
    assert not X[1].any() and not X[3].any() and X[1].dtype == np.float32
    np.testing.assert_array_equal(X[2], load_audio(clips[2], sr=16000))
    assert [u["file"] for u in loader.unreadable_] == unreadable
    assert "0 bytes" in loader.unreadable_[0]["reason"]
    # The record is that of the latest transform.
    loader.transform(clips)
    assert loader.unreadable_ == []


def test_loader_skip_silence_length_follows_duration_and_rate(clips, unreadable, tmp_path):
    with pytest.warns(io.UnreadableAudioWarning):
        X = AudioLoader(sr=None, duration=0.25, on_unreadable="skip").transform(
            [clips[0], unreadable[0]]
        )
    # 0.25 s: at the file's own rate for the readable file...
    assert X[0].shape == (2000,)
    # ...and at the default 22,050 Hz for the silence, sr=None leaving no rate to use.
    assert X[1].shape == (int(0.25 * io._DEFAULT_SR),)
    with pytest.warns(io.UnreadableAudioWarning):
        alone = AudioLoader(sr=None, on_unreadable="skip").transform([unreadable[0]])
    assert alone.shape == (1, io._DEFAULT_SR)
    with pytest.warns(io.UnreadableAudioWarning):
        stereo = AudioLoader(sr=SR, mono=False, on_unreadable="skip").transform(unreadable)
    assert stereo.shape == (2, 1, SR)
    # A missing file counts as unreadable too.
    with pytest.warns(io.UnreadableAudioWarning, match="missing.wav"):
        AudioLoader(on_unreadable="skip").transform([tmp_path / "missing.wav"])


def test_loader_skip_does_not_hide_nan_samples(tmp_path):
    path = write(tmp_path / "nan.wav", np.array([0.1, np.nan, 0.2] * 100), subtype="FLOAT")
    with pytest.raises(ValueError, match="nan.wav"):
        AudioLoader(on_unreadable="skip").transform([path])


@pytest.mark.parametrize("value", ["warn", None, True, "SKIP"])
def test_loader_on_unreadable_is_validated(clips, value):
    with pytest.raises(ValueError, match="on_unreadable must be 'raise' or 'skip'"):
        AudioLoader(on_unreadable=value).fit(clips)


def test_loader_tags():
    tags = AudioLoader().__sklearn_tags__()
    assert tags.input_tags.string and tags.input_tags.one_d_array
    assert not tags.input_tags.two_d_array and not tags.requires_fit


# scikit-learn's common checks feed numeric 2-D arrays, which are not paths;
# with two_d_array=False, parametrize_with_checks therefore yields nothing. The
# checks below need no data and run as is; what the others test (fit returns
# self, parameters left untouched, pickling, statelessness, idempotence) is
# tested above with real paths.
API_CHECKS = [
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_tags_renamed,
    estimator_checks.check_valid_tag_types,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    estimator_checks.check_n_features_in_after_fitting,
    estimator_checks.check_mixin_order,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_parameters_default_constructible,
]


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda check: check.__name__)
def test_sklearn_api_checks(check):
    check("AudioLoader", AudioLoader())


# --- real recordings ---------------------------------------------------------


@pytest.fixture(scope="module")
def fsdd_paths(fsdd_dir):
    return sorted((fsdd_dir / "recordings").glob("*_jackson_*.wav"))[:24]


def test_loader_on_fsdd(fsdd_paths):
    X = AudioLoader(sr=22050).transform(fsdd_paths)
    assert X.dtype == object and len(X) == len(fsdd_paths)
    assert len({len(w) for w in X}) > 1  # recordings differ in length
    for path, w in zip(fsdd_paths, X):
        assert w.dtype == np.float32 and w.ndim == 1
        assert abs(len(w) - round(audio_duration(path) * 22050)) <= 1
        assert np.isfinite(w).all() and 0 < np.abs(w).max() <= 1


def test_loader_on_fsdd_parallel_matches_sequential(fsdd_paths):
    sequential = AudioLoader(sr=16000).transform(fsdd_paths)
    parallel = AudioLoader(sr=16000, n_jobs=2).transform(fsdd_paths)
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a, b)


def test_loader_on_fsdd_equal_duration_is_2d(fsdd_paths):
    X = AudioLoader(sr=8000, duration=0.2).transform(fsdd_paths)
    assert X.shape == (len(fsdd_paths), 1600) and X.dtype == np.float32
