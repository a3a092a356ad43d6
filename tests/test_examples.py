"""Every script in examples/ runs to the end on real (or, for GTZAN, synthetic) audio."""

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO_ROOT, tone

EXAMPLES = REPO_ROOT / "examples"


def _run_example(name, *args, cwd, data_root):
    env = dict(os.environ, SKLEARN_AUDIO_DATA=str(data_root), MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def small_fsdd(fsdd_dir, tmp_path):
    """Two recordings per digit and speaker in the test split, three in training."""
    recordings = tmp_path / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    for path in (fsdd_dir / "recordings").glob("*.wav"):
        if int(path.stem.split("_")[2]) in (0, 1, 5, 6, 7):
            os.symlink(path, recordings / path.name)
    return tmp_path / "fsdd"


@pytest.mark.slow
def test_spoken_digits(small_fsdd, data_root, tmp_path):
    out = _run_example("spoken_digits_fsdd.py", "--data-home", str(small_fsdd), "--epochs", "2",
                       "--out-dir", "plots", cwd=tmp_path, data_root=data_root)
    assert "accuracy" in out
    assert (tmp_path / "plots" / "confusion_matrix.png").stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("model", ["cnn", "dense"])
def test_folder_per_class(mss_dir, data_root, tmp_path, model):
    out = _run_example("folder_per_class.py", str(mss_dir), "--model", model, "--epochs", "2",
                       cwd=tmp_path, data_root=data_root)
    assert "accuracy" in out
    assert (tmp_path / "folder_output" / "roc.png").stat().st_size > 0


@pytest.mark.slow
def test_cross_validation(small_fsdd, data_root, tmp_path):
    out = _run_example("cross_validation.py", "--data-home", str(small_fsdd), "--epochs", "2",
                       "--folds", "2", "--per-class", "2", cwd=tmp_path, data_root=data_root)
    assert "f1_macro" in out


@pytest.mark.slow
def test_sweeps(small_fsdd, data_root, tmp_path):
    out = _run_example("learning_rate_and_layer_sweeps.py", "--data-home", str(small_fsdd),
                       "--epochs", "1", "--per-class", "2", cwd=tmp_path, data_root=data_root)
    assert "best:" in out
    assert (tmp_path / "sweep_output" / "learning_rate.png").stat().st_size > 0


@pytest.mark.slow
def test_music_genre_on_a_synthetic_gtzan_layout(data_root, tmp_path):
    rng = np.random.default_rng(0)
    for genre, base in (("blues", 220.0), ("metal", 880.0)):
        folder = tmp_path / "gtzan" / "genres" / genre
        folder.mkdir(parents=True)
        for k in range(5):
            clip = tone(base * (1 + 0.05 * k), seconds=4.0, sr=8000)
            sf.write(folder / f"{genre}.{k:05d}.wav", clip + 0.01 * rng.standard_normal(len(clip)),
                     8000)
    out = _run_example("music_genre_gtzan.py", str(tmp_path / "gtzan"), "--epochs", "2",
                       "--sr", "8000", "--segment-seconds", "1", cwd=tmp_path, data_root=data_root)
    assert "per-song accuracy" in out and out.count("per-segment") == 2


@pytest.mark.slow
def test_tuning_grid_vs_optuna(mss_dir, data_root, tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "tuning_grid_vs_optuna.py"), "--help"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 0
    flags = [flag for flag in ("--epochs", "--trials") if flag in result.stdout]
    args = [str(mss_dir)]
    for flag in flags:
        args += [flag, "1" if flag == "--epochs" else "2"]
    out = _run_example("tuning_grid_vs_optuna.py", *args, cwd=tmp_path, data_root=data_root)
    assert out.strip()
