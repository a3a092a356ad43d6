"""Spoken digits: the CNN pipeline on the Free Spoken Digit Dataset's official split.

Run::

    python examples/spoken_digits_fsdd.py [--data-home FSDD_FOLDER] [--epochs N] [--out-dir DIR]

FSDD (CC BY-SA 4.0, Zohar Jackson and contributors) is read from
``--data-home``, ``$SKLEARN_AUDIO_DATA/fsdd``, the cache, or downloaded once.
Recordings 0-4 of every speaker and digit are the test set.
"""

import argparse
from pathlib import Path

from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, CNNClassifier, MFCCTransformer
from sklearn_audio.datasets import load_fsdd
from sklearn_audio.metrics import ConfusionMatrixDisplay, TrainingHistoryDisplay, evaluate, save_figure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--epochs", type=int, default=None, help="default: the classifier's")
    parser.add_argument("--out-dir", default="fsdd_output")
    args = parser.parse_args()

    data = load_fsdd(data_home=args.data_home)
    train, test = ~data.test_mask, data.test_mask
    clf_params = {"random_state": 0} | ({"epochs": args.epochs} if args.epochs else {})
    pipe = Pipeline([
        ("load", AudioLoader(sr=8000)),
        ("mfcc", MFCCTransformer(sr=8000, n_mfcc=13, n_fft=512, hop_length=128)),
        ("clf", CNNClassifier(**clf_params)),
    ])
    pipe.fit(data.filenames[train], data.target[train])
    report = evaluate(pipe, data.filenames[test], data.target[test])
    print(report)

    out = Path(args.out_dir)
    save_figure(ConfusionMatrixDisplay.from_report(report), out / "confusion_matrix.png")
    save_figure(TrainingHistoryDisplay.from_estimator(pipe), out / "history.png")
    print(f"plots written to {out}/")


if __name__ == "__main__":
    main()
