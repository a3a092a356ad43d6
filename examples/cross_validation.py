"""Cross-validation by speaker: every SCORING metric as mean ± std over folds.

Run::

    python examples/cross_validation.py [--data-home FSDD_FOLDER] [--epochs N] [--folds K]

Grouping the folds by speaker measures how the model does on voices it has
never heard, which a plain shuffled split (the same speaker on both sides)
overstates.
"""

import argparse

from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, DenseClassifier, MFCCTransformer
from sklearn_audio.datasets import load_fsdd
from sklearn_audio.metrics import cross_validate_report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--per-class", type=int, default=None,
                        help="use only the first N recordings of each digit and speaker")
    args = parser.parse_args()

    data = load_fsdd(data_home=args.data_home)
    keep = data.index < args.per_class if args.per_class else slice(None)
    X, y, speakers = data.filenames[keep], data.target[keep], data.speaker[keep]
    pipe = Pipeline([
        ("load", AudioLoader(sr=8000)),
        ("mfcc", MFCCTransformer(sr=8000, n_fft=512, hop_length=128, delta=1, output="stats")),
        ("clf", DenseClassifier(epochs=args.epochs, random_state=0)),
    ])
    print(f"{len(X)} recordings, {len(set(speakers))} speakers, {args.folds} folds grouped by speaker")
    print(cross_validate_report(pipe, X, y, cv=args.folds, groups=speakers))


if __name__ == "__main__":
    main()
