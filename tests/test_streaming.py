"""Tests for StreamingPipeline: chunked decoding with the plain pipeline's exact output."""

import inspect
import pickle
import weakref

import numpy as np
import pytest
import soundfile as sf
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_audio import AudioLoader, MFCCTransformer, RawSegmenter, WaveformAugmenter
from sklearn_audio._streaming import StreamingPipeline
from sklearn_audio.segment import segment_mask
from sklearn_audio.cli._pipelines import (
    CHUNK_SIZE,
    MAX_SEGMENTS,
    build_pipeline,
    cache_features,
)

SR = 8000
SPECTRAL = dict(sr=SR, n_fft=512, hop_length=128)


@pytest.fixture(scope="module")
def paths(data_root, tmp_path_factory):
    """Real clips of many lengths: spoken digits (< 1 s), 1-s excerpts, 4-s notes, 9-s medleys."""
    digits = sorted((data_root / "fsdd" / "recordings").glob("*.wav"))[:6]
    excerpts = sorted((data_root / "music_speech_silence").glob("*/*.wav"))[::40]
    notes = sorted((data_root / "gm_instruments").glob("*/*.wav"))[::80]
    folder = tmp_path_factory.mktemp("medleys")
    medleys = []
    for k in range(2):
        parts = [sf.read(p, dtype="float32")[0] for p in notes[k : k + 3]]
        path = folder / f"medley{k}.wav"
        sf.write(path, np.concatenate(parts)[: int(9.5 * 22050) - k * 22050], 22050)
        medleys.append(path)
    found = [str(p) for p in [*digits, medleys[0], *excerpts, *notes, medleys[1]]]
    assert len(found) == 15
    return found


@pytest.fixture(scope="module")
def notes(data_root):
    """Real notes of one length (4 s): the loader stacks them into one 2-D array."""
    return [str(p) for p in sorted((data_root / "gm_instruments").glob("*/*.wav"))[::40]]


def feature_steps(segment_seconds=None, output="frames", max_segments=None, **loader):
    steps = [("load", AudioLoader(sr=SR, **loader))]
    if segment_seconds:
        steps.append(
            ("seg", RawSegmenter(segment_seconds=segment_seconds, sr=SR, max_segments=max_segments))
        )
    steps.append(("mfcc", MFCCTransformer(output=output, **SPECTRAL)))
    return steps


def both(steps, chunk_size=4):
    """The same steps as a streaming pipeline and as a plain one (separate estimators)."""
    return (
        StreamingPipeline([(n, clone(s)) for n, s in steps], chunk_size=chunk_size),
        Pipeline([(n, clone(s)) for n, s in steps]),
    )


def fitted_state(estimator):
    return {k: v for k, v in vars(estimator).items() if k.endswith("_")}


@pytest.mark.filterwarnings("ignore:.*shorter than one FFT window")
@pytest.mark.parametrize("segment_seconds,max_segments", [(None, None), (1.0, None), (0.5, 3)])
@pytest.mark.parametrize("output", ["frames", "stats"])
def test_features_equal_the_plain_pipeline(paths, segment_seconds, max_segments, output):
    streamed, plain = both(feature_steps(segment_seconds, output, max_segments))
    expected = plain.fit_transform(paths)
    assert_array_equal(streamed.fit_transform(paths), expected)
    assert_array_equal(streamed.transform(paths), expected)
    assert_array_equal(streamed.transform(paths[::-1]), plain.transform(paths[::-1]))
    for (_, ours), (_, theirs) in zip(streamed.steps, plain.steps):
        assert fitted_state(ours).keys() == fitted_state(theirs).keys()
        for key, value in fitted_state(theirs).items():
            assert_array_equal(fitted_state(ours)[key], value)
    assert streamed.n_streamed_ == len(streamed.steps)


def test_equal_length_clips_keep_the_fitted_state_of_2d_input(notes):
    streamed, plain = both(feature_steps(1.0), chunk_size=3)
    assert_array_equal(streamed.fit(notes).transform(notes), plain.fit_transform(notes))
    # All 4 s: the plain segmenter saw a 2-D array and recorded its width.
    assert plain.named_steps["seg"].n_features_in_ == 4 * SR
    assert streamed.named_steps["seg"].n_features_in_ == 4 * SR


def test_classifier_on_streamed_features_predicts_as_the_plain_pipeline(paths):
    y = np.array(["a", "b", "c"] * 5)
    steps = feature_steps(1.0, "stats") + [("clf", LogisticRegression(max_iter=500))]
    streamed, plain = both(steps, chunk_size=2)
    streamed.fit(paths, y)
    plain.fit(paths, y)
    assert_array_equal(streamed.predict_proba(paths), plain.predict_proba(paths))
    assert_array_equal(streamed.predict(paths), plain.predict(paths))
    assert streamed.score(paths, y) == plain.score(paths, y)
    assert_array_equal(streamed.classes_, plain.classes_)
    assert streamed.n_streamed_ == 3
    assert not hasattr(streamed, "transform")  # the last step has none, as for Pipeline


class SpyLoader(AudioLoader):
    """AudioLoader that records every batch it decodes and checks the last one is gone."""

    batches = []
    alive = []

    def transform(self, X):
        # Every waveform decoded before must have been released by now.
        assert all(ref() is None for ref in SpyLoader.alive), "an earlier chunk is still held"
        waveforms = super().transform(X)
        SpyLoader.batches.append(len(waveforms))
        SpyLoader.alive = [weakref.ref(waveforms)]
        if waveforms.dtype == object:
            SpyLoader.alive += [weakref.ref(w) for w in waveforms]
        return waveforms


@pytest.mark.filterwarnings("ignore:.*shorter than one FFT window")
@pytest.mark.parametrize(
    "segment_seconds,output,fit_passes",
    # Whole clips as frames: the longest clip fixes the frames, so fit reads twice.
    [(1.0, "frames", 1), (None, "stats", 1), (None, "frames", 2)],
)
def test_at_most_one_chunk_of_waveforms_is_ever_held(paths, segment_seconds, output, fit_passes):
    SpyLoader.batches, SpyLoader.alive = [], []
    steps = [("load", SpyLoader(sr=SR))] + feature_steps(segment_seconds, output)[1:]
    pipe = StreamingPipeline(steps, chunk_size=4)
    pipe.fit_transform(paths)
    assert max(SpyLoader.batches) == 4
    assert sum(SpyLoader.batches) == fit_passes * len(paths)
    pipe.transform(paths)
    assert sum(SpyLoader.batches) == (fit_passes + 1) * len(paths)
    # The plain pipeline holds every waveform at once: the spy sees it.
    SpyLoader.batches, SpyLoader.alive = [], []
    Pipeline(steps).fit_transform(paths)
    assert SpyLoader.batches == [len(paths)]


def test_nested_parameters_clone_and_pickle(paths):
    pipe = build_pipeline("dense", sr=SR, segment_seconds=1.0, chunk_size=5)
    params = pipe.get_params()
    assert params["chunk_size"] == 5 and params["mfcc__n_mfcc"] == 13
    assert params["seg__max_segments"] == MAX_SEGMENTS and "clf__epochs" in params
    features = pipe[:-1]
    assert type(features) is StreamingPipeline and features.chunk_size == 5
    features.set_params(mfcc__n_mfcc=5, chunk_size=3)
    other = clone(features)
    assert other.get_params()["mfcc__n_mfcc"] == 5 and other.chunk_size == 3
    assert other.named_steps["mfcc"] is not features.named_steps["mfcc"]
    Xt = other.fit_transform(paths[:6])
    assert Xt.shape == (6, 10)  # stats of 5 coefficients
    restored = pickle.loads(pickle.dumps(other))
    assert_array_equal(restored.transform(paths[:6]), Xt)


@pytest.mark.parametrize("chunk_size", [0, -1, 1.5, True, None])
def test_chunk_size_is_validated_at_fit(paths, chunk_size):
    pipe = StreamingPipeline(feature_steps(), chunk_size=chunk_size)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        pipe.fit(paths[:2])


def test_pipelines_that_cannot_stream_behave_as_plain_ones(paths):
    lengths = FunctionTransformer(lambda w: np.array([[len(x)] for x in w], dtype=float))
    steps = [("load", AudioLoader(sr=SR)), ("len", lengths)]
    streamed, plain = both(steps)
    assert_array_equal(streamed.fit_transform(paths), plain.fit_transform(paths))
    assert streamed.n_streamed_ == 0
    # A slice after the loader (as ``predict --window`` uses) takes waveforms.
    pipe = StreamingPipeline(feature_steps(1.0), chunk_size=4).fit(paths)
    after_loading = pipe[1:]
    assert type(after_loading) is StreamingPipeline and after_loading.chunk_size == 4
    waveforms = AudioLoader(sr=SR).transform(paths[:3])
    assert_array_equal(after_loading.transform(waveforms), pipe.transform(paths[:3]))


def test_augmenter_streams_and_keeps_the_unaugmented_segments(notes):
    aug = WaveformAugmenter(n_copies=1, sr=SR, random_state=0)
    steps = feature_steps(1.0)
    steps.insert(2, ("aug", aug))
    # One chunk: the very same draws as the plain pipeline.
    streamed, plain = both(steps, chunk_size=len(notes))
    expected = plain.fit_transform(notes)
    assert expected.shape[1] == 8  # 4 segments and their augmented copies
    assert_array_equal(streamed.fit_transform(notes), expected)
    # Several chunks: copies drawn per chunk; originals and predict time unchanged.
    streamed, plain = both(steps, chunk_size=3)
    ours, theirs = streamed.fit_transform(notes), plain.fit_transform(notes)
    assert ours.shape == theirs.shape
    assert_array_equal(ours[:, :4], theirs[:, :4])
    assert not np.array_equal(ours[:, 4:], theirs[:, 4:])
    assert_array_equal(streamed.transform(notes), plain.transform(notes))
    # Chunks after the first draw from their own seeds, not the first chunk's again:
    # the same clip in two chunks gets different copies.
    same = [notes[0]] * 4
    copies = StreamingPipeline([(n, clone(s)) for n, s in steps], chunk_size=2).fit_transform(same)
    assert not np.array_equal(copies[:2, 4:], copies[2:, 4:])


@pytest.mark.filterwarnings("ignore:.*shorter than one FFT window")
def test_augmented_copies_of_clips_of_many_lengths_keep_the_plain_layout(paths):
    steps = feature_steps(1.0)
    steps.insert(2, ("aug", WaveformAugmenter(n_copies=2, sr=SR, random_state=0)))
    streamed, plain = both(steps, chunk_size=4)  # chunks of 1 to 9 segments
    ours, theirs = streamed.fit_transform(paths), plain.fit_transform(paths)
    assert ours.shape == theirs.shape == (len(paths), 3 * 9, 63, 13)
    # Copy k of a clip sits at segments [9k, 9k + its segment count), as in the plain output.
    assert_array_equal(segment_mask(ours, 2), segment_mask(theirs, 2))
    assert_array_equal(ours[:, :9], theirs[:, :9])


def test_unreadable_files_are_recorded_across_chunks(paths, tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    files = paths[:3] + [str(empty)] + paths[3:6] + [str(text)]
    pipe = StreamingPipeline(feature_steps(1.0, on_unreadable="skip"), chunk_size=3)
    with pytest.warns(UserWarning, match="empty.wav"):
        Xt = pipe.fit_transform(files)
    assert [u["file"] for u in pipe.named_steps["load"].unreadable_] == [str(empty), str(text)]
    assert not Xt[3].any() and not Xt[7].any()  # silence: all-zero features (padding)


def test_build_pipeline_streams_and_bounds_the_segments(paths):
    default = inspect.signature(build_pipeline).parameters["max_segments"].default
    assert default == MAX_SEGMENTS == 30
    pipe = build_pipeline("cnn", sr=SR, segment_seconds=1.0)
    assert type(pipe) is StreamingPipeline and pipe.chunk_size == CHUNK_SIZE
    assert pipe.named_steps["seg"].max_segments == MAX_SEGMENTS
    assert build_pipeline("cnn", sr=SR, segment_seconds=1.0, max_segments=None)[
        "seg"].max_segments is None
    # Capped segments are the first ones of the clip: the rest are dropped.
    capped = build_pipeline("cnn", sr=SR, segment_seconds=1.0, max_segments=2)[:-1]
    uncapped = build_pipeline("cnn", sr=SR, segment_seconds=1.0, max_segments=None)[:-1]
    few, all_ = capped.fit_transform(paths), uncapped.fit_transform(paths)
    assert few.shape[1] == 2 and all_.shape[1] == 9
    assert_array_equal(few, all_[:, :2])


def test_cache_features_keeps_streaming(paths, tmp_path):
    pipe = build_pipeline("dense", sr=SR, segment_seconds=1.0, chunk_size=4)
    cached = cache_features(pipe, str(tmp_path / "cache"))
    assert [name for name, _ in cached.steps] == ["features", "clf"]
    inner = cached.named_steps["features"].transformer
    assert type(inner) is StreamingPipeline and inner.chunk_size == 4
    Xt = cached.named_steps["features"].fit_transform(paths)
    assert_array_equal(Xt, Pipeline(pipe.steps[:-1]).fit_transform(paths))


@pytest.mark.slow
def test_exporter_reads_the_streaming_pipeline(paths):
    from sklearn_audio.export._spec import describe_pipeline

    y = np.array(["a", "b", "c"] * 5)
    pipe = build_pipeline("dense", sr=SR, segment_seconds=1.0, epochs=1, chunk_size=4,
                          validation_fraction=0)
    pipe.fit(paths, y)
    spec = describe_pipeline(pipe)
    seg = pipe.named_steps["seg"]
    assert spec.segment == (seg.segment_samples_, seg.hop_samples_, seg.n_segments_)
    assert spec.classifier is pipe.named_steps["clf"] and spec.sr == SR
    assert spec.features["output"] == "stats"
    # Unfitted streamed steps are refused as in a plain pipeline.
    with pytest.raises(ValueError, match="not fitted"):
        describe_pipeline(build_pipeline("dense", sr=SR, segment_seconds=1.0))
