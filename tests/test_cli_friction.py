"""What a new user of the command tripped over, each fixed: help, messages, flags, defaults."""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from sklearn_audio.cli import _commands, build_parser, main


def _subcommands(parser):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action, action.choices


def test_every_command_and_argument_has_help():
    action, commands = _subcommands(build_parser())
    summaries = {choice.dest: choice.help for choice in action._choices_actions}
    assert set(commands) == {"train", "evaluate", "predict", "export", "tags", "tune", "demo"}
    for name, command in commands.items():
        assert summaries[name], name
        assert command.description, name
        for argument in command._actions:
            if not isinstance(argument, argparse._HelpAction):
                assert argument.help, f"{name} {argument.option_strings or argument.dest}"


def test_defaults_print_as_values():
    _, commands = _subcommands(build_parser())
    text = commands["train"].format_help()
    for shown in ("(default: 100)", "(default: 10)", "(default: 0.001)", "(default: 32)"):
        assert shown in text
    assert "model's" not in text


@pytest.mark.parametrize("command", ["evaluate", "predict", "export"])
def test_trust_says_why(command):
    _, commands = _subcommands(build_parser())
    help_text = " ".join(commands[command].format_help().split())
    assert "--trust" in help_text and "run any code" in help_text


def _labelled(root, classes=("low", "high"), per_class=3, seconds=0.5, sr=8000):
    rng = np.random.default_rng(0)
    for c, label in enumerate(classes):
        (root / label).mkdir(parents=True)
        for k in range(per_class):
            wave = 0.3 * np.sin(2 * np.pi * (300 + 900 * c) * np.arange(int(seconds * sr)) / sr)
            wave += 0.02 * rng.normal(size=wave.size)
            soundfile.write(root / label / f"{label}{k}.wav", wave.astype(np.float32), sr)
    return root


@pytest.mark.slow
def test_tensorflow_start_up_lines_are_silenced(tmp_path):
    data = _labelled(tmp_path / "data")
    command = [sys.executable, "-m", "sklearn_audio", "train", str(data), "--sr", "8000",
               "--model", "dense", "--epochs", "1", "--test-size", "0.5",
               "--out", str(tmp_path / "m.joblib")]
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    for noise in ("absl::InitializeLog", "cudart_stub", "cuInit", "I0000", "E0000"):
        assert noise not in quiet.stderr
    # A level the user set is theirs: nothing is hidden then.
    loud = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert loud.returncode == 0
    if "absl::InitializeLog" not in loud.stderr and "cuda" not in loud.stderr.lower():
        pytest.skip("this TensorFlow build prints no start-up lines to hide")


def test_an_in_process_command_leaves_the_logging_state_as_found(tmp_path, monkeypatch,
                                                                 capsys):
    # main() in a notebook or a test: the environment and absl's verbosity come back.
    from absl import logging as absl_logging

    data = _labelled(tmp_path / "data")
    for level in (None, "1"):
        if level is None:
            monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
        else:
            monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", level)
        absl_logging.set_verbosity(absl_logging.INFO)
        status = main(["train", str(data), "--sr", "8000", "--model", "dense", "--epochs", "1",
                       "--test-size", "0.5", "--out", str(tmp_path / "m.skaudio")])
        assert status == 0, capsys.readouterr().err
        assert os.environ.get("TF_CPP_MIN_LOG_LEVEL") == level
        assert absl_logging.get_verbosity() == absl_logging.INFO
    absl_logging.set_verbosity(absl_logging.WARNING)


def test_fsdd_data_home_is_the_level_of_sklearn_audio_data(tmp_path, monkeypatch, capsys):
    seen = []

    def fake_load_fsdd(data_home=None):
        seen.append(data_home)
        raise RuntimeError("stop here")

    monkeypatch.setattr(_commands, "load_fsdd", fake_load_fsdd)
    with pytest.raises(RuntimeError):
        main(["demo", "--data-home", str(tmp_path)])
    assert seen == [tmp_path / "fsdd"]
    # The layout --data-home had before (recordings/ directly inside) is still read, with a note.
    (tmp_path / "old" / "recordings").mkdir(parents=True)
    with pytest.raises(RuntimeError):
        main(["demo", "--data-home", str(tmp_path / "old")])
    assert seen[-1] == tmp_path / "old"
    assert "--data-home takes the folder holding fsdd/recordings/" in capsys.readouterr().err


@pytest.mark.slow  # imports Keras
def test_early_stopping_ends_the_epoch_bar_with_what_happened(capsys):
    from sklearn_audio.cli._progress import epoch_progress_bar

    bar = epoch_progress_bar()
    bar.params = {"epochs": 100}
    bar.on_train_begin()
    for epoch in range(24):
        bar.on_epoch_end(epoch, {"loss": 0.5})
    shown = bar._bar
    bar.on_train_end()
    assert shown.total == 24 and "stopped early at epoch 24" in shown.desc


@pytest.mark.slow
def test_evaluate_on_a_subset_of_the_classes_names_them(tmp_path, capsys):
    data = _labelled(tmp_path / "data", classes=("low", "mid", "high"), per_class=4)
    model = tmp_path / "m.joblib"
    assert main(["train", str(data), "--sr", "8000", "--model", "dense", "--epochs", "1",
                 "--test-size", "0.5", "--validation-fraction", "0",
                 "--out", str(model)]) == 0
    capsys.readouterr()
    shutil.rmtree(data / "high")
    shutil.rmtree(data / "mid")
    with _no_undefined_metric_warning():
        assert main(["evaluate", str(model), str(data)]) == 0
    captured = capsys.readouterr()
    assert "macro avg (present)" in captured.out
    assert "holds no file of high, mid" in captured.err
    assert main(["evaluate", str(model), str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["absent_labels"] == ["high", "mid"]
    # Over the one class present, the macro recall is that class's recall.
    low = report["labels"].index("low")
    assert report["present_macro_avg"]["recall"] == report["per_class"]["recall"][low]


class _no_undefined_metric_warning:
    """Fails if an UndefinedMetricWarning escapes: the command words it itself."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self._seen = self._catch.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        from sklearn.exceptions import UndefinedMetricWarning

        self._catch.__exit__(*exc)
        leaked = [w for w in self._seen if issubclass(w.category, UndefinedMetricWarning)]
        assert not leaked, leaked[0].message


def test_messages_print_plain_values(tmp_path, capsys):
    data = _labelled(tmp_path / "data", classes=("music",))
    status = main(["train", str(data), "--out", str(tmp_path / "m.joblib")])
    err = capsys.readouterr().err
    assert status == 1 and "(music)" in err and "np.str_" not in err


def test_unreadable_file_stops_by_default_and_names_the_flag(tmp_path, capsys):
    data = _labelled(tmp_path / "data")
    (data / "low" / "empty.wav").write_bytes(b"")
    status = main(["train", str(data), "--sr", "8000", "--model", "dense", "--epochs", "1",
                   "--test-size", "0.5", "--out", str(tmp_path / "m.joblib")])
    err = capsys.readouterr().err
    assert status == 1 and "empty.wav" in err and "--skip-unreadable" in err
    assert not (tmp_path / "m.joblib").exists()


@pytest.mark.slow
def test_skip_unreadable_lists_and_records_the_skipped_files(tmp_path, capsys):
    data = _labelled(tmp_path / "data", per_class=4)
    (data / "low" / "empty.wav").write_bytes(b"")
    (data / "high" / "text.wav").write_text("not audio")
    status = main(["train", str(data), "--sr", "8000", "--model", "dense", "--epochs", "1",
                   "--test-size", "0.5", "--skip-unreadable", "--out", str(tmp_path / "m.joblib")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "8 files (2 unreadable skipped)" in captured.out
    assert "empty.wav" in captured.err and "text.wav" in captured.err
    skipped = json.loads((tmp_path / "m.report.json").read_text())["skipped_files"]
    assert sorted(Path(entry["file"]).name for entry in skipped) == ["empty.wav", "text.wav"]
    assert all(entry["reason"] for entry in skipped)
    # A file whose header reads but whose audio fails later is skipped too: the
    # loader decodes it as silence, with a warning naming it.
    from sklearn_audio import load_model

    assert load_model(tmp_path / "m.joblib").named_steps["load"].on_unreadable == "skip"


@pytest.mark.slow
def test_tune_writes_no_plots_unless_asked(tmp_path, capsys, monkeypatch):
    data = _labelled(tmp_path / "data", per_class=4)
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    status = main(["tune", str(data), "--model", "dense", "--sr", "8000", "--trials", "1",
                   "--epochs", "1", "--cv", "2"])
    out = capsys.readouterr().out
    assert status == 0
    assert set(os.listdir(tmp_path)) == before
    assert "--out-dir DIR writes the optimisation plots" in out
