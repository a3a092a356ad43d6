"""``train`` replaces its model, report.json and plots as one set: a kill leaves old or new.

The slow test kills real ``sklearn-audio train`` processes at several moments;
``SKLEARN_AUDIO_TEST_WRITE_PAUSE`` (test-only) makes ``train`` pause before each
write step and say so, so each kill lands where it is meant to.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from sklearn_audio.cli import _artifacts, main
from sklearn_audio.cli._artifacts import StagedSet, check_set, finish_interrupted


def _small_copy(mss_dir, dest, per_class=4):
    for name in ("music", "speech", "silence"):
        (dest / name).mkdir(parents=True)
        for path in sorted((mss_dir / name).glob("*.wav"))[:per_class]:
            shutil.copy(path, dest / name / path.name)
    return dest


TRAIN = ["--sr", "8000", "--model", "dense", "--epochs", "2", "--test-size", "0.5",
         "--validation-fraction", "0"]


def _model_sha(folder):
    return json.loads((folder / "m.report.json").read_text())["model_file"]["sha256"]


def _write(staged, name, text):
    path = staged.path_for(name)
    path.write_text(text)


def _staged_set(folder, tag, plots=("roc",)):
    staged = StagedSet(folder / "m.joblib")
    _write(staged, "m.joblib", f"model {tag}")
    for plot in plots:
        _write(staged, f"m.{plot}.png", f"{plot} {tag}")
    _write(staged, "m.report.json", f"report {tag}")
    return staged


def test_commit_replaces_the_whole_set_and_drops_plots_the_new_one_lacks(tmp_path):
    _staged_set(tmp_path, "old", plots=("roc", "confusion_matrix")).commit()
    _staged_set(tmp_path, "new", plots=("roc",)).commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m.joblib", "m.report.json", "m.roc.png"]
    assert {p.read_text().split()[1] for p in tmp_path.iterdir()} == {"new"}


def test_an_interrupted_commit_is_completed_by_the_next_command(tmp_path, monkeypatch):
    _staged_set(tmp_path, "old").commit()
    staged = _staged_set(tmp_path, "new")
    replace, done = os.replace, []

    def dies_after_one_rename(src, dst):
        if done:
            raise KeyboardInterrupt  # stands for the kill
        done.append(dst)
        replace(src, dst)

    monkeypatch.setattr(_artifacts.os, "replace", dies_after_one_rename)
    with pytest.raises(KeyboardInterrupt):
        staged.commit()
    monkeypatch.setattr(_artifacts.os, "replace", replace)
    # Half-way on disk: one file new, the model (renamed last) still old...
    assert (tmp_path / "m.joblib").read_text() == "model old"
    assert finish_interrupted(tmp_path / "m.joblib")
    # ... and completed by the next command, staging files gone.
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == [
        "model new", "report new", "roc new"]


def test_a_set_killed_before_its_commit_leaves_the_old_one(tmp_path):
    _staged_set(tmp_path, "old").commit()
    _staged_set(tmp_path, "new")  # never committed: the process died
    assert not finish_interrupted(tmp_path / "m.joblib", remove_staged=True)
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == [
        "model old", "report old", "roc old"]


def test_a_reader_leaves_the_staged_files_of_a_running_train(tmp_path):
    _staged_set(tmp_path, "old").commit()
    writing = _staged_set(tmp_path, "new")  # a train still staging its set
    # predict, evaluate or export meanwhile: they must not touch the staged files.
    assert not finish_interrupted(tmp_path / "m.joblib")
    writing.commit()
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == [
        "model new", "report new", "roc new"]


def test_a_commit_whose_staged_files_vanished_keeps_the_old_set(tmp_path):
    _staged_set(tmp_path, "old").commit()
    writing = _staged_set(tmp_path, "new")
    next(p for p in tmp_path.iterdir() if p.name.endswith(".staged.joblib")).unlink()
    with pytest.raises(RuntimeError, match="disappeared"):
        writing.commit()
    writing.discard()
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == [
        "model old", "report old", "roc old"]


def _train_killed_at(data, folder, marker):
    """Run ``train`` into ``folder`` and SIGKILL it when ``marker`` is printed."""
    env = {**os.environ, "SKLEARN_AUDIO_TEST_WRITE_PAUSE": "0.3"}
    command = [sys.executable, "-m", "sklearn_audio", "train", str(data), *TRAIN,
               "--random-state", "7", "--out", str(folder / "m.joblib")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)
    seen = []
    deadline = time.monotonic() + 240
    try:
        for line in process.stdout:
            seen.append(line)
            if marker in line:
                process.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "".join(seen)
        else:
            pytest.fail(f"train ended without printing {marker!r}:\n{''.join(seen)}")
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_killing_a_real_train_leaves_the_old_or_the_new_set(mss_dir, tmp_path, capsys):
    data = _small_copy(mss_dir, tmp_path / "data")
    first = tmp_path / "first"
    assert main(["train", str(data), *TRAIN, "--out", str(first / "m.joblib")]) == 0
    assert check_set(first / "m.joblib") == []
    old = _model_sha(first)
    # (kill when this line appears, the set the folder must hold afterwards)
    moments = [
        ("model: dense", "old"),                    # during training
        ("test-hook: report", "old"),               # model and plots staged, no report yet
        ("test-hook: rename m.joblib", "new"),      # committed; all renamed but the model
    ]
    for k, (marker, expected) in enumerate(moments):
        folder = tmp_path / f"run{k}"
        shutil.copytree(first, folder)
        _train_killed_at(data, folder, marker)
        # What the next command sees: the old set or the new one, consistent.
        finish_interrupted(folder / "m.joblib")
        assert check_set(folder / "m.joblib") == [], marker
        assert (_model_sha(folder) == old) == (expected == "old"), marker
        assert main(["evaluate", str(folder / "m.joblib"), str(data)]) == 0, marker
        capsys.readouterr()
        # Staged leftovers of the killed run are removed by the next train, before it stages.
        finish_interrupted(folder / "m.joblib", remove_staged=True)
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".")], marker
        assert check_set(folder / "m.joblib") == [], marker
