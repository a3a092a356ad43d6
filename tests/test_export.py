"""Exported models: in-graph features, probabilities equal to the pipeline's, the light runtime."""

import argparse
import subprocess
import sys
import warnings

import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import Pipeline

from sklearn_audio import (
    AudioLoader,
    CNNClassifier,
    DenseClassifier,
    LSTMClassifier,
    MelSpectrogramTransformer,
    MFCCTransformer,
    RawSegmenter,
)
from sklearn_audio.io import load_audio

SR = 8000
SPECTRAL = {"sr": SR, "n_fft": 512, "hop_length": 128}


def _mss_paths(mss_dir, step=4):
    paths = sorted(str(p) for p in mss_dir.glob("*/*.wav"))[::step]
    return paths, [p.split("/")[-2] for p in paths]


def _fsdd_paths(fsdd_dir, n=40):
    paths = sorted(str(p) for p in (fsdd_dir / "recordings").glob("*.wav"))[::75][:n]
    return paths, [p.split("/")[-1].split("_")[0] for p in paths]


def _fit(steps, paths, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny fits: convergence and split warnings
        return Pipeline(steps).fit(paths, y)


@pytest.fixture(scope="module")
def long_file(tmp_path_factory, mss_dir):
    """A 3.5-s file of real clips: more segments than the segmenters fixed at fit."""
    paths, _ = _mss_paths(mss_dir, step=1)
    audio = np.concatenate([load_audio(p, sr=None) for p in paths[::30][:4]])[: int(3.5 * SR)]
    path = tmp_path_factory.mktemp("long") / "long.wav"
    sf.write(path, audio, SR)
    return str(path)


@pytest.fixture(scope="module")
def digital_silence(tmp_path_factory):
    """All-zero samples: every segment is padding, the aggregate falls back on all."""
    path = tmp_path_factory.mktemp("zero") / "zero.wav"
    sf.write(path, np.zeros(SR), SR)
    return str(path)


def _pipelines(kind, mss_dir, fsdd_dir):
    if kind == "cnn-segments-mfcc":
        paths, y = _mss_paths(mss_dir)
        steps = [
            ("load", AudioLoader(sr=SR)),
            ("seg", RawSegmenter(segment_seconds=0.4, hop_seconds=0.3, sr=SR)),
            ("mfcc", MFCCTransformer(**SPECTRAL)),
            ("clf", CNNClassifier(epochs=2, random_state=0, filters=(4, 8), dense_units=8)),
        ]
    elif kind == "cnn-vote-logmel-whole":
        # FSDD clips vary in length: frames are padded with silence or truncated.
        paths, y = _fsdd_paths(fsdd_dir)
        steps = [
            ("load", AudioLoader(sr=SR)),
            ("mel", MelSpectrogramTransformer(n_mels=32, top_db=60.0, **SPECTRAL)),
            ("clf", CNNClassifier(epochs=2, random_state=0, filters=(4, 8), dense_units=8)),
        ]
    elif kind == "dense-stats":
        paths, y = _mss_paths(mss_dir)
        steps = [
            ("load", AudioLoader(sr=SR)),
            ("mfcc", MFCCTransformer(output="stats", **SPECTRAL)),
            ("clf", DenseClassifier(epochs=2, random_state=0)),
        ]
    elif kind == "dense-segments-stats":
        paths, y = _mss_paths(mss_dir)
        steps = [
            ("load", AudioLoader(sr=SR)),
            ("seg", RawSegmenter(segment_seconds=0.3, sr=SR)),
            ("mfcc", MFCCTransformer(output="stats", **SPECTRAL)),
            ("clf", DenseClassifier(epochs=2, random_state=0)),
        ]
    elif kind == "lstm-segments":
        paths, y = _mss_paths(mss_dir)
        steps = [
            ("load", AudioLoader(sr=SR)),
            ("seg", RawSegmenter(segment_seconds=0.5, sr=SR)),
            ("mfcc", MFCCTransformer(**SPECTRAL)),
            ("clf", LSTMClassifier(epochs=2, random_state=0, units=(8,))),
        ]
    pipe = _fit(steps, paths, y)
    if kind == "cnn-vote-logmel-whole":
        pipe.named_steps["clf"].set_params(aggregate="vote")
    return pipe, paths


KINDS = [
    "cnn-segments-mfcc",
    pytest.param("cnn-vote-logmel-whole", marks=pytest.mark.slow),
    "dense-stats",
    pytest.param("dense-segments-stats", marks=pytest.mark.slow),
    pytest.param("lstm-segments", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module", params=KINDS)
def fitted(request, mss_dir, fsdd_dir):
    return request.param, *_pipelines(request.param, mss_dir, fsdd_dir)


# -- features ------------------------------------------------------------------------


def _graph_features(transformer, waveform):
    """The exporter's feature layer on one clip, for a fitted transformer."""
    from sklearn_audio.export._graph import _constants
    from sklearn_audio.export._layers import WaveformFeatures
    from sklearn_audio.export._spec import _feature_settings

    f = _feature_settings(transformer, transformer.sr)
    layer = WaveformFeatures(
        f["n_fft"], f["hop_length"], f["n_mels"], f["n_mfcc"], f["top_db"], f["output"],
        f["n_frames"],
    )  # fmt: skip
    layer.set_weights(_constants(f))
    features, _ = layer(waveform[np.newaxis])
    return np.asarray(features)


@pytest.mark.parametrize("output", ["frames", "stats"])
@pytest.mark.parametrize(
    "transformer",
    [MFCCTransformer(n_mfcc=20, **SPECTRAL), MelSpectrogramTransformer(n_mels=40, **SPECTRAL)],
    ids=["mfcc", "logmel"],
)
def test_in_graph_features_equal_the_transformer(fsdd_dir, transformer, output):
    paths, _ = _fsdd_paths(fsdd_dir, n=6)
    clips = [load_audio(p, sr=SR) for p in paths]
    # Fit on the middle clip: others are longer (truncated) or shorter (silence padding).
    order = np.argsort([len(c) for c in clips])
    transformer = transformer.set_params(output=output).fit(clips[order[3]][np.newaxis])
    for clip in clips:
        expected = transformer.transform(clip[np.newaxis])[0]
        got = _graph_features(transformer, clip)[0]
        tolerance = 1e-3 * (expected.max() - expected.min())
        np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance)


# -- probabilities -----------------------------------------------------------------------


def test_exported_tflite_and_onnx_equal_the_pipeline(fitted, tmp_path, long_file, digital_silence):
    from sklearn_audio.export import export_model
    from sklearn_audio.runtime import load_exported

    kind, pipe, paths = fitted
    files = paths[:8] + [long_file, digital_silence]
    expected = pipe.predict_proba(files)
    for suffix in (".tflite", ".onnx"):
        model = load_exported(export_model(pipe, tmp_path / f"model{suffix}"))
        np.testing.assert_array_equal(model.classes_, pipe.classes_)
        assert model.sr == SR
        np.testing.assert_allclose(
            model.predict_proba_paths(files, batch_size=3), expected, rtol=0, atol=1e-4,
            err_msg=suffix,
        )  # fmt: skip


@pytest.mark.slow
def test_exported_keras_equals_the_pipeline(tmp_path, mss_dir, fsdd_dir, long_file):
    from sklearn_audio.export import export_model
    from sklearn_audio.runtime import load_exported

    pipe, paths = _pipelines("cnn-segments-mfcc", mss_dir, fsdd_dir)
    files = paths[:6] + [long_file]
    model = load_exported(export_model(pipe, tmp_path / "model.keras"))
    np.testing.assert_array_equal(model.classes_, pipe.classes_)
    np.testing.assert_allclose(
        model.predict_proba_paths(files), pipe.predict_proba(files), rtol=0, atol=1e-4
    )


@pytest.fixture(scope="module")
def exported_dense(tmp_path_factory, mss_dir, fsdd_dir):
    from sklearn_audio.export import export_model

    pipe, paths = _pipelines("dense-stats", mss_dir, fsdd_dir)
    path = export_model(pipe, tmp_path_factory.mktemp("exported") / "dense.tflite")
    export_model(pipe, path.with_suffix(".onnx"))
    return pipe, paths, path


def test_windows_stream_equals_slicing(exported_dense, data_root, monkeypatch):
    from sklearn_audio import runtime

    # Blocks shorter than a window and the file: windows straddle block edges.
    monkeypatch.setattr(runtime, "_BLOCK_SECONDS", 0.7)
    _, _, path = exported_dense
    model = runtime.load_exported(path)
    # A 22,050-Hz file: the stream is resampled to the model's 8 kHz on the way.
    audio_file = sorted((data_root / "gm_instruments").rglob("*.wav"))[0]
    waveform = load_audio(audio_file, sr=SR)
    windows = list(model.predict_proba_windows(audio_file, window_seconds=1.5))
    size = int(1.5 * SR)
    slices = [waveform[i : i + size] for i in range(0, len(waveform), size)]
    assert [(s, e) for s, e, _ in windows] == [
        (i * 1.5, (i * size + len(piece)) / SR) for i, piece in enumerate(slices)
    ]
    np.testing.assert_allclose(
        np.array([p for _, _, p in windows]), model.predict_proba(slices), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("suffix", [".tflite", ".onnx"])
def test_runtime_predicts_without_tensorflow(exported_dense, suffix):
    pipe, paths, path = exported_dense
    path = path.with_suffix(suffix)
    code = (
        "import sys, numpy as np\n"
        "from sklearn_audio.cli._export_commands import load_exported_for_predict\n"
        f"model = load_exported_for_predict({str(path)!r})\n"
        f"proba = model.predict_proba_paths({paths[:3]!r})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'librosa', 'tf2onnx'})\n"
        "print(heavy, proba.tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, proba = out.stdout.strip().split(" ", 1)
    assert heavy == "[]"
    np.testing.assert_allclose(eval(proba), pipe.predict_proba(paths[:3]), atol=1e-4)


def test_cli_export_command(exported_dense, tmp_path, capsys):
    from sklearn_audio.cli._export_commands import export, load_exported_for_predict
    from sklearn_audio.cli._model_file import save_model

    pipe, paths, _ = exported_dense
    save_model(tmp_path / "model.joblib", pipe)
    args = argparse.Namespace(
        model_file=str(tmp_path / "model.joblib"), out_file=str(tmp_path / "m.tflite"),
        trust=True,
    )  # fmt: skip
    assert export(args) == 0
    assert "m.tflite" in capsys.readouterr().out
    model = load_exported_for_predict(tmp_path / "m.tflite")
    np.testing.assert_allclose(
        model.predict_proba_paths(paths[:4]), pipe.predict_proba(paths[:4]), atol=1e-4
    )


# -- refusals ------------------------------------------------------------------------------


def test_unsupported_settings_are_refused_by_name(exported_dense, mss_dir):
    from sklearn_audio.export import UnsupportedPipelineError, export_model

    pipe, paths, _ = exported_dense
    clf = pipe.named_steps["clf"]
    deltas = MFCCTransformer(delta=1, output="stats", **SPECTRAL).fit(paths[:2])
    with pytest.raises(UnsupportedPipelineError, match=r"MFCCTransformer\(delta=1\)"):
        export_model(Pipeline([("load", AudioLoader(sr=SR)), ("f", deltas), ("c", clf)]), "m.tflite")
    centred = MFCCTransformer(normalize="mean", **SPECTRAL).fit(paths[:2])
    with pytest.raises(UnsupportedPipelineError, match=r"MFCCTransformer\(normalize='mean'\)"):
        export_model(Pipeline([("load", AudioLoader(sr=SR)), ("f", centred), ("c", clf)]), "m.tflite")
    stereo = Pipeline([("load", AudioLoader(sr=SR, mono=False)), *pipe.steps[1:]])
    with pytest.raises(UnsupportedPipelineError, match=r"AudioLoader\(mono=False\)"):
        export_model(stereo, "m.tflite")
    native = Pipeline([("load", AudioLoader(sr=None)), *pipe.steps[1:]])
    with pytest.raises(UnsupportedPipelineError, match=r"AudioLoader\(sr=None\)"):
        export_model(native, "m.tflite")
    with pytest.raises(UnsupportedPipelineError, match="expected AudioLoader"):
        export_model(Pipeline(pipe.steps[1:]), "m.tflite")
    with pytest.raises(ValueError, match=r"use a file name ending in \.keras or \.tflite or \.onnx"):
        export_model(pipe, "m.pt")


def test_runtime_rejects_bad_input_by_name(exported_dense, tmp_path):
    from sklearn_audio.runtime import load_exported

    _, _, path = exported_dense
    model = load_exported(path)
    with pytest.raises(ValueError, match="Waveform 1 holds NaN"):
        model.predict_proba([np.zeros(800), np.full(800, np.nan)])
    with pytest.raises(ValueError, match="Waveform 0 must be a non-empty 1-D"):
        model.predict_proba([np.zeros(0)])
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not audio")
    with pytest.raises(ValueError, match="Cannot decode audio file .*notes.wav"):
        model.predict_proba_paths([not_audio])
    with pytest.raises(ValueError, match="exported models end in .tflite, .onnx or .keras"):
        load_exported(tmp_path / "model.joblib")
    not_ours = tmp_path / "other.tflite"
    not_ours.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError):
        load_exported(not_ours)
