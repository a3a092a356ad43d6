"""Evidence for the classifiers' defaults: variants side by side on several small real sets.

Usage::

    python benchmarks/defaults.py --family cnn                 # every CNN variant, every set
    python benchmarks/defaults.py --family dense --variants default,mixup
    python benchmarks/defaults.py --family cnn --sets fsdd_loso --variants default,groups

A default is chosen because it wins on sets of different size and kind, not
on FSDD alone. Each variant changes one parameter of the classifier (or
passes ``groups``) against ``default``, the library's current defaults; the
features are the README's front end (``AudioLoader(sr=22050) ->
RawSegmenter(segment_seconds=3.0) -> MFCCTransformer(n_mfcc=13)``, with
``output="stats"`` for ``DenseClassifier``), computed once per set, so only
the classifier differs between rows. Every fit uses ``random_state=seed``.
The ``cmn`` variants change the features instead:
``MFCCTransformer(normalize="mean")``, each clip's MFCC frames centred on
their own mean (per-utterance cepstral mean normalisation).

Sets (``$SKLEARN_AUDIO_DATA``, else ``../shared/data``):

``fsdd10``, ``fsdd30``
    FSDD with 10 or 30 training clips per digit (seeded draw from recording
    indexes 5-49), tested on the official test split (indexes 0-4).
``music_speech_silence``
    120 one-second clips, 3 classes: stratified 5-fold CV by clip.
``gm_instruments``
    320 four-second clips, 8 instruments: stratified 5-fold CV by clip.
``fsdd_loso``
    FSDD leave-one-speaker-out: 6 folds of 2,500 training clips. Expensive.

Prints, per variant and set, the mean clip accuracy over folds (and the
number of folds ending as a near-constant predictor), then each variant's
mean over the sets and its difference to ``default``.
"""

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FSDD_NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav$")
SETS = ["fsdd10", "fsdd30", "music_speech_silence", "gm_instruments", "fsdd_loso"]

# One change against the defaults per variant; "groups" passes fit(groups=...)
# where the set has groups (speakers).
VARIANTS = {
    "default": {},
    "min_epochs=0": {"min_epochs": 0},
    "lr_schedule=constant": {"lr_schedule": "constant"},
    "validation_fraction=0.2": {"validation_fraction": 0.2},
    "input_noise=0": {"input_noise": 0.0},
    "learning_rate=3e-4": {"learning_rate": 3e-4},
    "mixup=0.2": {"mixup": 0.2},
    "masks=2x2": {"time_masks": 2, "freq_masks": 2},
    "batch_norm=False": {"batch_norm": False},
    "groups": {"_groups": True},
    "groups+masks": {"_groups": True, "time_masks": 2, "freq_masks": 2},
    "groups+mixup": {"_groups": True, "mixup": 0.2},
    # Waveform augmentation (a pipeline step before the features, per fold):
    "augment": {"_augment": {"n_copies": 2}},
    "augment+pitch": {"_augment": {"n_copies": 2, "pitch_semitones": 2.0}},
    "augment+pitch+stretch": {
        "_augment": {"n_copies": 3, "pitch_semitones": 2.5, "stretch_rate": 1.15}
    },
    "groups+pitch": {"_groups": True, "_augment": {"n_copies": 2, "pitch_semitones": 2.0}},
    "groups+pitch+masks": {
        "_groups": True, "time_masks": 2, "freq_masks": 2,
        "_augment": {"n_copies": 2, "pitch_semitones": 2.0},
    },
    # Per-utterance cepstral mean normalisation of every clip, train and test
    # alike: removes each clip's level and channel / vocal-tract offset, the
    # classic cure for speaker and channel mismatch.
    "cmn": {"_normalize": "mean"},
    "cmn+masks": {"_normalize": "mean", "time_masks": 2, "freq_masks": 2},
    "cmn+mixup": {"_normalize": "mean", "mixup": 0.2},
    "cmn+pitch": {"_normalize": "mean", "_augment": {"n_copies": 2, "pitch_semitones": 2.0}},
    # Without the white noise, which also fills a short clip's zero tail.
    "cmn+pitch-noise": {
        "_normalize": "mean", "_augment": {"n_copies": 2, "pitch_semitones": 2.0, "p_noise": 0.0},
    },
    # Every copy pitch-shifted (p_pitch=1), not half of them: more voices, same cost.
    "cmn+pitch1": {
        "_normalize": "mean", "_augment": {"n_copies": 2, "pitch_semitones": 2.0, "p_pitch": 1.0},
    },
    "cmn+pitch+masks": {
        "_normalize": "mean", "time_masks": 2, "freq_masks": 2,
        "_augment": {"n_copies": 2, "pitch_semitones": 2.0},
    },
}
FAMILY_VARIANTS = {
    "cnn": list(VARIANTS),
    "lstm": [v for v in VARIANTS if v != "batch_norm=False"],
    "dense": [v for v in VARIANTS if v not in ("masks=2x2", "batch_norm=False")],
}


def data_root():
    return Path(os.environ.get("SKLEARN_AUDIO_DATA") or REPO.parent / "shared" / "data")


def load_set(name):
    """Paths, labels, groups (or None) of a set."""
    root = data_root()
    if name.startswith("fsdd"):
        paths = sorted((root / "fsdd" / "recordings").glob("*.wav"))
        parts = [FSDD_NAME.search(p.name).groups() for p in paths]
        labels = np.array([int(d) for d, _, _ in parts])
        speakers = np.array([s for _, s, _ in parts])
        indexes = np.array([int(i) for _, _, i in parts])
        return np.array([str(p) for p in paths]), labels, speakers, indexes
    folder = root / name
    paths = sorted(p for p in folder.glob("*/*.wav"))
    labels = np.array([p.parent.name for p in paths])
    return np.array([str(p) for p in paths]), labels, None, None


def folds(name, labels, speakers, indexes, seed):
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

    if name in ("fsdd10", "fsdd30"):
        per_class = int(name[4:])
        rng = np.random.default_rng(seed)
        train = np.concatenate([
            rng.choice(np.flatnonzero((labels == d) & (indexes >= 5)), per_class, replace=False)
            for d in np.unique(labels)
        ])  # fmt: skip
        return [(np.sort(train), np.flatnonzero(indexes < 5))]
    if name == "fsdd_loso":
        return list(LeaveOneGroupOut().split(labels, labels, speakers))
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    return list(cv.split(labels, labels))


def mfcc_step(family, front_end, normalize=None):
    from sklearn_audio import MFCCTransformer

    output = "stats" if family == "dense" else "frames"
    if front_end == "fsdd8k":  # benchmarks/fsdd.py's front end: 8 kHz, whole clips
        return MFCCTransformer(
            sr=8000, n_mfcc=13, n_fft=512, hop_length=128, output=output, normalize=normalize
        )
    return MFCCTransformer(n_mfcc=13, output=output, normalize=normalize)


def features(paths, family, front_end, normalize=None):
    from sklearn_audio import AudioLoader, RawSegmenter

    mfcc = mfcc_step(family, front_end, normalize)
    if front_end == "fsdd8k":
        return np.asarray(mfcc.fit_transform(AudioLoader(sr=8000).fit_transform(paths)))
    segments = RawSegmenter(segment_seconds=3.0).fit_transform(
        AudioLoader(sr=22050).fit_transform(paths)
    )
    return np.asarray(mfcc.fit_transform(segments))


def waveforms(paths, front_end):
    """Each clip as one zero-padded segment: what WaveformAugmenter takes."""
    from sklearn_audio import AudioLoader, RawSegmenter

    sr, seconds = (8000, 2.3) if front_end == "fsdd8k" else (22050, 3.0)
    clips = AudioLoader(sr=sr).fit_transform(paths)
    return RawSegmenter(segment_seconds=seconds, sr=sr).fit_transform(clips), sr


def augmented_features(segments, sr, train, test, family, front_end, augment, seed,
                       normalize=None):
    """Features of the training clips with augmented copies, and of the test clips."""
    from sklearn_audio import WaveformAugmenter

    mfcc = mfcc_step(family, front_end, normalize)
    augmenter = WaveformAugmenter(sr=sr, random_state=seed, **augment)
    X_train = mfcc.fit_transform(augmenter.fit_transform(segments[train]))
    return np.asarray(X_train), np.asarray(mfcc.transform(segments[test]))


def classifier(family, params, seed):
    from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier

    cls = {"cnn": CNNClassifier, "lstm": LSTMClassifier, "dense": DenseClassifier}[family]
    return cls(random_state=seed, **params)


def run(family, set_names, variant_names, seed, front_end="readme", max_folds=None):
    results = {v: {} for v in variant_names}
    for name in set_names:
        paths, labels, speakers, indexes = load_set(name)
        start = time.perf_counter()
        set_front_end = front_end if name.startswith("fsdd") else "readme"
        X_by_norm = {None: features(paths, family, set_front_end)}
        print(f"\n== {name}: {len(paths)} clips, features {X_by_norm[None].shape} in "
              f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
        splits = folds(name, labels, speakers, indexes, seed)[:max_folds]
        if name == "fsdd_loso":
            print("   folds (held-out speaker): "
                  + " ".join(str(speakers[test][0]) for _, test in splits))  # fmt: skip
        segments = None
        for variant in variant_names:
            params = dict(VARIANTS[variant])
            use_groups = params.pop("_groups", False)
            augment = params.pop("_augment", None)
            norm = params.pop("_normalize", None)
            if norm is not None and family == "dense":
                continue  # per-clip stats: the centred means would all be zero
            if norm not in X_by_norm:
                X_by_norm[norm] = features(paths, family, set_front_end, norm)
            X = X_by_norm[norm]
            if augment is not None and segments is None:
                segments, sr = waveforms(paths, set_front_end)
            if use_groups and speakers is None or use_groups and name != "fsdd_loso":
                continue
            accuracies, constant, epochs = [], 0, []
            start = time.perf_counter()
            for train, test in splits:
                clf = classifier(family, params, seed)
                fit_params = {"groups": speakers[train]} if use_groups else {}
                X_train, X_test = X[train], X[test]
                if augment is not None:
                    X_train, X_test = augmented_features(
                        segments, sr, train, test, family, set_front_end, augment, seed, norm
                    )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(X_train, labels[train], **fit_params)
                predicted = clf.predict(X_test)
                accuracies.append(float(np.mean(predicted == labels[test])))
                constant += np.unique(predicted, return_counts=True)[1].max() >= 0.9 * len(test)
                epochs.append(clf.n_epochs_)
            results[variant][name] = (np.mean(accuracies), constant)
            flag = f"  << {constant} CONSTANT" if constant else ""
            print(f"   {variant:<26} acc {np.mean(accuracies):.3f}  "
                  f"(folds {' '.join(f'{a:.2f}' for a in accuracies)})  epochs "
                  f"{np.mean(epochs):5.1f}  {time.perf_counter() - start:6.0f} s{flag}",
                  flush=True)  # fmt: skip
    print(f"\n== summary ({family}, seed {seed}): mean clip accuracy")
    header = "".join(f"{n[:12]:>13}" for n in set_names)
    print(f"   {'variant':<26}{header}{'mean':>8}{'vs default':>11}")
    base = None
    for variant in variant_names:
        row = results[variant]
        if not row:
            continue
        cells = "".join(f"{row[n][0]:>13.3f}" if n in row else f"{'':>13}" for n in set_names)
        common = [n for n in set_names if n in row and n in results.get("default", row)]
        mean = np.mean([row[n][0] for n in common])
        if variant == "default":
            base = mean
        delta = "" if base is None else f"{mean - base:>+11.3f}"
        print(f"   {variant:<26}{cells}{mean:>8.3f}{delta}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", choices=sorted(FAMILY_VARIANTS), default="cnn")
    parser.add_argument("--sets", default=",".join(SETS[:4]))
    parser.add_argument("--variants", default=None, help="comma list (default: all of the family)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--front-end", choices=["readme", "fsdd8k"], default="readme",
                        help="fsdd8k: benchmarks/fsdd.py's 8 kHz front end for the FSDD sets")
    parser.add_argument("--max-folds", type=int, default=None, help="first N folds of each set")
    parser.add_argument("--no-default", action="store_true",
                        help="do not add the default row (already measured in an earlier run)")
    args = parser.parse_args()
    import keras
    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs")
    variants = args.variants.split(",") if args.variants else FAMILY_VARIANTS[args.family]
    if "default" not in variants and not args.no_default:
        variants = ["default"] + variants
    start = time.perf_counter()
    run(args.family, args.sets.split(","), variants, args.seed, args.front_end, args.max_folds)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
