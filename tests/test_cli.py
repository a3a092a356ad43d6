"""The sklearn-audio command: end to end on real audio, and every user error as one line."""

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import soundfile

from sklearn_audio import MFCCTransformer
from sklearn_audio.cli import _commands, _pipelines, main
from sklearn_audio.cli._pipelines import build_pipeline, spectral_params

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _small_copy(mss_dir, dest, per_class=12, classes=("music", "speech", "silence")):
    """A copy of part of the music/speech/silence set, so tests can add broken files."""
    for name in classes:
        (dest / name).mkdir(parents=True)
        for path in sorted((mss_dir / name).glob("*.wav"))[:per_class]:
            shutil.copy(path, dest / name / path.name)
    return dest


def _tones(root, *, seconds, per_class=6, sr=8000, labels="pitch", nested=False):
    """A folder-per-class set of noisy tones written with soundfile: ``low`` and ``high``.

    ``labels="random"`` gives each class the same mix of pitches, a task with
    nothing to learn. ``nested`` puts the last file of each class one folder
    down.
    """
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    for c, (label, freq) in enumerate((("low", 300.0), ("high", 1200.0))):
        folder = root / label
        folder.mkdir(parents=True)
        for k in range(per_class):
            f = freq if labels == "pitch" else (300.0, 1200.0)[(k + c) % 2]
            wave = 0.3 * np.sin(2 * np.pi * f * (1 + 0.03 * k) * t)
            wave += 0.05 * rng.normal(size=t.size)
            where = folder / "deeper" if nested and k == per_class - 1 else folder
            where.mkdir(exist_ok=True)
            soundfile.write(where / f"{label}{k}.wav", wave.astype(np.float32), sr)
    return root


def _pipeline(model_file):
    """The pipeline of a model file, through the command's own reader."""
    from sklearn_audio.cli._model_file import load_model

    return load_model(model_file)[0]


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
    with pytest.raises(ValueError, match="normalize centres MFCC frames"):
        build_pipeline("dense", sr=8000, normalize="mean")
    with pytest.raises(ValueError, match="pitch_semitones .* needs augment"):
        build_pipeline("cnn", sr=8000, segment_seconds=1.0, pitch_semitones=2.0)


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
    pipeline = _pipeline(model)
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
    # The class prints as a plain value, not as np.str_('music').
    _assert_one_line_error(status, err, "only one class (music)")


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


@pytest.mark.parametrize("suffix", [".tflite", ".onnx", ".keras"])
def test_out_refuses_export_formats_and_names_the_export_command(mss_dir, capsys, tmp_path,
                                                                 suffix):
    out = tmp_path / f"model{suffix}"
    status, _, err = _run(capsys, "train", str(mss_dir), "--out", str(out))
    _assert_one_line_error(status, err, "sklearn-audio export")
    assert not out.exists()


def test_out_may_not_be_a_folder(mss_dir, capsys, tmp_path):
    status, _, err = _run(capsys, "train", str(mss_dir), "--out", str(tmp_path))
    _assert_one_line_error(status, err, "is a folder")


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
    status, _, err = _run(capsys, "demo", "--data-home", str(tmp_path / "home"))
    # The message speaks of the command's flag, not of load_fsdd's data_home= argument,
    # and of the layout --data-home shares with $SKLEARN_AUDIO_DATA.
    _assert_one_line_error(status, err, "--data-home", "network is unreachable",
                           str(tmp_path / "home" / "fsdd"), "DIR/fsdd/recordings/")
    assert "data_home=" not in err


@pytest.mark.slow
def test_demo_on_a_small_copy(fsdd_dir, tmp_path, capsys):
    """The README's main job, shortened: a subset of FSDD, two epochs."""
    recordings = tmp_path / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    for path in sorted((fsdd_dir / "recordings").glob("*_jackson_*.wav")):
        index = int(path.stem.split("_")[2])
        if index < 5 or index % 5 == 0:
            shutil.copy(path, recordings / path.name)
    status, out, _ = _run(capsys, "demo", "--data-home", str(tmp_path), "--epochs", "2",
                          "--out-dir", str(tmp_path / "out"))
    assert status == 0
    assert "Test set (official split)" in out and "accuracy" in out
    assert "training: ran all 2 epochs" in out
    assert (tmp_path / "out" / "fsdd_cnn.skaudio").is_file()


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
    assert "segments: clips of 1.0 to 1.0 s" in out and "whole clips, the default" in out
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


# -- defaults from the evidence, every training knob a flag, report.json ----------------------

TRAIN_FLAGS = {
    "--epochs": ("epochs", "6", 6),
    "--patience": ("patience", "2", 2),
    "--min-epochs": ("min_epochs", "1", 1),
    "--learning-rate": ("learning_rate", "0.004", 0.004),
    "--lr-schedule": ("lr_schedule", "constant", "constant"),
    "--batch-size": ("batch_size", "8", 8),
    "--validation-fraction": ("validation_fraction", "0.34", 0.34),
    "--mixup": ("mixup", "0.2", 0.2),
    "--random-state": ("random_state", "3", 3),
}


@pytest.fixture(scope="module")
def flagged_run(tmp_path_factory):
    """One ``train`` of the default (auto) model with every common training flag set.

    12 clips of 1 s per class, 9 of them for training: the validation split
    (0.34) holds 3 clips per class, enough for early stopping to judge.
    """
    root = tmp_path_factory.mktemp("flagged")
    data = _tones(root / "data", seconds=1.0, per_class=12)
    model = root / "out" / "model.joblib"
    argv = ["train", str(data), "--sr", "8000", "--test-size", "0.25", "--out", str(model)]
    for flag, (_, text, _) in TRAIN_FLAGS.items():
        argv += [flag, text]
    assert main(argv) == 0
    report = json.loads((root / "out" / "model.report.json").read_text())
    return {"data": data, "model": model, "report": report,
            "pipeline": _pipeline(model)}


@pytest.mark.parametrize("flag", TRAIN_FLAGS)
def test_training_flag_reaches_the_classifier(flagged_run, flag):
    param, _, value = TRAIN_FLAGS[flag]
    assert flagged_run["pipeline"].named_steps["clf"].get_params()[param] == value
    assert flagged_run["report"]["parameters"]["classifier"][param] == value


def test_report_records_training_model_choice_and_test_files(flagged_run):
    report, clf = flagged_run["report"], flagged_run["pipeline"].named_steps["clf"]
    training = report["training"]
    assert training["epochs_run"] == clf.n_epochs_ and training["max_epochs"] == 6
    assert training["best_epoch"] == clf.best_epoch_ is not None  # early stopping judged
    assert training["early_stopping"] is True and training["seconds"] > 0
    assert report["model"] == "dense"
    assert report["model_choice"]["requested"] == "auto"
    assert report["model_choice"]["training_clips"] == 18
    assert "fewer than 1000" in report["model_choice"]["reason"]
    assert report["segment_seconds"] is None and "whole clips" in report["segmenting"]["reason"]
    assert report["parameters"]["augment"] == 0 and report["parameters"]["test_size"] == 0.25
    files = report["test_files"]
    assert len(files) == 6 and sorted({Path(f["file"]).parent.name for f in files}) == [
        "high", "low"]
    for row in files:
        assert row["true"] == ("low" if "/low" in row["file"] else "high")
    # The predicted labels are those the report's confusion matrix counts.
    correct = sum(row["true"] == row["predicted"] for row in files)
    assert correct / len(files) == pytest.approx(report["test"]["accuracy"])


def test_predict_takes_folders_recursively(flagged_run, tmp_path, capsys):
    data = _tones(tmp_path / "data", seconds=1.0, per_class=3, nested=True)
    status, out, _ = _run(capsys, "predict", str(flagged_run["model"]), str(data / "high"),
                          str(data / "low" / "low0.wav"), "--json")
    assert status == 0
    rows = json.loads(out)
    # The folder's files in path order (high2.wav is one folder down), then the named file.
    assert [str(Path(row["file"]).relative_to(data)) for row in rows] == [
        "high/deeper/high2.wav", "high/high0.wav", "high/high1.wav", "low/low0.wav"]
    assert all(type(row["label"]) is str for row in rows)


def test_predict_and_evaluate_check_paths_before_loading_the_model(tmp_path, capsys, monkeypatch):
    from sklearn_audio.cli._model_file import save_model

    model = str(tmp_path / "m.joblib")
    save_model(model, build_pipeline("dense", sr=8000))

    def no_loading(path, **kwargs):
        raise AssertionError("the model was loaded before the paths were checked")

    from sklearn_audio.cli import _model_file

    monkeypatch.setattr(_model_file, "load_model", no_loading)
    status, _, err = _run(capsys, "predict", model, str(tmp_path / "gone"))
    _assert_one_line_error(status, err, "no such file or folder", "gone")
    (tmp_path / "empty").mkdir()
    status, _, err = _run(capsys, "predict", model, str(tmp_path / "empty"))
    _assert_one_line_error(status, err, "no audio files in folder")
    status, _, err = _run(capsys, "evaluate", model, str(tmp_path / "gone"))
    _assert_one_line_error(status, err, "gone")


def test_auto_model_is_dense_below_the_threshold_and_cnn_from_it(tmp_path, capsys, monkeypatch):
    data = _tones(tmp_path / "data", seconds=0.5, per_class=4)
    argv = ["train", str(data), "--sr", "8000", "--epochs", "1", "--test-size", "0.5"]
    status, out, _ = _run(capsys, *argv, "--out", str(tmp_path / "small.joblib"))
    assert status == 0 and "model: dense (4 training clips, fewer than 1000" in out
    pipeline = _pipeline(tmp_path / "small.joblib")
    assert type(pipeline.named_steps["clf"]).__name__ == "DenseClassifier"
    assert pipeline.named_steps["mfcc"].output == "stats"

    monkeypatch.setattr(_pipelines, "AUTO_CNN_MIN_CLIPS", 4)
    status, out, _ = _run(capsys, *argv, "--out", str(tmp_path / "large.joblib"))
    assert status == 0 and "model: cnn (4 training clips, 4 or more" in out
    pipeline = _pipeline(tmp_path / "large.joblib")
    assert type(pipeline.named_steps["clf"]).__name__ == "CNNClassifier"
    assert json.loads((tmp_path / "large.report.json").read_text())["model"] == "cnn"


@pytest.mark.parametrize(
    "seconds, flag, expected",
    [(7.0, [], 3.0), (7.0, ["--segment-seconds", "0"], None), (2.0, [], None)],
    ids=["long-clips-segmented", "whole-on-request", "short-clips-whole"],
)
def test_long_clips_are_segmented_by_default(tmp_path, capsys, seconds, flag, expected):
    data = _tones(tmp_path / "data", seconds=seconds, per_class=2)
    model = tmp_path / "m.joblib"
    status, out, _ = _run(capsys, "train", str(data), "--sr", "8000", "--model", "dense",
                          "--epochs", "1", "--test-size", "0.5", *flag, "--out", str(model))
    assert status == 0
    steps = _pipeline(model).named_steps
    if expected is None:
        assert "seg" not in steps and "segments: " in out and "whole clips" in out
    else:
        assert steps["seg"].segment_seconds == expected
        assert "3-s segments, the default for clips longer than 6 s" in out
    assert json.loads((tmp_path / "m.report.json").read_text())["segment_seconds"] == expected


def test_no_early_stopping_runs_all_epochs_on_every_clip(tmp_path, capsys):
    # Labels with nothing to learn: early stopping with patience 1 stops at once...
    data = _tones(tmp_path / "data", seconds=0.5, per_class=8, labels="random")
    argv = ["train", str(data), "--sr", "8000", "--model", "dense", "--epochs", "12",
            "--test-size", "0.25", "--validation-fraction", "0.5"]
    status, out, _ = _run(capsys, *argv, "--patience", "1", "--min-epochs", "0",
                          "--out", str(tmp_path / "es.joblib"))
    assert status == 0
    stopped = json.loads((tmp_path / "es.report.json").read_text())["training"]
    assert stopped["stopped_early"] and stopped["epochs_run"] < 12
    assert (f"stopped early at epoch {stopped['epochs_run']} of 12, "
            f"best epoch {stopped['best_epoch']}") in out
    # ... and --no-early-stopping runs every epoch, whatever the validation loss does.
    status, out, _ = _run(capsys, *argv[:-2], "--no-early-stopping",
                          "--out", str(tmp_path / "all.joblib"))
    assert status == 0 and "ran all 12 epochs (no early stopping)" in out
    training = json.loads((tmp_path / "all.report.json").read_text())["training"]
    assert training["epochs_run"] == 12 and training["best_epoch"] is None
    clf = _pipeline(tmp_path / "all.joblib").named_steps["clf"]
    assert clf.early_stopping is False and clf.n_epochs_ == 12
    # Without --validation-fraction it trains on every clip: no validation loss at all.
    status, _, _ = _run(capsys, *argv[:-2], "--no-early-stopping",
                        "--out", str(tmp_path / "every.joblib"))
    clf = _pipeline(tmp_path / "every.joblib").named_steps["clf"]
    assert clf.validation_fraction == 0 and "val_loss" not in clf.history_


def test_frame_flags_and_augment_reach_the_cnn(tmp_path, capsys):
    data = _tones(tmp_path / "data", seconds=1.0, per_class=3)
    model = tmp_path / "m.joblib"
    status, out, _ = _run(
        capsys, "train", str(data), "--sr", "8000", "--model", "cnn", "--epochs", "1",
        "--segment-seconds", "0.5", "--time-masks", "2", "--freq-masks", "1", "--augment", "2",
        "--pitch-shift", "2", "--normalize", "mean",
        "--random-state", "5", "--test-size", "0.34", "--out", str(model),
    )
    assert status == 0
    steps = _pipeline(model).named_steps
    assert [steps["clf"].time_masks, steps["clf"].freq_masks] == [2, 1]
    aug = steps["aug"]
    assert type(aug).__name__ == "WaveformAugmenter"
    assert (aug.n_copies, aug.sr, aug.random_state) == (2, 8000, 5)
    assert (aug.pitch_semitones, aug.p_pitch) == (2.0, 0.5)
    assert steps["mfcc"].normalize == "mean"
    # Augmentation is a training-only step, before the features.
    assert list(steps) == ["load", "seg", "aug", "mfcc", "clf"]
    parameters = json.loads((tmp_path / "m.report.json").read_text())["parameters"]
    assert (parameters["augment"], parameters["pitch_shift"], parameters["normalize"]) == (
        2, 2.0, "mean")


def test_without_the_flags_no_normalisation_or_pitch_shift(tmp_path, capsys):
    data = _tones(tmp_path / "data", seconds=1.0, per_class=3)
    model = tmp_path / "m.joblib"
    status, _, _ = _run(
        capsys, "train", str(data), "--sr", "8000", "--model", "cnn", "--epochs", "1",
        "--segment-seconds", "0.5", "--augment", "1", "--test-size", "0.34", "--out", str(model),
    )
    assert status == 0
    steps = _pipeline(model).named_steps
    assert steps["mfcc"].normalize is None and steps["aug"].pitch_semitones is None


@pytest.mark.parametrize(
    "flags, fragments",
    [
        (["--no-early-stopping", "--patience", "3"], ["--patience", "--no-early-stopping"]),
        (["--no-early-stopping", "--min-epochs", "3"], ["--min-epochs", "--no-early-stopping"]),
        (["--validation-fraction", "0", "--min-epochs", "3"],
         ["--min-epochs", "--validation-fraction 0"]),
        (["--early-stopping", "--validation-fraction", "0"],
         ["--early-stopping", "--validation-fraction 0"]),
        (["--epochs", "5", "--min-epochs", "5"], ["--min-epochs 5", "--epochs (5)"]),
        (["--min-epochs", "100"], ["--min-epochs 100", "--epochs (100)"]),
        (["--model", "cnn", "--augment", "1", "--segment-seconds", "0"],
         ["--augment", "--segment-seconds 0"]),
        (["--model", "cnn", "--augment", "1"], ["--augment", "--segment-seconds S"]),
        (["--model", "dense", "--time-masks", "2"], ["--time-masks", "--model dense"]),
        (["--freq-masks", "1"], ["--freq-masks", "--model auto chose dense for 2 training"]),
        (["--model", "dense", "--augment", "1", "--segment-seconds", "0.5"],
         ["--augment", "--model cnn or lstm"]),
        (["--model", "dense", "--normalize", "mean"], ["--normalize", "--model cnn or lstm"]),
        (["--model", "cnn", "--pitch-shift", "2"], ["--pitch-shift", "--augment N"]),
    ],
)
def test_flag_combinations_that_cannot_work_name_the_flag(tmp_path, capsys, flags, fragments):
    data = _tones(tmp_path / "data", seconds=0.5, per_class=2)
    status, _, err = _run(capsys, "train", str(data), "--sr", "8000", "--test-size", "0.5",
                          *flags, "--out", str(tmp_path / "m.joblib"))
    _assert_one_line_error(status, err, *fragments)
    assert not (tmp_path / "m.joblib").exists()


@pytest.mark.parametrize("flag", ["--validation-fraction", "--mixup", "--augment"])
def test_negative_training_values_are_argparse_errors(capsys, flag):
    with pytest.raises(SystemExit) as exc:
        main(["train", "x", "--out", "m.joblib", flag, "-1"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and flag in err and "must be" in err


@pytest.mark.parametrize("family", ["CNNClassifier", "LSTMClassifier", "DenseClassifier"])
def test_help_defaults_are_the_classifiers(family):
    import inspect

    from sklearn_audio import models

    signature = inspect.signature(getattr(models, family))
    defaults = {name: p.default for name, p in signature.parameters.items()}
    for name, value in _pipelines.CLASSIFIER_DEFAULTS.items():
        if name in _pipelines.FRAME_ONLY_PARAMS and family == "DenseClassifier":
            assert name not in defaults
        else:
            assert defaults[name] == value, name


def test_progress_bar_leaves_the_model_alone():
    """The bar reads the logs only, so fits with it may run on a reused trainer."""
    from sklearn_audio.cli._progress import epoch_progress_bar
    from sklearn_audio.models._training import uses_model

    bar = epoch_progress_bar()
    assert not uses_model(bar)
    assert not uses_model(copy.deepcopy(bar))  # estimators clone their callbacks
