"""The sklearn-audio command: end to end on real audio, and every user error as one line."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from sklearn_audio import MFCCTransformer
from sklearn_audio.cli import main
from sklearn_audio.cli._pipelines import build_pipeline, spectral_params

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _small_copy(mss_dir, dest, per_class=12, classes=("music", "speech", "silence")):
    """A copy of part of the music/speech/silence set, so tests can add broken files."""
    for name in classes:
        (dest / name).mkdir(parents=True)
        for path in sorted((mss_dir / name).glob("*.wav"))[:per_class]:
            shutil.copy(path, dest / name / path.name)
    return dest


def _run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _assert_one_line_error(status, err, *fragments):
    assert status == 1
    assert "Traceback" not in err
    # Progress bars may come first; the error itself is one line, the last.
    errors = [line for line in err.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, err
    assert errors[0].startswith("sklearn-audio: error: ")
    assert err.rstrip().endswith(errors[0])
    for fragment in fragments:
        assert fragment in errors[0]


def test_spectral_params_follow_the_rate():
    assert spectral_params(22050) == {"n_fft": 2048, "hop_length": 512}
    assert spectral_params(8000) == {"n_fft": 512, "hop_length": 128}


def test_build_pipeline_steps():
    dense = build_pipeline("dense", sr=8000)
    assert [name for name, _ in dense.steps] == ["load", "mfcc", "clf"]
    assert dense.named_steps["mfcc"].output == "stats"
    with pytest.raises(ValueError, match="Unknown model"):
        build_pipeline("svm", sr=8000)


@pytest.mark.slow
def test_train_predict_evaluate_end_to_end(mss_dir, tmp_path, capsys):
    model = tmp_path / "out" / "model.joblib"
    status, out, _ = _run(
        capsys, "train", str(mss_dir), "--model", "dense", "--sr", "8000", "--epochs", "15",
        "--out", str(model),
    )
    assert status == 0
    assert "120 files, 3 classes" in out and "accuracy" in out
    assert model.is_file()
    summary = json.loads((tmp_path / "out" / "model.report.json").read_text())
    assert summary["classes"] == ["music", "silence", "speech"]
    assert summary["test"]["accuracy"] > 0.6  # chance is 1/3
    for plot in ("confusion_matrix", "roc", "history"):
        data = (tmp_path / "out" / f"model.{plot}.png").read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2000

    files = [str(p) for p in sorted((mss_dir / "speech").glob("*.wav"))[:3]]
    status, out, _ = _run(capsys, "predict", str(model), *files, "--json")
    assert status == 0
    rows = json.loads(out)
    assert [r["file"] for r in rows] == files
    for row in rows:
        assert row["label"] in {"music", "silence", "speech"}
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)

    status, out, _ = _run(capsys, "predict", str(model), files[0])
    assert status == 0 and out.startswith(files[0] + "\t")

    status, out, _ = _run(capsys, "evaluate", str(model), str(mss_dir), "--json")
    assert status == 0
    report = json.loads(out)
    assert report["accuracy"] > 0.6


@pytest.mark.slow
def test_train_cnn_with_segments_and_cv(mss_dir, tmp_path, capsys):
    data = _small_copy(mss_dir, tmp_path / "data", per_class=6)
    model = tmp_path / "cnn.joblib"
    status, out, _ = _run(
        capsys, "train", str(data), "--model", "cnn", "--sr", "8000", "--segment-seconds",
        "0.5", "--epochs", "2", "--cv", "2", "--out", str(model),
    )
    assert status == 0
    assert "2-fold cross-validation" in out and "f1_macro" in out
    pipeline = joblib.load(model)["pipeline"]
    assert [name for name, _ in pipeline.steps] == ["load", "seg", "mfcc", "clf"]
    assert json.loads((tmp_path / "cnn.report.json").read_text())["cross_validation"]


def test_console_script_runs():
    script = Path(sys.executable).with_name("sklearn-audio")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sklearn_audio"]
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("sklearn-audio ")


def test_missing_folder(tmp_path, capsys):
    status, _, err = _run(capsys, "train", str(tmp_path / "nope"), "--out", "m.joblib")
    _assert_one_line_error(status, err, "nope")


def test_empty_folder(tmp_path, capsys):
    status, _, err = _run(capsys, "train", str(tmp_path), "--out", str(tmp_path / "m.joblib"))
    _assert_one_line_error(status, err)


def test_one_class_only(mss_dir, tmp_path, capsys):
    data = _small_copy(mss_dir, tmp_path / "data", per_class=3, classes=("music",))
    status, _, err = _run(capsys, "train", str(data), "--out", str(tmp_path / "m.joblib"))
    _assert_one_line_error(status, err, "only one class")


def test_unreadable_file_is_named(mss_dir, tmp_path, capsys):
    data = _small_copy(mss_dir, tmp_path / "data", per_class=5)
    (data / "music" / "broken.wav").write_text("this is not audio")
    status, _, err = _run(
        capsys, "train", str(data), "--model", "dense", "--sr", "8000", "--epochs", "1",
        "--test-size", "0.5", "--out", str(tmp_path / "m.joblib"),
    )
    _assert_one_line_error(status, err, "broken.wav")


@pytest.mark.parametrize("content", ["text", "pickle"])
def test_model_file_not_ours(tmp_path, capsys, content):
    path = tmp_path / "model.joblib"
    if content == "text":
        path.write_text("hello")
    else:
        joblib.dump({"weights": np.zeros(3)}, path)
    status, _, err = _run(capsys, "predict", str(path), str(path))
    _assert_one_line_error(status, err, "not a sklearn-audio model file")


def test_missing_model_file(tmp_path, capsys):
    status, _, err = _run(capsys, "evaluate", str(tmp_path / "none.joblib"), str(tmp_path))
    _assert_one_line_error(status, err, "model file not found")


def test_predict_missing_audio_file(tmp_path, capsys):
    from sklearn_audio.cli._model_file import save_model

    model = tmp_path / "m.joblib"
    save_model(model, build_pipeline("dense", sr=8000))
    status, _, err = _run(capsys, "predict", str(model), str(tmp_path / "gone.wav"))
    _assert_one_line_error(status, err, "gone.wav")


def test_test_split_too_small_for_the_classes(mss_dir, tmp_path, capsys):
    data = _small_copy(mss_dir, tmp_path / "data", per_class=3)
    status, _, err = _run(capsys, "train", str(data), "--test-size", "0.1",
                          "--out", str(tmp_path / "m.joblib"))
    _assert_one_line_error(status, err, "--test-size")


def test_out_must_be_joblib(mss_dir, capsys, tmp_path):
    status, _, err = _run(capsys, "train", str(mss_dir), "--out", str(tmp_path / "model.pkl"))
    _assert_one_line_error(status, err, ".joblib")


def test_bad_option_values_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "x", "--out", "m.joblib", "--test-size", "1.5"])
    assert exc.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_demo_reports_missing_data(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SKLEARN_AUDIO_DATA", raising=False)
    monkeypatch.setenv("SKLEARN_AUDIO_HOME", str(tmp_path / "cache"))
    import sklearn_audio.datasets as datasets

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", no_network)
    status, _, err = _run(capsys, "demo", "--data-home", str(tmp_path / "fsdd"))
    _assert_one_line_error(status, err)
    assert "fsdd" in err.lower()


@pytest.mark.slow
def test_demo_on_a_small_copy(fsdd_dir, tmp_path, capsys):
    """The README's main job, shortened: a subset of FSDD, two epochs."""
    recordings = tmp_path / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    for path in sorted((fsdd_dir / "recordings").glob("*_jackson_*.wav")):
        index = int(path.stem.split("_")[2])
        if index < 5 or index % 5 == 0:
            shutil.copy(path, recordings / path.name)
    status, out, _ = _run(capsys, "demo", "--data-home", str(tmp_path / "fsdd"), "--epochs", "2",
                          "--out-dir", str(tmp_path / "out"))
    assert status == 0
    assert "Test set (official split)" in out and "accuracy" in out
    assert (tmp_path / "out" / "fsdd_cnn.joblib").is_file()


@pytest.mark.slow
def test_tune_end_to_end_with_sqlite(mss_dir, tmp_path, capsys, monkeypatch):
    data = _small_copy(mss_dir, tmp_path / "data", per_class=6)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    argv = ["tune", str(data), "--model", "dense", "--sr", "8000", "--trials", "2",
            "--epochs", "2", "--cv", "2", "--storage", storage, "--study-name", "cli",
            "--out-dir", str(tmp_path / "plots")]
    extracted = []
    original = MFCCTransformer.transform

    def counted(self, X):
        extracted.append(len(X))
        return original(self, X)

    monkeypatch.setattr(MFCCTransformer, "transform", counted)
    status, out, _ = _run(capsys, *argv)
    assert status == 0
    # Features are cached for the command; MFCC statistics fit to the same state in
    # every fold, so each clip is extracted once, not once per trial and fold.
    assert sum(extracted) == 3 * 6
    assert "Best parameters" in out and "f1_macro" in out
    history = (tmp_path / "plots" / "optimization_history.png").read_bytes()
    assert history.startswith(PNG_MAGIC)
    # The same command again resumes the study: its trials add up.
    status, out, _ = _run(capsys, *argv)
    assert status == 0
    import optuna

    assert len(optuna.load_study(study_name="cli", storage=storage).trials) == 4


def test_tune_unreachable_storage(mss_dir, tmp_path, capsys):
    data = _small_copy(mss_dir, tmp_path / "data", per_class=3)
    status, _, err = _run(
        capsys, "tune", str(data), "--model", "dense", "--sr", "8000", "--trials", "1",
        "--cv", "2", "--storage", "postgresql://nobody:secret@127.0.0.1:1/none",
    )
    _assert_one_line_error(status, err, "127.0.0.1:1")
    assert "secret" not in err
