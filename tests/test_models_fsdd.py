"""End to end on real speech: FSDD spoken digits, paths in, digits out.

A subset of the official split (test = recording indexes 0-4) and a small
network keep this to seconds; ``benchmarks/fsdd.py`` runs the full data
with default parameters.
"""

import re

import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from sklearn_audio.features import MFCCTransformer
from sklearn_audio.io import AudioLoader
from sklearn_audio.models import CNNClassifier, DenseClassifier

NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav$")


def fsdd_subset(fsdd_dir, train_indexes, test_indexes):
    paths, digits, indexes = [], [], []
    for path in sorted((fsdd_dir / "recordings").glob("*.wav")):
        digit, _, index = NAME.search(path.name).groups()
        paths.append(str(path))
        digits.append(int(digit))
        indexes.append(int(index))
    paths, digits, indexes = np.array(paths), np.array(digits), np.array(indexes)
    train, test = np.isin(indexes, train_indexes), np.isin(indexes, test_indexes)
    return paths[train], digits[train], paths[test], digits[test]


def mfcc(**kw):
    return MFCCTransformer(sr=8000, n_mfcc=13, n_fft=512, hop_length=128, **kw)


@pytest.mark.slow
def test_cnn_pipeline_learns_spoken_digits(fsdd_dir):
    X_train, y_train, X_test, y_test = fsdd_subset(fsdd_dir, range(5, 13), range(0, 3))
    assert len(X_train) == 480 and len(X_test) == 180  # 10 digits x 6 speakers
    pipe = Pipeline([
        ("load", AudioLoader(sr=8000)),
        ("mfcc", mfcc()),
        ("clf", CNNClassifier(filters=(16, 16), dense_units=32, epochs=20, random_state=0)),
    ]).fit(X_train, y_train)  # fmt: skip
    accuracy = accuracy_score(y_test, pipe.predict(X_test))
    # Chance is 0.1; this run scores 0.894 (480 clips, 20 epochs, random_state=0).
    assert accuracy > 0.85, accuracy
    assert set(pipe[-1].classes_) == set(range(10))
    assert len(pipe[-1].history_["val_accuracy"]) <= 20


@pytest.mark.slow
def test_dense_on_mfcc_statistics(fsdd_dir):
    X_train, y_train, X_test, y_test = fsdd_subset(fsdd_dir, range(5, 13), range(0, 3))
    pipe = Pipeline([
        ("mfcc", mfcc(output="stats")),  # paths go straight to the transformer
        ("clf", DenseClassifier(hidden_layer_sizes=(64,), epochs=30, random_state=0)),
    ]).fit(X_train, y_train)  # fmt: skip
    accuracy = accuracy_score(y_test, pipe.predict(X_test))
    assert accuracy > 0.88, accuracy  # 0.928 measured; chance is 0.1
