"""Learning rate and layer sizes: GridSearchCV and Optuna side by side.

Usage::

    python examples/tuning_grid_vs_optuna.py                       # music / speech / silence
    python examples/tuning_grid_vs_optuna.py path/to/folder --model cnn --epochs 5 --trials 12

The data set is a folder per class (``root/<class>/<file>``); the default is
``$SKLEARN_AUDIO_DATA/music_speech_silence`` (else ``../shared/data/...``
next to the repository). Both searches tune the same pipeline,
``MFCCTransformer -> classifier`` (the MFCC step reads the files), over the
same two parameters, with every metric of ``SCORING`` and
``refit="f1_macro"``:

* ``GridSearchCV``: 2 learning rates x 2 layer sizes, every combination;
* ``AudioOptunaSearchCV``: ``--trials`` samples of a log-uniform learning
  rate and 4 layer sizes, with TPE and epoch-level pruning.

The features sit in a :class:`~sklearn_audio.tuning.CachedTransformer`, so
each file's MFCCs are computed once and shared by every fold and candidate
of both searches (the grid fills the cache; Optuna reads it). Small and quick by
default; raise ``--epochs`` and ``--trials`` for real use.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from optuna.distributions import FloatDistribution  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from _data import data_folder  # noqa: E402
from sklearn_audio import MFCCTransformer  # noqa: E402
from sklearn_audio.datasets import load_audio_folder  # noqa: E402
from sklearn_audio.metrics import SCORING  # noqa: E402
from sklearn_audio.tuning import AudioOptunaSearchCV, CachedTransformer  # noqa: E402

# Layer-size parameter and candidate sizes per classifier; the grid takes the first two.
SIZES = {
    "dense": ("hidden_layer_sizes", [(32,), (64, 32), (64,), (128, 64)]),
    "cnn": ("filters", [(8, 16), (16, 32), (16, 16), (32, 32)]),
    "lstm": ("units", [(16,), (32,), (32, 32), (64,)]),
}


def make_pipeline(model, sr, epochs, cache):
    from sklearn_audio import CNNClassifier, DenseClassifier, LSTMClassifier

    classifier = {"dense": DenseClassifier, "cnn": CNNClassifier, "lstm": LSTMClassifier}[model]
    # Dense networks take one summary vector per clip; CNNs and LSTMs the MFCC frames.
    output = "stats" if model == "dense" else "frames"
    # Given the paths, MFCCTransformer decodes the files itself: fitting it reads no
    # audio, so the cache's per-file rows are all a fold needs.
    features = MFCCTransformer(sr=sr, output=output)
    return Pipeline(
        [
            ("features", CachedTransformer(features, memory=cache)),
            ("clf", classifier(epochs=epochs, random_state=0)),
        ]
    )


def report(name, search, seconds, n_candidates):
    best = search.cv_results_
    i = search.best_index_
    scores = ", ".join(
        f"{metric} {best[f'mean_test_{metric}'][i]:.3f}" for metric in ("f1_macro", "accuracy")
    )
    params = ", ".join(
        f"{key.removeprefix('clf__')}={value:.2g}"
        if isinstance(value, float)
        else f"{key.removeprefix('clf__')}={value}"
        for key, value in search.best_params_.items()
    )
    print(f"{name:<20} {n_candidates:>3} candidates {seconds:7.1f} s   best: {params}")
    print(f"{'':<20} cross-validated {scores}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "data", nargs="?", default=str(data_folder("music_speech_silence")),
        help="folder per class",
    )
    parser.add_argument("--model", choices=sorted(SIZES), default="dense")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--sr", type=int, default=8000, help="sampling rate for the features")
    args = parser.parse_args()

    data = load_audio_folder(args.data)
    print(data.DESCR.strip())
    X, y = data.filenames, data.target
    sizes_param, sizes = SIZES[args.model]
    cv = StratifiedKFold(args.cv)  # the same folds for both searches, so they share the cache

    with tempfile.TemporaryDirectory(prefix="sklearn-audio-cache-") as cache:
        pipe = make_pipeline(args.model, args.sr, args.epochs, cache)

        grid = {"clf__learning_rate": [1e-3, 1e-2], f"clf__{sizes_param}": sizes[:2]}
        start = time.perf_counter()
        grid_search = GridSearchCV(pipe, grid, scoring=SCORING, refit="f1_macro", cv=cv).fit(X, y)
        report("GridSearchCV", grid_search, time.perf_counter() - start, 4)

        space = {
            "clf__learning_rate": FloatDistribution(1e-4, 3e-2, log=True),
            # Tuples are accepted here and stored by Optuna as "64-32".
            f"clf__{sizes_param}": sizes,
        }
        start = time.perf_counter()
        optuna_search = AudioOptunaSearchCV(
            pipe, space, n_trials=args.trials, cv=cv, refit="f1_macro", random_state=0
        ).fit(X, y)
        report("AudioOptunaSearchCV", optuna_search, time.perf_counter() - start, args.trials)
        pruned = sum(t.state.name == "PRUNED" for t in optuna_search.study_.trials)
        print(f"Optuna pruned {pruned} of {args.trials} trials on their validation loss.")


if __name__ == "__main__":
    main()
