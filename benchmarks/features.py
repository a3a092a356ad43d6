"""MFCC extraction: speed against a per-clip librosa loop, and peak memory at GTZAN scale.

Usage::

    python benchmarks/features.py                # speed, MFCC memory, train memory
    python benchmarks/features.py --quick        # a smoke run (fewer, shorter runs)
    python benchmarks/features.py --memory-only  # skip the speed comparison

Speed: the same 30-s clips at 22,050 Hz go through ``librosa.feature.mfcc``
one by one (what users write today) and through ``MFCCTransformer``, in the
same process, alternating, several rounds; the median times are compared,
and the outputs checked equal to within 1e-3 of the coefficients' range.

Memory: 1,000 files of 30 s (GTZAN scale) are synthesised in a temporary
folder and their paths given to ``MFCCTransformer``, which streams them. A
child process does the extraction and reports its peak resident memory
above what it held after its imports, against the 2.6 GB that holding all
raw waveforms in float32 would take.

Train memory: the pipeline ``sklearn-audio train`` fits
(``cli._pipelines.build_pipeline``, with the command's choice of model and
segmenting, one epoch) is fitted on 80 % of a folder-per-class data set and
predicts the other 20 %, in a fresh process per run, whose peak resident
memory (``ru_maxrss``, TensorFlow included) is printed. Two data sets, both
built from real notes of ``gm_instruments`` (22,050 Hz; set
``SKLEARN_AUDIO_DATA``, default ``../shared/data``): (1) 1,000 files of 30 s
(8 notes of one instrument end to end), 3-s segments, the command's default
for long clips; (2) 1,554 files, 1,500 notes of 1 s and 54 files of 30 s,
cut into 1-s segments (``--segment-seconds 1``), the collection of issue 12.
Each is run with the streaming pipeline and with the unstreamed baseline
(``AudioLoader -> RawSegmenter`` without ``max_segments`` ``-> MFCC``, a
plain ``Pipeline``), in the same run, and their ratio printed.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SR = 22050
SECONDS = 30
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SKLEARN_AUDIO_DATA", ROOT.parent / "shared" / "data"))
#: Goal of issue 12 for the peak memory of ``train`` on both data sets.
TRAIN_MEMORY_GOAL_MB = 1500


def synthetic_clip(rng, seconds=SECONDS, sr=SR):
    """Music-like test signal: a few harmonic tones with vibrato, plus noise."""
    t = np.arange(seconds * sr) / sr
    clip = 0.02 * rng.standard_normal(len(t))
    for _ in range(3):
        f0 = rng.uniform(80, 800)
        vibrato = 1 + 0.01 * np.sin(2 * np.pi * rng.uniform(2, 6) * t)
        for harmonic in range(1, 4):
            clip += 0.1 / harmonic * np.sin(2 * np.pi * f0 * harmonic * vibrato * t)
    return clip.astype(np.float32)


def benchmark_speed(n_clips, rounds):
    import librosa
    from threadpoolctl import threadpool_limits

    from sklearn_audio import MFCCTransformer

    rng = np.random.default_rng(0)
    X = np.stack([synthetic_clip(rng) for _ in range(n_clips)])
    params = dict(sr=SR, n_mfcc=13, n_fft=2048, hop_length=512)

    def librosa_loop():
        return np.stack([librosa.feature.mfcc(y=clip, **params).T for clip in X])

    def librosa_loop_one_blas_thread():
        with threadpool_limits(1, user_api="blas"):
            return librosa_loop()

    ours = MFCCTransformer(**params).fit(X)
    ours_threads = MFCCTransformer(**params, n_jobs=2).fit(X)
    contenders = {
        "librosa per-clip loop": librosa_loop,
        "librosa per-clip loop, 1 BLAS thread": librosa_loop_one_blas_thread,
        "MFCCTransformer (n_jobs=None)": lambda: ours.transform(X),
        "MFCCTransformer (n_jobs=2)": lambda: ours_threads.transform(X),
    }
    outputs = {name: run() for name, run in contenders.items()}  # warm-up
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    reference = outputs["librosa per-clip loop"]
    error = max(
        np.abs(out - reference).max() / np.ptp(reference)
        for name, out in outputs.items()
        if name.startswith("MFCC")
    )
    base = statistics.median(times["librosa per-clip loop"])
    print(f"\n== MFCC speed: {n_clips} clips of {SECONDS} s at {SR} Hz, median of {rounds} rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:40s} {median:7.2f} s  {1000 * median / n_clips:6.1f} ms/clip  "
            f"{base / median:5.2f}x vs librosa loop"
        )
    print(f"max |difference| / coefficient range vs librosa: {error:.2e} (goal < 1e-3)")


def write_files(folder, n_files):
    import soundfile as sf

    rng = np.random.default_rng(1)
    base = [synthetic_clip(rng) for _ in range(8)]
    paths = []
    for i in range(n_files):
        # Vary each file cheaply so no two are identical.
        clip = np.roll(base[i % len(base)], i * 997) * (0.5 + 0.5 * (i % 7) / 6)
        path = Path(folder) / f"clip{i:04d}.wav"
        sf.write(path, clip, SR, subtype="PCM_16")
        paths.append(str(path))
    return paths


def _rss_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def child_extract(folder):
    """Runs in a fresh process: extract MFCC frames from every file, report memory."""
    from sklearn_audio import MFCCTransformer

    paths = sorted(str(p) for p in Path(folder).glob("*.wav"))
    mfcc = MFCCTransformer(sr=SR, n_mfcc=13)
    MFCCTransformer(sr=SR).fit_transform(paths[:2])  # import everything lazily loaded
    before = _rss_mb("VmHWM:")
    start = time.perf_counter()
    features = mfcc.fit_transform(paths)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT {len(paths)} {features.shape} {features.nbytes / 2**20:.1f} {before:.1f} {peak:.1f} {elapsed:.1f}")


def benchmark_memory(n_files):
    with tempfile.TemporaryDirectory(prefix="sklearn_audio_bench_") as folder:
        start = time.perf_counter()
        write_files(folder, n_files)
        print(f"\n== MFCC memory: {n_files} files of {SECONDS} s synthesised in {time.perf_counter() - start:.0f} s")
        result = subprocess.run(
            [sys.executable, __file__, "--child", folder],
            check=True, capture_output=True, text=True,
        )
        line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
        _, n, *rest = line.split(" ", 2)
        shape_and_numbers = rest[0]
        shape = shape_and_numbers[: shape_and_numbers.index(")") + 1]
        out_mb, before, peak, elapsed = map(float, shape_and_numbers[len(shape) :].split())
        raw_gb = n_files * SECONDS * SR * 4 / 1e9
        print(f"output features {shape}, {out_mb:.0f} MB; extraction took {elapsed:.1f} s")
        print(f"resident memory after imports: {before:.0f} MB; peak during extraction: {peak:.0f} MB")
        print(
            f"peak increase {peak - before:.0f} MB vs {raw_gb * 1000:.0f} MB to hold the raw audio "
            f"({(peak - before) / (raw_gb * 1000):.1%})"
        )


def real_notes():
    """gm_instruments notes by instrument, float32 at 22,050 Hz."""
    import soundfile as sf

    notes = {}
    for path in sorted((DATA / "gm_instruments").glob("*/*.wav")):
        clip, sr = sf.read(path, dtype="float32")
        assert sr == SR, f"{path} is at {sr} Hz, expected {SR}"
        notes.setdefault(path.parent.name, []).append(clip)
    if not notes:
        raise SystemExit(f"no gm_instruments notes under {DATA} (set SKLEARN_AUDIO_DATA)")
    return notes


def write_collection(folder, notes, n_long, n_short, rng):
    """``n_long`` files of 30 s (notes end to end) and ``n_short`` 1-s notes, a folder per class."""
    import soundfile as sf

    names = sorted(notes)
    for i in range(n_long + n_short):
        name = names[i % len(names)]
        pool = notes[name]
        if i < n_long:
            order = rng.permutation(len(pool))
            clip = np.concatenate([pool[k] for k in order[:16]])
            while len(clip) < SECONDS * SR:
                clip = np.concatenate([clip, clip])
            clip = clip[: SECONDS * SR]
        else:
            clip = pool[rng.integers(len(pool))][:SR]
        clip = clip * np.float32(rng.uniform(0.5, 1.0))
        path = Path(folder) / name / f"{'long' if i < n_long else 'note'}{i:05d}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, clip, SR, subtype="PCM_16")


def child_train(folder, variant, requested):
    """Runs in a fresh process: what ``train`` does with its pipeline; report memory."""
    import warnings

    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline

    from sklearn_audio.cli._pipelines import build_pipeline, choose_model, choose_segmenting
    from sklearn_audio.datasets import load_audio_folder
    from sklearn_audio.io import audio_duration

    warnings.simplefilter("ignore")
    data = load_audio_folder(folder)
    durations = [audio_duration(p) for p in data.filenames]
    requested = None if requested == "auto" else float(requested)
    segment_seconds, _ = choose_segmenting(durations, requested)
    X_train, X_test, y_train, y_test = train_test_split(
        data.filenames, data.target, test_size=0.2, stratify=data.target, random_state=0
    )
    model, _ = choose_model(len(X_train))
    pipe = build_pipeline(model, sr=SR, segment_seconds=segment_seconds, epochs=1, random_state=0)
    if variant == "baseline":
        # The pipeline before streaming: every waveform, padded to the longest clip.
        if segment_seconds:
            pipe.named_steps["seg"].set_params(max_segments=None)
        pipe = Pipeline(pipe.steps)
    before = _rss_mb("VmHWM:")
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    accuracy = float(np.mean(pipe.predict(X_test) == y_test))
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_segments = pipe.named_steps["seg"].n_segments_ if segment_seconds else 1
    print(f"RESULT {model} {segment_seconds} {n_segments} {before:.1f} {peak:.1f} "
          f"{elapsed:.1f} {accuracy:.3f}")


def _run_train_child(folder, variant, requested):
    result = subprocess.run(
        [sys.executable, __file__, "--child-train", folder, variant, requested],
        capture_output=True, text=True,
    )
    lines = [x for x in result.stdout.splitlines() if x.startswith("RESULT")]
    if result.returncode or not lines:
        return None, f"failed (exit {result.returncode}): {result.stderr.strip()[-300:]}"
    model, segment, n_segments, before, peak, elapsed, accuracy = lines[0].split()[1:]
    return float(peak), (
        f"{model}, segments {segment} s x {n_segments}; after imports {float(before):.0f} MB; "
        f"fit + predict {float(elapsed):.0f} s; accuracy {float(accuracy):.2f} (1 epoch)"
    )


def benchmark_train_memory(quick):
    notes = real_notes()
    rng = np.random.default_rng(2)
    scale = 10 if quick else 1
    cases = [
        (f"(1) {1000 // scale} files of 30 s", 1000 // scale, 0, "auto"),
        (f"(2) {1500 // scale} notes of 1 s + {54 // scale} files of 30 s, --segment-seconds 1",
         54 // scale, 1500 // scale, "1"),
    ]
    print("\n== train's pipeline: peak resident memory (child process, TensorFlow included)")
    for title, n_long, n_short, requested in cases:
        with tempfile.TemporaryDirectory(prefix="sklearn_audio_bench_") as folder:
            start = time.perf_counter()
            write_collection(folder, notes, n_long, n_short, rng)
            print(f"{title} (written in {time.perf_counter() - start:.0f} s):")
            peaks = {}
            for variant in ("streamed", "baseline"):
                peaks[variant], detail = _run_train_child(folder, variant, requested)
                shown = "n/a" if peaks[variant] is None else f"{peaks[variant]:6.0f} MB"
                print(f"  {variant:9s} peak {shown}  ({detail})")
            if None not in peaks.values():
                goal = "meets" if peaks["streamed"] <= TRAIN_MEMORY_GOAL_MB else "MISSES"
                print(
                    f"  streamed / baseline = {peaks['streamed'] / peaks['baseline']:.2f}; "
                    f"streamed {goal} the {TRAIN_MEMORY_GOAL_MB} MB goal"
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--memory-only", action="store_true", help="skip the speed comparison")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-train", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.child:
        child_extract(args.child)
        return
    if args.child_train:
        child_train(*args.child_train)
        return
    if not args.memory_only:
        benchmark_speed(n_clips=8 if args.quick else 60, rounds=2 if args.quick else 5)
    benchmark_memory(n_files=20 if args.quick else 1000)
    benchmark_train_memory(args.quick)


if __name__ == "__main__":
    main()
