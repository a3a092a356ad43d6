"""Music genre on GTZAN: 3-s segments, CNN vs LSTM, per-segment vs per-song accuracy.

Run::

    python examples/music_genre_gtzan.py GTZAN_FOLDER [--epochs N] [--segment-seconds S]

``GTZAN_FOLDER`` is the copy you already have (``genres/<genre>/<genre>.000NN.au``
or ``.wav``); it is not downloaded.

The split is by song: one row is one song, its segments are an axis, so no
segment of a test song is ever seen in training. Notebooks that segment first
and split afterwards put segments of the same song on both sides and report
accuracies the model cannot reach on new music. Features are extracted once
and shared by both networks.
"""

import argparse

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, CNNClassifier, LSTMClassifier, MFCCTransformer, RawSegmenter
from sklearn_audio.datasets import load_gtzan
from sklearn_audio.segment import segment_mask


def per_segment_accuracy(classifier, features, y):
    """Each real segment classified on its own, against its song's genre."""
    real = segment_mask(features, example_ndim=2)
    segments = features[real]
    labels = np.repeat(y, real.sum(axis=1))
    return float(np.mean(classifier.predict(segments) == labels))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gtzan_folder")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--segment-seconds", type=float, default=3.0)
    parser.add_argument("--sr", type=int, default=22050)
    args = parser.parse_args()

    data = load_gtzan(args.gtzan_folder)
    X_train, X_test, y_train, y_test = train_test_split(
        data.filenames, data.target, test_size=0.2, stratify=data.target, random_state=0
    )
    features = Pipeline([
        ("load", AudioLoader(sr=args.sr, duration=30.0, verbose=True)),
        ("seg", RawSegmenter(segment_seconds=args.segment_seconds, sr=args.sr)),
        ("mfcc", MFCCTransformer(sr=args.sr, n_mfcc=13)),
    ])
    F_train = features.fit_transform(X_train)
    F_test = features.transform(X_test)
    print(f"{len(X_train)} training and {len(X_test)} test songs; features {F_train.shape[1:]} per song")

    for name, classifier in [
        ("CNN", CNNClassifier(epochs=args.epochs, random_state=0)),
        ("LSTM", LSTMClassifier(epochs=args.epochs, random_state=0)),
    ]:
        classifier.fit(F_train, y_train)
        song = classifier.score(F_test, y_test)
        segment = per_segment_accuracy(classifier, F_test, y_test)
        print(f"{name:5s} per-segment accuracy {segment:.3f}   per-song accuracy {song:.3f}")


if __name__ == "__main__":
    main()
