"""Pretrained musicnn embeddings + LogisticRegression on the small real sets, and their cost.

Usage::

    python benchmarks/pretrained.py                    # every set; MFCC + DenseClassifier too
    python benchmarks/pretrained.py --no-baseline      # musicnn only (about 2 minutes on 2 cores)
    python benchmarks/pretrained.py --sets music_speech_silence --models MSD_musicnn

The sets and their clip-level splits are those of ``benchmarks/small_data.py``
(imported from it): ``fsdd5`` and ``fsdd10`` (5 or 10 training clips per
digit, the official 300-clip test split), ``music_speech_silence`` and
``gm_instruments`` (repeated stratified 5-fold by clip, x 2).

For each set, every clip is embedded once per musicnn output
(``MusicnnTransformer`` has no fitted state, so this leaks nothing across
folds), then ``StandardScaler`` + ``LogisticRegression(max_iter=5000)``
are fit per fold; the table gives the mean clip accuracy over folds. The
baseline column is small_data.py's ``dense`` method (``AudioLoader ->
RawSegmenter -> MFCCTransformer(output="stats") -> DenseClassifier``,
defaults), the best from-scratch default there, run on the same folds.

Speed: seconds of audio (the clips' own durations) embedded per second of
wall time, with the TensorFlow threads limited to the usable cores; a clip
shorter than 3 s still costs one whole 3-s patch (it is repeated), so
FSDD's half-second digits are the slow case and 4-s instruments the
typical one. Memory: peak resident set size of the process while
embedding (sampled every 20 ms), and the resident size just before.
"""

import argparse
import os
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import small_data  # noqa: E402  (the sets, the splits, the baseline pipeline)

SETS = ["fsdd5", "fsdd10", "music_speech_silence", "gm_instruments"]
OUTPUTS = ["mean_pool", "max_pool", "penultimate", "taggram"]


class PeakRSS:
    """Peak resident set size of this process while the block runs (sampled)."""

    def __enter__(self):
        import psutil

        self._process = psutil.Process()
        self.before = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def durations(paths):
    from sklearn_audio.io import audio_duration

    return float(sum(audio_duration(p) for p in paths))


def embed(model, paths, args):
    """Every output of ``model`` for ``paths``; the speed and memory of the first pass."""
    from sklearn_audio.pretrained import MusicnnTransformer

    outputs = OUTPUTS if model.endswith("_musicnn") else ["pool5", "taggram"]
    # Build (and trace) the network outside the timing: a one-off cost per process.
    MusicnnTransformer(model=model).fit(paths[:1]).transform(paths[:1])
    features, cost = {}, None
    for output in outputs:
        transformer = MusicnnTransformer(model=model, output=output, batch_size=args.batch_size,
                                         n_jobs=args.n_jobs).fit(paths)  # fmt: skip
        with PeakRSS() as memory:
            start = time.perf_counter()
            features[output] = transformer.transform(paths)
            seconds = time.perf_counter() - start
        if cost is None:
            cost = {"seconds": seconds, "rss_before": memory.before, "rss_peak": memory.peak}
    return features, cost


def logistic_accuracy(features, labels, splits):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores = []
    for train, test in splits:
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(features[train], labels[train])
        scores.append(float(np.mean(clf.predict(features[test]) == labels[test])))
    return float(np.mean(scores))


def baseline_accuracy(paths, labels, splits, args):
    scores = []
    for train, test in splits:
        predicted, _, _, _ = small_data.run_pipeline("dense", paths, labels, train, test, 0, args)
        scores.append(float(np.mean(predicted == labels[test])))
    return float(np.mean(scores))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=small_data.comma_list, default=SETS)
    parser.add_argument("--models", type=small_data.comma_list, default=["MSD_musicnn"],
                        help="comma-separated musicnn models (default MSD_musicnn)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the MFCC + DenseClassifier column")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()  # fmt: skip
    # What small_data's helpers read from their own command line.
    args.quick, args.folds, args.repeats, args.gm_split = False, 5, 2, "cv"
    small_data.limit_threads(args.threads)
    small_data.print_environment(args.threads)

    rows = []
    for name in args.sets:
        paths, labels, splits, what = small_data.make_splits(name, 0, args)
        used = np.unique(np.concatenate([np.r_[tr, te] for tr, te in splits]))
        # Embed only the clips the splits use; index the splits into that subset.
        position = {clip: k for k, clip in enumerate(used)}
        sub_paths, sub_labels = paths[used], labels[used]
        sub_splits = [(np.array([position[i] for i in tr]), np.array([position[i] for i in te]))
                      for tr, te in splits]  # fmt: skip
        audio_seconds = durations(sub_paths)
        print(f"\n== {name}: {len(used)} clips, {audio_seconds:.0f} s of audio; {what}",
              flush=True)  # fmt: skip
        row = {"set": name, "clips": len(used), "audio_s": audio_seconds}
        for model in args.models:
            features, cost = embed(model, list(sub_paths), args)
            for output, X in features.items():
                row[f"{model}:{output}"] = logistic_accuracy(X, sub_labels, sub_splits)
                print(f"   {model} {output:<12} accuracy {row[f'{model}:{output}']:.3f}",
                      flush=True)  # fmt: skip
            row[f"{model}:speed"] = audio_seconds / cost["seconds"]
            row[f"{model}:rss"] = (cost["rss_before"] / 2**20, cost["rss_peak"] / 2**20)
            print(f"   {model} embedding: {cost['seconds']:.1f} s, "
                  f"{row[f'{model}:speed']:.0f} s of audio per s; RSS "
                  f"{row[f'{model}:rss'][0]:.0f} -> peak {row[f'{model}:rss'][1]:.0f} MiB",
                  flush=True)  # fmt: skip
        if not args.no_baseline:
            start = time.perf_counter()
            row["baseline"] = baseline_accuracy(sub_paths, sub_labels, sub_splits, args)
            print(f"   MFCC stats + DenseClassifier accuracy {row['baseline']:.3f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
        rows.append(row)

    for model in args.models:
        outputs = [k.split(":")[1] for k in rows[0] if k.startswith(model + ":")
                   and k.split(":")[1] not in ("speed", "rss")]  # fmt: skip
        print(f"\n{model} + StandardScaler + LogisticRegression, mean clip accuracy over folds")
        head = ["data set"] + outputs + ([] if args.no_baseline else ["MFCC+Dense"])
        head += ["audio s / s", "RSS MiB (before -> peak)"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            cells = [row["set"]] + [f"{row[f'{model}:{o}']:.3f}" for o in outputs]
            if not args.no_baseline:
                cells.append(f"{row['baseline']:.3f}")
            before, peak = row[f"{model}:rss"]
            cells += [f"{row[f'{model}:speed']:.0f}", f"{before:.0f} -> {peak:.0f}"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
