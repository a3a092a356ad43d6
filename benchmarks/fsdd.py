"""Keras classifiers on FSDD spoken digits: accuracy, speaker generalisation, cost.

Usage::

    python benchmarks/fsdd.py            # the full benchmark (tens of minutes on 2 cores)
    python benchmarks/fsdd.py --quick    # a smoke run on a subset, few epochs

Data: ``$SKLEARN_AUDIO_DATA/fsdd/recordings`` (else ``../shared/data/fsdd``
next to the repository), 3,000 recordings ``{digit}_{speaker}_{index}.wav``
at 8 kHz from 6 speakers (FSDD, Zohar Jackson and contributors, CC BY-SA 4.0).

What it prints, each classifier with its default parameters and
``random_state=0``:

1. Official split (recording indexes 0-4 are the test set): test accuracy,
   epochs run, fit time and seconds per epoch for
   ``Pipeline([AudioLoader(sr=8000), MFCCTransformer(sr=8000, n_mfcc=13,
   n_fft=512, hop_length=128), <classifier>])``, with
   ``MFCCTransformer(..., output="stats")`` for ``DenseClassifier``.
   Targets: CNN >= 98 %, LSTM >= 95 %, Dense >= 90 %.
2. CNN leave-one-speaker-out: 6 folds, each speaker's recordings predicted by
   the pipeline trained on the other five; accuracy per speaker and mean.
   Reference: a hand-written seed-style CNN reached 69 %.
3. Overhead: ``CNNClassifier`` against the same network written directly in
   Keras on the same MFCC features (same split, normalisation, batch size,
   a fixed number of epochs, no early stopping): fit time, seconds per
   epoch and prediction time. Like for like: both trace their graphs in
   every fit (``reuse_trainers=False``); a third row shows a fit on
   ``CNNClassifier``'s reused trainer, as in a sweep. Medians of the repeats.
4. Memory: resident memory growth over 20 consecutive fits of ``CNNClassifier``
   with every fit tracing its own graphs (``reuse_trainers=False``: what the
   leak fix guards), with the leak fix switched off as well (what it saves),
   with the trainer cache on (the default), and, as the baseline, of the same
   network fitted in a plain Keras loop.
"""

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav$")
MFCC = dict(sr=8000, n_mfcc=13, n_fft=512, hop_length=128)


def fsdd_files():
    root = os.environ.get("SKLEARN_AUDIO_DATA") or REPO.parent / "shared" / "data"
    folder = Path(root) / "fsdd" / "recordings"
    paths = sorted(folder.glob("*.wav"))
    if not paths:
        raise SystemExit(f"No FSDD recordings in {folder}; set SKLEARN_AUDIO_DATA.")
    parts = [NAME.search(p.name).groups() for p in paths]
    digits = np.array([int(d) for d, _, _ in parts])
    speakers = np.array([s for _, s, _ in parts])
    indexes = np.array([int(i) for _, _, i in parts])
    return np.array([str(p) for p in paths]), digits, speakers, indexes


def epoch_timer():
    import keras

    from sklearn_audio.models._training import MODEL_FREE

    class EpochTimer(keras.callbacks.Callback):
        """Wall time of every epoch (training plus validation)."""

        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    # It never touches the model: fits keep training on a reused trainer.
    setattr(EpochTimer, MODEL_FREE, True)
    return EpochTimer()


def per_epoch(timer):
    """Median epoch time, leaving out the first (it traces the graphs)."""
    seconds = timer.seconds[1:] or timer.seconds
    return float(np.median(seconds))


def make_pipeline(kind, quick_epochs=None):
    from sklearn.pipeline import Pipeline

    from sklearn_audio import AudioLoader, MFCCTransformer
    from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier

    classifier = {"cnn": CNNClassifier, "lstm": LSTMClassifier, "dense": DenseClassifier}[kind]
    params = dict(random_state=0, callbacks=[epoch_timer()])
    if quick_epochs:
        params["epochs"] = quick_epochs
    output = "stats" if kind == "dense" else "frames"
    return Pipeline([
        ("load", AudioLoader(sr=8000)),
        ("mfcc", MFCCTransformer(**MFCC, output=output)),
        ("clf", classifier(**params)),
    ])  # fmt: skip


def official_split(data, kinds, quick_epochs):
    paths, digits, _, indexes = data
    train, test = indexes >= 5, indexes < 5
    print(f"\n1. Official split: {train.sum()} training, {test.sum()} test recordings")
    print(f"   {'model':<16}{'test acc':>9}{'target':>8}{'epochs':>8}{'fit s':>8}{'s/epoch':>9}")
    targets = {"cnn": 0.98, "lstm": 0.95, "dense": 0.90}
    names = {"cnn": "CNNClassifier", "lstm": "LSTMClassifier", "dense": "DenseClassifier"}
    results = {}
    for kind in kinds:
        pipe = make_pipeline(kind, quick_epochs)
        start = time.perf_counter()
        pipe.fit(paths[train], digits[train])
        fit_seconds = time.perf_counter() - start
        accuracy = float(np.mean(pipe.predict(paths[test]) == digits[test]))
        clf = pipe[-1]
        epochs = len(clf.history_["loss"])
        mark = "ok" if accuracy >= targets[kind] else "MISS"
        if quick_epochs:
            mark = "(quick)"
        print(
            f"   {names[kind]:<16}{accuracy:>9.2%}{targets[kind]:>7.0%} {epochs:>7}"
            f"{fit_seconds:>8.0f}{per_epoch(clf.callbacks[0]):>9.2f}  {mark}",
            flush=True,
        )
        results[kind] = accuracy
    return results


def leave_one_speaker_out(data, quick_epochs, folds):
    from sklearn.base import clone

    paths, digits, speakers, _ = data
    chosen = sorted(set(speakers))[:folds]
    print(f"\n2. CNN leave-one-speaker-out ({len(chosen)} folds; seed-style CNN: 69%)")
    template = make_pipeline("cnn", quick_epochs)
    scores = {}
    for speaker in chosen:
        test = speakers == speaker
        pipe = clone(template)
        pipe.fit(paths[~test], digits[~test])
        scores[speaker] = float(np.mean(pipe.predict(paths[test]) == digits[test]))
        epochs = len(pipe[-1].history_["loss"])
        print(f"   {speaker:<10} {scores[speaker]:>7.2%}   ({epochs} epochs)", flush=True)
    print(f"   {'mean':<10} {np.mean(list(scores.values())):>7.2%}")
    return scores


def raw_keras_cnn(X_train, n_classes, seed):
    """The network of CNNClassifier's defaults, written directly in Keras."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    inputs = keras.Input(shape=X_train.shape[1:])
    norm = layers.Normalization(axis=-1)
    norm.adapt(X_train)
    x = layers.GaussianNoise(0.2)(norm(inputs))
    x = layers.Reshape(X_train.shape[1:] + (1,))(x)
    for _ in range(3):
        x = layers.Conv2D(32, 3, padding="same", activation="relu",
                          kernel_regularizer=keras.regularizers.L2(1e-4))(x)  # fmt: skip
        x = layers.MaxPooling2D(2, padding="same")(x)
        x = layers.BatchNormalization()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4))(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    return model


def overhead(data, epochs, repeats):
    import keras
    from sklearn.model_selection import train_test_split

    import sklearn_audio
    from sklearn_audio import AudioLoader, MFCCTransformer
    from sklearn_audio.models import CNNClassifier, clear_trainer_cache

    paths, digits, _, indexes = data
    train, test = indexes >= 5, indexes < 5
    mfcc = MFCCTransformer(**MFCC)
    F_train = mfcc.fit_transform(AudioLoader(sr=8000).fit_transform(paths[train]))
    F_test = mfcc.transform(AudioLoader(sr=8000).transform(paths[test]))
    y_train = digits[train]
    print(f"\n3. Overhead against the same network in plain Keras ({epochs} epochs, no early "
          f"stopping, MFCC features precomputed; median of {repeats})")  # fmt: skip
    rows = ("CNNClassifier", "plain Keras", "CNNClassifier, reused trainer")
    times, epoch_times, predict_times = ({name: [] for name in rows} for _ in range(3))

    def ours(name, reuse):
        timer = epoch_timer()
        clf = CNNClassifier(epochs=epochs, early_stopping=False, random_state=0, callbacks=[timer])
        with sklearn_audio.config_context(reuse_trainers=reuse):
            start = time.perf_counter()
            clf.fit(F_train, y_train)
            times[name].append(time.perf_counter() - start)
        epoch_times[name].append(per_epoch(timer))
        start = time.perf_counter()
        clf.predict_proba(F_test)
        predict_times[name].append(time.perf_counter() - start)

    for _ in range(repeats):
        # Like for like: CNNClassifier traces its graphs in this fit, as plain Keras does.
        ours("CNNClassifier", reuse=False)

        timer = epoch_timer()
        start = time.perf_counter()
        X_tr, X_val, y_tr, y_val = train_test_split(
            F_train, y_train, test_size=0.1, stratify=y_train, random_state=0
        )
        model = raw_keras_cnn(X_tr, 10, seed=0)
        model.fit(X_tr, y_tr, epochs=epochs, batch_size=32, validation_data=(X_val, y_val),
                  verbose=0, callbacks=[timer])  # fmt: skip
        times["plain Keras"].append(time.perf_counter() - start)
        epoch_times["plain Keras"].append(per_epoch(timer))
        start = time.perf_counter()
        model.predict(F_test, verbose=0)
        predict_times["plain Keras"].append(time.perf_counter() - start)
        del model
        keras.backend.clear_session()

        # As in a sweep: the trainer traced by a first fit of this network is reused.
        clear_trainer_cache()
        with sklearn_audio.config_context(reuse_trainers=True):
            CNNClassifier(epochs=1, early_stopping=False, random_state=1).fit(F_train, y_train)
        ours("CNNClassifier, reused trainer", reuse=True)
    print(f"   {'':<31}{'fit s':>8}{'s/epoch':>9}{'predict s':>11}")
    for name in rows:
        print(f"   {name:<31}{np.median(times[name]):>8.1f}{np.median(epoch_times[name]):>9.2f}"
              f"{np.median(predict_times[name]):>11.2f}")  # fmt: skip
    for name in ("CNNClassifier", "CNNClassifier, reused trainer"):
        fit_ratio = np.median(times[name]) / np.median(times["plain Keras"])
        epoch_ratio = np.median(epoch_times[name]) / np.median(epoch_times["plain Keras"])
        print(f"   {name} / plain Keras: fit {fit_ratio:.2f}x, per epoch {epoch_ratio:.2f}x")
    return F_train, y_train


def memory(F_train, y_train, n_fits, epochs):
    import keras
    import psutil

    import sklearn_audio
    from sklearn_audio.models import CNNClassifier, clear_trainer_cache

    process = psutil.Process()
    X, y = F_train[:600], y_train[:600]
    classes, y_int = np.unique(y, return_inverse=True)

    def ours(**switches):
        def fit(seed):
            with sklearn_audio.config_context(**switches):
                clf = CNNClassifier(epochs=epochs, early_stopping=False, random_state=seed)
                clf.fit(X, y).predict(X)

        return fit

    def plain_keras(seed):
        model = raw_keras_cnn(X, len(classes), seed)
        model.fit(X, y_int, epochs=epochs, batch_size=32, verbose=0)
        model.predict(X, verbose=0)
        keras.backend.clear_session()

    print(f"\n4. Resident memory over {n_fits} consecutive fits of the default CNN "
          f"({epochs} epochs, {len(X)} clips, after one warm-up fit; target: within 200 MB)")
    runs = (
        ("CNNClassifier, each fit traces", ours(reuse_trainers=False)),
        ("CNNClassifier, trainer reused", ours(reuse_trainers=True)),
        ("CNNClassifier, traces, no leak fix", ours(reuse_trainers=False, avoid_graph_leak=False)),
        ("plain Keras", plain_keras),
    )
    # Ours first: the leaking runs' leftovers must not count against the others.
    for label, fit in runs:
        clear_trainer_cache()
        fit(0)  # TensorFlow's one-off allocations
        start = process.memory_info().rss
        for seed in range(n_fits):
            fit(seed)
        growth = (process.memory_info().rss - start) / 2**20
        print(f"   {label:<32} {growth:+6.0f} MB", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="subset and few epochs: a smoke run")
    parser.add_argument("--models", default="cnn,lstm,dense", help="comma-separated subset")
    parser.add_argument("--skip-loso", action="store_true")
    parser.add_argument("--skip-cost", action="store_true", help="skip sections 3 and 4")
    args = parser.parse_args()
    kinds = [k for k in args.models.split(",") if k]

    import keras
    import sklearn
    import tensorflow as tf

    data = fsdd_files()
    if args.quick:
        keep = data[3] < 12  # indexes 0-4 test, 5-11 train
        data = tuple(a[keep] for a in data)
    print(f"FSDD: {len(data[0])} recordings, {len(set(data[2]))} speakers"
          + (" (quick subset)" if args.quick else ""))  # fmt: skip
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, scikit-learn "
          f"{sklearn.__version__}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")  # fmt: skip
    quick_epochs = 3 if args.quick else None
    official_split(data, kinds, quick_epochs)
    if not args.skip_loso:
        leave_one_speaker_out(data, quick_epochs, folds=2 if args.quick else 6)
    if not args.skip_cost:
        F_train, y_train = overhead(
            data, epochs=2 if args.quick else 5, repeats=1 if args.quick else 3
        )
        # Two epochs of 17 steps: past the eager-step limit, so every fit traces graphs.
        memory(F_train, y_train, n_fits=5 if args.quick else 20, epochs=2)
    if args.quick:
        print("\n(quick run: figures are a smoke test, not the benchmark)")


if __name__ == "__main__":
    main()
