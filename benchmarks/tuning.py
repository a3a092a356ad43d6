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

* uncached: features are computed again for every candidate and fold, the
  test fold's once for all the ``SCORING`` metrics with sklearn-audio's
  classifiers (twice, for ``predict`` and ``predict_proba``, with others);
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

``--compare-scoring`` measures instead what sharing the responses among the
``SCORING`` metrics saves: the uncached sweep with ``SCORING`` against the
same sweep with the previous ``SCORING`` (its probability scorers were plain
callables, so each called ``predict_proba`` itself, after the one
``predict`` shared by the label metrics), interleaved over the rounds. It
prints the sweep's time, its scoring time (the sum of ``cv_results_``'s
score times) and the inferences counted: the classifier's ``predict`` and
``predict_proba`` calls (a Keras classifier's ``predict`` calls its
``predict_proba``: one inference) and the ``MFCCTransformer.transform``
calls, each of which extracts a fold's features::

    python benchmarks/tuning.py --compare-scoring --n-files 600
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


def sweep(pipe, grid, X, y, scoring=None, refit="f1_macro"):
    """``(seconds, fitted GridSearchCV)``; ``scoring`` None means ``SCORING``."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from sklearn_audio.metrics import SCORING

    search = GridSearchCV(
        pipe, grid, scoring=SCORING if scoring is None else scoring, refit=refit,
        cv=StratifiedKFold(3), n_jobs=1,
    )
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search


def legacy_scoring():
    """The previous ``SCORING``: the same metrics, probability scorers as plain callables.

    scikit-learn's multi-metric scorer shares responses only among its own
    scorer objects: here the label metrics share one ``predict``, and each
    probability metric calls ``predict_proba`` itself.
    """
    from sklearn.metrics import accuracy_score, f1_score, make_scorer
    from sklearn.metrics import precision_score, recall_score

    from sklearn_audio.metrics._scoring import labelled_log_loss, macro_roc_auc

    def probability_scorer(metric, sign):
        def score(estimator, X, y_true):
            labels = np.asarray(estimator.classes_)
            return sign * metric(np.asarray(y_true), estimator.predict_proba(X), labels)

        return score

    macro = dict(average="macro", pos_label=None, zero_division=0)
    return {
        "accuracy": make_scorer(accuracy_score),
        "precision_macro": make_scorer(precision_score, **macro),
        "recall_macro": make_scorer(recall_score, **macro),
        "f1_macro": make_scorer(f1_score, **macro),
        "roc_auc_ovr": probability_scorer(macro_roc_auc, 1.0),
        "neg_log_loss": probability_scorer(labelled_log_loss, -1.0),
    }


class CallCounter:
    """Count calls of methods patched on classes; a call made from another counted one is not.

    A Keras classifier's ``predict`` calls its ``predict_proba``: one inference.
    """

    def __init__(self):
        self.counts = {}
        self._depth = 0

    def patch(self, cls, name, key):
        original = getattr(cls, name)
        counter = self

        def counted(self, *args, **kwargs):
            if counter._depth == 0:
                counter.counts[key] = counter.counts.get(key, 0) + 1
            counter._depth += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                counter._depth -= 1

        setattr(cls, name, counted)


def compare_scoring(clf, output, grid, X, y, repeat):
    from sklearn_audio import MFCCTransformer
    from sklearn_audio.metrics import SCORING

    counter = CallCounter()
    counter.patch(type(clf), "predict_proba", "inferences")
    if not type(clf).__module__.startswith("sklearn_audio."):
        # sklearn-audio's predict calls predict_proba, already counted; patching it
        # would also hide from SCORING that it is the argmax of predict_proba.
        counter.patch(type(clf), "predict", "inferences")
    counter.patch(MFCCTransformer, "transform", "transform")
    variants = {"before (plain callables)": legacy_scoring(), "after (SCORING)": SCORING}
    results = {label: {"times": [], "score_times": []} for label in variants}
    for _ in range(repeat):
        for label, scoring in variants.items():
            counter.counts = {}
            seconds, search = sweep(pipeline(clf, output, None), grid, X, y, scoring, refit=False)
            cv = search.cv_results_
            n_fits = len(cv["params"]) * search.n_splits_
            results[label]["times"].append(seconds)
            results[label]["score_times"].append(float(np.sum(cv["mean_score_time"]) * 3))
            results[label]["counts"] = dict(counter.counts, fits=n_fits)
            results[label]["f1"] = float(np.max(cv["mean_test_f1_macro"]))
    for label, r in results.items():
        counts = r["counts"]
        print(f"{label:<26} sweep {min(r['times']):6.1f} s, scoring {min(r['score_times']):5.1f} s"
              f" (rounds: {', '.join(f'{t:.1f}' for t in r['times'])} s;"
              f" {', '.join(f'{t:.1f}' for t in r['score_times'])} s); "
              f"{counts['fits']} test folds: {counts.get('inferences', 0)} inferences, "
              f"{counts.get('transform', 0)} MFCC transform calls; "
              f"best f1_macro {r['f1']:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["dense", "cnn", "mlp"], default="dense")
    parser.add_argument("--n-files", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="600 files")
    parser.add_argument("--repeat", type=int, default=2,
                        help="rounds of the four sweeps; the best time of each is printed")
    parser.add_argument("--compare-scoring", action="store_true",
                        help="uncached sweep with SCORING against the previous SCORING")
    parser.add_argument("--candidates", type=int, default=8,
                        help="the first N of the 8 grid points (a shorter run)")
    args = parser.parse_args()
    X, y = fsdd_files(600 if args.quick else args.n_files)
    clf, output, grid = classifier_and_grid(args.model, args.epochs)
    if args.candidates < 8:
        from sklearn.model_selection import ParameterGrid

        grid = [{k: [v] for k, v in point.items()}
                for point in list(ParameterGrid(grid))[:args.candidates]]
    print(f"FSDD: {len(X)} recordings, {len(np.unique(y))} digits; model {type(clf).__name__}, "
          f"{args.epochs} epochs; MFCC output={output!r}; GridSearchCV, 3 folds, SCORING")

    # Convergence (MLP) and probability-rounding warnings would only clutter the table.
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    pipeline(clf, output, None).fit(X, y)  # warm-up: imports, TensorFlow, page cache
    print(f"warm-up fit on all recordings: {time.perf_counter() - start:.1f} s")
    if args.compare_scoring:
        compare_scoring(clf, output, grid, X, y, args.repeat)
        return

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
            seconds, search = sweep(pipe, grid, X, y)
            n_candidates, best = len(search.cv_results_["params"]), search.best_score_
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
