"""Small real data sets: a hand-written notebook against the library's defaults, one run.

Usage::

    python benchmarks/small_data.py                       # every set and method (about an hour
                                                          # on 2 cores, leave-one-speaker-out most)
    python benchmarks/small_data.py --quick               # a smoke run: few folds, 3 epochs
    python benchmarks/small_data.py --sets fsdd5,music_speech_silence --methods notebook,cnn
    python benchmarks/small_data.py --sets fsdd_loso --methods notebook,cnn

Users bring a few hundred clips, not thousands. This script puts, side by
side on small real collections, the notebook a user writes by hand from the
seed course and the pipelines the README recommends, each with its default
parameters, and prints for every (data set, method): clip accuracy, macro F1,
epochs run (Keras models, mean over folds), seconds (fit + predict, mean per
fold) and how many folds ended as a *near-constant predictor* (one class for
at least 90 % of the test clips), flagged ``<< CONSTANT``.

Data (``$SKLEARN_AUDIO_DATA``, else ``../shared/data`` next to the
repository; read in place):

``fsdd5``, ``fsdd10``, ``fsdd30``
    Free Spoken Digit Dataset (8 kHz, 6 speakers): 5, 10 or 30 training clips
    per digit drawn (seeded) from the official training part (recording
    indexes 5-49), tested on the official test split (indexes 0-4, 300 clips).
``fsdd_loso``
    FSDD leave-one-speaker-out: 6 folds, each trained on the 2,500 clips of
    five speakers and tested on the sixth's 500. Expensive.
``music_speech_silence``
    3 classes x 40 one-second clips at 8 kHz; repeated stratified K-fold by
    clip (``--folds`` x ``--repeats``, default 5 x 2).
``gm_instruments``
    8 sampled instruments x 40 four-second clips at 22,050 Hz; repeated
    stratified K-fold by clip, or one stratified split with
    ``--gm-split split`` (``--test-size`` of the clips).

Methods:

``notebook``
    Written here as a user writes it from the seed course: ``librosa.load(path,
    sr=22050)``; whole 3-s segments (the remainder of a longer clip is dropped,
    a clip shorter than 3 s is zero-padded to one 3-s segment);
    ``librosa.feature.mfcc(y=segment, sr=22050, n_mfcc=13).T`` per segment, fed
    unscaled; the 3-block Conv2D genre CNN (Conv2D(32, 3x3, relu) +
    MaxPool2D(3x3, strides 2x2, padding same) + BatchNormalization, three
    times, the last convolution 2x2; Flatten, Dense(64, relu), Dropout(0.3),
    Dense(softmax)); Adam 1e-4, 30 epochs, batch 32, no early stopping, seeded
    with ``keras.utils.set_random_seed(seed)``; trained on the segments of the
    training clips, a clip predicted by the mean of its segments'
    probabilities. Features are extracted once per data set (as a notebook
    does); each fold's seconds include the extraction time of the clips it
    uses, so they compare with the pipelines, which decode their files again
    in every fold.
``cnn``, ``lstm``
    The README's front end on file paths, ``AudioLoader(sr=22050) ->
    RawSegmenter(segment_seconds=3.0) -> MFCCTransformer(n_mfcc=13)``, then
    ``CNNClassifier(random_state=seed)`` or ``LSTMClassifier(random_state=seed)``.
``dense``
    The same front end with ``MFCCTransformer(output="stats")``, then
    ``DenseClassifier(random_state=seed)``.
``cnn_aug``
    ``cnn`` with ``sklearn_audio.augment.WaveformAugmenter(**params)`` inserted
    after the segmenter (``--augment-position load`` puts it after the
    loader instead); ``--augment-params`` is its parameters as JSON (default
    ``{}``), and ``random_state=seed`` is added when it takes one. Skipped,
    with a note, when the module cannot be imported.

Every method sees the same 22,050 Hz front end, the same folds and the same
seed; the library's parameters are its defaults throughout (``--quick`` alone
lowers ``epochs`` to 3 for a smoke run). TensorFlow's threads are limited
to the cores this process may use (``--threads``).
"""

import argparse
import json
import os
import platform
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SR = 22050
SEGMENT_SECONDS = 3.0
CONSTANT_SHARE = 0.9
FSDD_NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav$")
ALL_SETS = ["fsdd5", "fsdd10", "fsdd30", "fsdd_loso", "music_speech_silence", "gm_instruments"]
ALL_METHODS = ["notebook", "cnn", "lstm", "dense", "cnn_aug"]


# ---------------------------------------------------------------- data sets


def data_root():
    root = os.environ.get("SKLEARN_AUDIO_DATA")
    if root:
        return Path(root)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def fsdd_files():
    folder = data_root() / "fsdd" / "recordings"
    paths = sorted(folder.glob("*.wav"))
    if not paths:
        raise SystemExit(f"No FSDD recordings in {folder}; set SKLEARN_AUDIO_DATA.")
    parts = [FSDD_NAME.search(p.name).groups() for p in paths]
    return (
        np.array([str(p) for p in paths]),
        np.array([int(d) for d, _, _ in parts]),
        np.array([s for _, s, _ in parts]),
        np.array([int(i) for _, _, i in parts]),
    )


def folder_files(name):
    """``name/<class>/*.wav`` -> paths and class labels, sorted."""
    folder = data_root() / name
    paths = sorted(p for p in folder.glob("*/*.wav"))
    if not paths:
        raise SystemExit(f"No clips in {folder}; set SKLEARN_AUDIO_DATA.")
    return np.array([str(p) for p in paths]), np.array([p.parent.name for p in paths])


def make_splits(name, seed, args):
    """The clips and the (train, test) index pairs of one data set."""
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedShuffleSplit

    if name.startswith("fsdd"):
        paths, digits, speakers, indexes = fsdd_files()
        if name == "fsdd_loso":
            chosen = sorted(set(speakers))[: 2 if args.quick else None]
            splits = [(np.flatnonzero(speakers != s), np.flatnonzero(speakers == s))
                      for s in chosen]  # fmt: skip
            return paths, digits, splits, f"leave-one-speaker-out, {len(splits)} folds"
        per_digit = int(name[len("fsdd"):])
        rng = np.random.default_rng(seed)
        pool = indexes >= 5
        train = np.sort(np.concatenate([
            rng.choice(np.flatnonzero(pool & (digits == d)), per_digit, replace=False)
            for d in np.unique(digits)
        ]))  # fmt: skip
        test = np.flatnonzero(indexes < 5)
        what = f"{per_digit} training clips per digit (seed {seed}), official test split"
        return paths, digits, [(train, test)], what
    paths, labels = folder_files(name)
    if name == "gm_instruments" and args.gm_split == "split":
        splitter = StratifiedShuffleSplit(1, test_size=args.test_size, random_state=seed)
        what = f"one stratified split, test_size={args.test_size}"
    else:
        folds, repeats = (2, 1) if args.quick else (args.folds, args.repeats)
        splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
        what = f"repeated stratified {folds}-fold by clip x {repeats}"
    return paths, labels, list(splitter.split(paths, labels)), what


# ---------------------------------------------------------------- the notebook


def notebook_features(paths, used):
    """Per clip: (n_segments, frames, 13) MFCC of whole 3-s segments, and seconds spent.

    Only the clips in ``used`` are read (the others stay ``None``).
    """
    import librosa

    length = int(SEGMENT_SECONDS * SR)
    features, seconds = [None] * len(paths), np.zeros(len(paths))
    for index in used:
        start = time.perf_counter()
        signal, _ = librosa.load(paths[index], sr=SR)
        if len(signal) < length:  # short clip: one zero-padded segment
            signal = np.pad(signal, (0, length - len(signal)))
        n_segments = len(signal) // length
        clip = [librosa.feature.mfcc(y=signal[i * length:(i + 1) * length], sr=SR, n_mfcc=13).T
                for i in range(n_segments)]  # fmt: skip
        features[index] = np.stack(clip).astype(np.float32)
        seconds[index] = time.perf_counter() - start
    return features, seconds


def notebook_cnn(input_shape, n_classes):
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same"),
        layers.BatchNormalization(),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same"),
        layers.BatchNormalization(),
        layers.Conv2D(32, (2, 2), activation="relu"),
        layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same"),
        layers.BatchNormalization(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(n_classes, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    return model


def run_notebook(features, feature_seconds, labels, train, test, seed, epochs):
    """Fit the notebook's CNN on the training clips' segments; clip labels of the test clips."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    classes, y = np.unique(labels[train], return_inverse=True)
    start = time.perf_counter()
    X_train = np.concatenate([features[i] for i in train])[..., np.newaxis]
    y_train = np.concatenate([np.full(len(features[i]), c) for i, c in zip(train, y)])
    model = notebook_cnn(X_train.shape[1:], len(classes))
    model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    X_test = np.concatenate([features[i] for i in test])[..., np.newaxis]
    probabilities = model.predict(X_test, verbose=0)
    bounds = np.cumsum([0] + [len(features[i]) for i in test])
    clip_proba = np.stack([probabilities[a:b].mean(axis=0) for a, b in zip(bounds, bounds[1:])])
    seconds = time.perf_counter() - start + feature_seconds[np.concatenate([train, test])].sum()
    return classes[clip_proba.argmax(axis=1)], epochs, seconds


# ---------------------------------------------------------------- the library


def make_pipeline(method, seed, args):
    """The README's pipeline for ``method``, default parameters; None when unavailable."""
    from sklearn.pipeline import Pipeline

    from sklearn_audio import AudioLoader, MFCCTransformer, RawSegmenter
    from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier

    classifier = {"cnn": CNNClassifier, "cnn_aug": CNNClassifier, "lstm": LSTMClassifier,
                  "dense": DenseClassifier}[method](random_state=seed)  # fmt: skip
    if args.quick:
        classifier.set_params(epochs=3)
    output = "stats" if method == "dense" else "frames"
    steps = [
        ("load", AudioLoader(sr=SR)),
        ("segment", RawSegmenter(segment_seconds=SEGMENT_SECONDS, sr=SR)),
        ("mfcc", MFCCTransformer(sr=SR, n_mfcc=13, output=output)),
        ("clf", classifier),
    ]
    if method == "cnn_aug":
        from sklearn_audio.augment import WaveformAugmenter

        params = dict(args.augment_params)
        if "random_state" in WaveformAugmenter().get_params():
            params.setdefault("random_state", seed)
        position = 1 if args.augment_position == "load" else 2
        steps.insert(position, ("augment", WaveformAugmenter(**params)))
    return Pipeline(steps)


def run_pipeline(method, paths, labels, train, test, seed, args):
    pipe = make_pipeline(method, seed, args)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.fit(paths[train], labels[train])
        predicted = pipe.predict(paths[test])
    seconds = time.perf_counter() - start
    # Warnings the library gave the user (ConvergenceWarning...), once each, shortened.
    shown = [w for w in caught if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    notes = sorted({f"{w.category.__name__}: {str(w.message)[:100]}" for w in shown})
    return predicted, len(pipe[-1].history_["loss"]), seconds, notes


# ---------------------------------------------------------------- the run


def method_available(method):
    if method != "cnn_aug":
        return True
    try:
        from sklearn_audio.augment import WaveformAugmenter  # noqa: F401
    except ImportError as error:
        print(f"note: skipping cnn_aug, sklearn_audio.augment.WaveformAugmenter is not "
              f"importable ({error})")  # fmt: skip
        return False
    return True


def run_set(name, methods, seeds, args, results):
    from sklearn.metrics import accuracy_score, f1_score

    set_start = time.perf_counter()
    for seed in seeds:
        paths, labels, splits, what = make_splits(name, seed, args)
        n_train = int(np.mean([len(tr) for tr, _ in splits]))
        n_test = int(np.mean([len(te) for _, te in splits]))
        print(f"\n== {name}, seed {seed}: {len(set(labels))} classes, {what}; "
              f"{n_train} training / {n_test} test clips per fold", flush=True)  # fmt: skip
        features = None
        for method in methods:
            for fold, (train, test) in enumerate(splits):
                try:
                    if method == "notebook":
                        if features is None:
                            used = np.unique(np.concatenate([np.r_[tr, te] for tr, te in splits]))
                            features, feature_seconds = notebook_features(paths, used)
                        epochs = 3 if args.quick else 30
                        predicted, ran, seconds = run_notebook(
                            features, feature_seconds, labels, train, test, seed, epochs
                        )
                        notes = []
                    else:
                        predicted, ran, seconds, notes = run_pipeline(
                            method, paths, labels, train, test, seed, args
                        )
                except Exception as error:  # one failure must not lose the whole run
                    print(f"   {method:<9} fold {fold}: ERROR {type(error).__name__}: {error}",
                          flush=True)  # fmt: skip
                    results.setdefault((name, method), []).append(None)
                    continue
                truth = labels[test]
                _, counts = np.unique(predicted, return_counts=True)
                share = counts.max() / len(predicted)
                row = dict(
                    accuracy=accuracy_score(truth, predicted),
                    f1=f1_score(truth, predicted, average="macro"),
                    epochs=ran, seconds=seconds, constant=share >= CONSTANT_SHARE,
                )  # fmt: skip
                results.setdefault((name, method), []).append(row)
                flag = "  << CONSTANT" if row["constant"] else ""
                print(f"   {method:<9} fold {fold}: acc {row['accuracy']:.3f}  F1 {row['f1']:.3f}"
                      f"  epochs {ran:>3}  {seconds:6.1f} s  top class {share:.0%}{flag}",
                      flush=True)  # fmt: skip
                for note in notes:
                    print(f"      {note}")
    seconds = time.perf_counter() - set_start
    print(f"-- {name}: {seconds:.0f} s", flush=True)
    return seconds


def print_table(results, set_seconds):
    print("\n| data set | method | clip accuracy | macro F1 | epochs | s/fold | folds | "
          "near-constant |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for (name, method), rows in results.items():
        done = [r for r in rows if r is not None]
        errors = len(rows) - len(done)
        if not done:
            print(f"| {name} | {method} | ERROR | | | | {len(rows)} | |")
            continue
        acc = np.array([r["accuracy"] for r in done])
        f1 = np.array([r["f1"] for r in done])
        constant = sum(r["constant"] for r in done)
        spread = lambda a: f" ± {a.std():.3f}" if len(a) > 1 else ""  # noqa: E731
        flag = f"**{constant}/{len(done)} CONSTANT**" if constant else "0"
        print(f"| {name} | {method} | {acc.mean():.3f}{spread(acc)} | {f1.mean():.3f}{spread(f1)} "
              f"| {np.mean([r['epochs'] for r in done]):.1f} "
              f"| {np.mean([r['seconds'] for r in done]):.1f} "
              f"| {len(done)}{f' ({errors} errors)' if errors else ''} | {flag} |")  # fmt: skip
    print("\nseconds per data set: "
          + ", ".join(f"{name} {s:.0f}" for name, s in set_seconds.items()))  # fmt: skip


def limit_threads(threads):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.get_logger().setLevel("ERROR")  # the notebook's predict retraces per test-set shape


def print_environment(threads):
    import keras
    import librosa
    import sklearn
    import tensorflow as tf

    import sklearn_audio

    print(f"sklearn_audio from {sklearn_audio.__file__}")
    print(f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras "
          f"{keras.__version__}, scikit-learn {sklearn.__version__}, librosa "
          f"{librosa.__version__}, NumPy {np.__version__}")  # fmt: skip
    print(f"{os.cpu_count()} CPUs, {threads} usable by this process (TensorFlow threads "
          f"limited to {threads}), {platform.processor() or platform.machine()}")  # fmt: skip
    print(f"data: {data_root()}")


def comma_list(text):
    return [item for item in text.split(",") if item]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=comma_list, default=ALL_SETS,
                        help=f"comma-separated subset of {','.join(ALL_SETS)}")
    parser.add_argument("--methods", type=comma_list, default=ALL_METHODS,
                        help=f"comma-separated subset of {','.join(ALL_METHODS)}")
    parser.add_argument("--seeds", type=lambda t: [int(s) for s in comma_list(t)], default=[0],
                        help="comma-separated seeds (subsets, folds, weights); default 0")
    parser.add_argument("--folds", type=int, default=5, help="K of the stratified K-fold")
    parser.add_argument("--repeats", type=int, default=2, help="repeats of the K-fold")
    parser.add_argument("--gm-split", choices=["cv", "split"], default="cv",
                        help="gm_instruments: repeated K-fold (cv) or one split")
    parser.add_argument("--test-size", type=float, default=0.25, help="for --gm-split split")
    parser.add_argument("--augment-params", type=json.loads, default={},
                        help="WaveformAugmenter parameters as JSON, default {}")
    parser.add_argument("--augment-position", choices=["load", "segment"], default="segment",
                        help="insert the augmenter after the loader or after the segmenter")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="TensorFlow threads (default: the usable cores)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 folds, 1 repeat, 2 LOSO folds, 3 epochs")
    args = parser.parse_args()  # fmt: skip
    for bad in set(args.sets) - set(ALL_SETS):
        parser.error(f"unknown set {bad!r}; choose from {ALL_SETS}")
    for bad in set(args.methods) - set(ALL_METHODS):
        parser.error(f"unknown method {bad!r}; choose from {ALL_METHODS}")

    start = time.perf_counter()
    limit_threads(args.threads)
    print(" ".join([Path(sys.executable).name] + sys.argv))
    print_environment(args.threads)
    methods = [m for m in args.methods if method_available(m)]
    results, set_seconds = {}, {}
    for name in args.sets:
        set_seconds[name] = run_set(name, methods, args.seeds, args, results)
    print_table(results, set_seconds)
    if args.quick:
        print("\n(quick run: 3 epochs and few folds; figures are a smoke test, not the benchmark)")
    print(f"\ntotal: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
