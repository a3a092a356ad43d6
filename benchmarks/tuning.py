"""Feature caching in a hyperparameter sweep: 8 candidates, cached against uncached, one run.

Usage::

    python benchmarks/tuning.py                 # all 3,000 FSDD recordings, DenseClassifier
    python benchmarks/tuning.py --model cnn     # CNNClassifier on MFCC frames
    python benchmarks/tuning.py --model mlp     # scikit-learn's MLPClassifier (no TensorFlow)
    python benchmarks/tuning.py --quick         # 600 recordings: a smoke run

Real audio: the Free Spoken Digit Dataset, read from
``$SKLEARN_AUDIO_DATA/fsdd/recordings`` (else ``../shared/data/fsdd/recordings``
next to the repository). The pipeline is ``MFCCTransformer(sr=8000,
n_fft=512, hop_length=128) -> classifier`` on the file paths (the MFCC step
decodes them), and the sweep a ``GridSearchCV`` over 2 learning rates x 4
layer sizes with ``scoring=SCORING, refit="f1_macro"`` and 3-fold
cross-validation, run three ways in this one process:

* uncached: features are computed again for every candidate and fold, and
  the test fold's several times (for ``predict`` and for each probability
  metric);
* ``Pipeline(memory=...)``: scikit-learn caches the fitted feature step, so
  the training folds' features are computed once per fold; the test
  folds' are not;
* ``CachedTransformer``: the MFCC step wrapped in
  :class:`sklearn_audio.tuning.CachedTransformer`, which caches
  ``transform`` too, row by row: each file's features are computed once for
  the whole sweep, whichever folds it sits in.

Each cached sweep starts from an empty cache, so its time includes filling it.
The ``CachedTransformer`` sweep is then run once more on its full cache: that
time is the classifiers' fitting and scoring alone, the floor below which no
feature cache can bring a sweep (with Keras networks, Keras's own per-fit
work: building the model and its data pipeline, the steps).
A warm-up fit beforehand pays TensorFlow's start-up and reads the files into
the OS page cache, so that no variant pays for that. The four sweeps run
``--repeat`` times (default 2), interleaved, and the best time of each is
printed with every round's: a shared machine's load comes and goes, and
the best round is the least disturbed (as with ``timeit``).
"""

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SR, N_FFT, HOP = 8000, 512, 128
RATES = [1e-3, 3e-3]


def fsdd_files(n_files):
    root = os.environ.get("SKLEARN_AUDIO_DATA") or REPO.parent / "shared" / "data"
    folder = Path(root) / "fsdd" / "recordings"
    paths = np.array(sorted(str(p) for p in folder.glob("*.wav")))
    if not len(paths):
        raise SystemExit(f"No FSDD recordings in {folder}; set SKLEARN_AUDIO_DATA.")
    labels = np.array([Path(p).name.split("_")[0] for p in paths])
    # Every n-th file: all digits and speakers stay represented in a subset.
    keep = np.linspace(0, len(paths) - 1, min(n_files, len(paths))).astype(int)
    return paths[keep], labels[keep]


def classifier_and_grid(model, epochs):
    common = dict(epochs=epochs, batch_size=64, random_state=0, verbose=0)
    if model == "dense":
        from sklearn_audio import DenseClassifier

        sizes = [(32,), (64,), (32, 32), (64, 32)]
        grid = {"clf__learning_rate": RATES, "clf__hidden_layer_sizes": sizes}
        return DenseClassifier(**common), "stats", grid
    if model == "cnn":
        from sklearn_audio import CNNClassifier

        sizes = [(8,), (16,), (8, 8), (16, 16)]
        grid = {"clf__learning_rate": RATES, "clf__filters": sizes}
        return CNNClassifier(dense_units=16, **common), "frames", grid
    from sklearn.neural_network import MLPClassifier

    sizes = [(32,), (64,), (32, 32), (64, 32)]
    clf = MLPClassifier(max_iter=epochs * 10, random_state=0)
    grid = {"clf__learning_rate_init": RATES, "clf__hidden_layer_sizes": sizes}
    return clf, "stats", grid


def pipeline(clf, output, cache, folder=None):
    """``cache``: None, "pipeline" (Pipeline memory) or "transformer" (CachedTransformer)."""
    from sklearn.pipeline import Pipeline

    from sklearn_audio import MFCCTransformer
    from sklearn_audio.tuning import CachedTransformer

    # The paths go straight to MFCCTransformer, which decodes them itself: fitting it
    # then reads file headers at most, never the audio (an AudioLoader step would
    # decode every training clip again at each fold's fit).
    mfcc = MFCCTransformer(sr=SR, n_fft=N_FFT, hop_length=HOP, output=output)
    folder = tempfile.mkdtemp(dir=folder) if cache else None
    if cache == "transformer":
        return Pipeline([("features", CachedTransformer(mfcc, memory=folder)), ("clf", clf)])
    return Pipeline([("mfcc", mfcc), ("clf", clf)], memory=folder)


def sweep(pipe, grid, X, y):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from sklearn_audio.metrics import SCORING

    search = GridSearchCV(
        pipe, grid, scoring=SCORING, refit="f1_macro", cv=StratifiedKFold(3), n_jobs=1
    )
    start = time.perf_counter()
    search.fit(X, y)
    n_candidates = len(search.cv_results_["params"])
    return time.perf_counter() - start, n_candidates, search.best_score_


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["dense", "cnn", "mlp"], default="dense")
    parser.add_argument("--n-files", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="600 files")
    parser.add_argument("--repeat", type=int, default=2,
                        help="rounds of the four sweeps; the best time of each is printed")
    args = parser.parse_args()
    X, y = fsdd_files(600 if args.quick else args.n_files)
    clf, output, grid = classifier_and_grid(args.model, args.epochs)
    print(f"FSDD: {len(X)} recordings, {len(np.unique(y))} digits; model {type(clf).__name__}, "
          f"{args.epochs} epochs; MFCC output={output!r}; GridSearchCV, 3 folds, SCORING")

    # Convergence (MLP) and probability-rounding warnings would only clutter the table.
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    pipeline(clf, output, None).fit(X, y)  # warm-up: imports, TensorFlow, page cache
    print(f"warm-up fit on all recordings: {time.perf_counter() - start:.1f} s")

    tmp = tempfile.TemporaryDirectory(prefix="sklearn-audio-bench-")
    labels = ["uncached", "Pipeline(memory=...)", "CachedTransformer", "  again, cache full"]
    times = {label: [] for label in labels}
    for _ in range(args.repeat):
        # A fresh, empty cache folder per round: every round pays for filling it.
        cached = pipeline(clf, output, "transformer", tmp.name)
        runs = [
            pipeline(clf, output, None),
            pipeline(clf, output, "pipeline", tmp.name),
            cached,
            # The same cache again, now full: what is left is the networks' fitting
            # alone, the floor that no feature cache can go below.
            cached,
        ]
        for label, pipe in zip(labels, runs):
            seconds, n_candidates, best = sweep(pipe, grid, X, y)
            times[label].append(seconds)
    # Best of the rounds, as timeit does: the least disturbed by other work on the machine.
    uncached = min(times["uncached"])
    for label in labels:
        seconds = min(times[label])
        speed = "" if label == "uncached" else f"{uncached / seconds:.1f}x faster; "
        rounds = ", ".join(f"{t:.1f}" for t in times[label])
        print(f"{label:<22} {n_candidates} candidates: {seconds:6.1f} s  "
              f"({speed}best f1_macro {best:.3f}; rounds: {rounds} s)")
    tmp.cleanup()

if __name__ == "__main__":
    main()
