"""Shared fixtures: where the real audio lives, and small synthetic signals."""

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _data_root():
    env = os.environ.get("SKLEARN_AUDIO_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_root():
    """Folder with the real data sets (``$SKLEARN_AUDIO_DATA`` or ``../shared/data``).

    In CI (``CI`` set) a missing folder is an error; elsewhere the tests that
    need real audio are skipped with the reason.
    """
    root = _data_root()
    if not (root / "fsdd" / "recordings").is_dir():
        msg = f"real audio not found at {root}; set SKLEARN_AUDIO_DATA"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return root


@pytest.fixture(scope="session")
def fsdd_dir(data_root):
    return data_root / "fsdd"


@pytest.fixture(scope="session")
def mss_dir(data_root):
    """The tiny music / speech / silence folder-per-class data set."""
    return data_root / "music_speech_silence"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def tone(freq=440.0, seconds=1.0, sr=8000, amplitude=0.5):
    """A float32 sine wave: the simplest signal with known content."""
    t = np.arange(int(round(seconds * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# The front-end transformers accept clips of any length at transform, by design:
# they are padded or truncated to the frame (or segment) count fixed at fit (test
# clips are rarely exactly as long as training clips, and AudioLoader gives a 2-D
# array whenever a batch happens to be of equal length). So transform cannot reject
# a 2-D input with another number of samples per clip, which is the LAST assertion
# of each of these two scikit-learn checks: every step before it (n_features_in_
# set at fit; fit_transform equal to fit().transform(), repeatable, right number of
# rows) must pass, so each check must fail with exactly that message and nothing else.
ONLY_FAILS_ON_OTHER_CLIP_LENGTHS = {
    "check_n_features_in_after_fitting": (
        r"transform\(\)` does not check for consistency between input number\s+of features"
    ),
    "check_transformer_general": (
        "does not raise an error when the number of features in transform is different"
    ),
}


def run_front_end_check(estimator, check):
    """Run a scikit-learn check; the two above must fail with exactly their last assertion."""
    import functools

    func = check
    while isinstance(func, functools.partial):
        func = func.func
    reason = ONLY_FAILS_ON_OTHER_CLIP_LENGTHS.get(func.__name__)
    if reason is None:
        check(estimator)
    else:
        with pytest.raises(AssertionError, match=reason):
            check(estimator)
