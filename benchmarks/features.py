"""MFCC extraction: speed against a per-clip librosa loop, and peak memory at GTZAN scale.

Usage::

    python benchmarks/features.py            # 60 clips for speed, 1,000 files for memory
    python benchmarks/features.py --quick    # a smoke run

Speed: the same 30-s clips at 22,050 Hz go through ``librosa.feature.mfcc``
one by one (what users write today) and through ``MFCCTransformer``, in the
same process, alternating, several rounds; the median times are compared,
and the outputs checked equal to within 1e-3 of the coefficients' range.

Memory: 1,000 files of 30 s (GTZAN scale) are synthesised in a temporary
folder and their paths given to ``MFCCTransformer``, which streams them. A
child process does the extraction and reports its peak resident memory
above what it held after its imports, against the 2.6 GB that holding all
raw waveforms in float32 would take.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_extract(args.child)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    benchmark_speed(n_clips=8 if args.quick else 60, rounds=2 if args.quick else 5)
    benchmark_memory(n_files=20 if args.quick else 1000)


if __name__ == "__main__":
    main()
