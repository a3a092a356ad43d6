"""Prediction speed of an exported (LiteRT) model: cold start, warm latency, throughput.

Usage::

    python benchmarks/inference.py            # 30-s file, 5 cold runs, 40-file batch
    python benchmarks/inference.py --quick    # a smoke run

A CNN pipeline on 3-s MFCC segments (what ``sklearn-audio train`` builds for
long clips) is fitted on real instrument clips (``gm_instruments``, 22,050
Hz) and exported to ``.tflite``; the 30-s test file is real clips of that
set played one after another. Printed, in one run:

* cold ``predict`` of the 30-s file: the whole ``sklearn-audio predict``
  process (``python -m sklearn_audio predict``), and the bare runtime
  (``python -m sklearn_audio.runtime``), each in a fresh process;
* the baseline: cold ``predict`` with the model file ``train`` writes (the
  whole pipeline, through TensorFlow), and the ratio to it;
* the time to import TensorFlow in a fresh process, for comparison;
* warm latency per 30-s file (model loaded, decode + resample + predict);
* batch throughput, in files per second and seconds of audio per second.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SKLEARN_AUDIO_DATA", ROOT.parent / "shared" / "data"))
SR = 22050
SECONDS = 30.0


def _instrument_clips():
    folder = DATA / "gm_instruments"
    paths = sorted(folder.rglob("*.wav"))
    if not paths:
        sys.exit(f"gm_instruments not found under {DATA}; set SKLEARN_AUDIO_DATA")
    return paths, [p.parent.name for p in paths]


def _long_file(paths, folder, name, start):
    """Real clips one after another, cut to 30 s."""
    audio, total = [], 0
    for path in paths[start:]:
        clip, sr = sf.read(path, dtype="float32")
        assert sr == SR, (path, sr)
        audio.append(clip)
        total += len(clip)
        if total >= SECONDS * SR:
            break
    out = folder / name
    sf.write(out, np.concatenate(audio)[: int(SECONDS * SR)], SR)
    return out


def _fit_and_export(folder, quick):
    from sklearn_audio.cli._pipelines import build_pipeline
    from sklearn_audio.export import export_model

    paths, labels = _instrument_clips()
    take = slice(None, None, 16 if quick else 4)
    train, y = [str(p) for p in paths[take]], list(np.asarray(labels)[take])
    # Two 30-s clips among the training ones: the segmenter then keeps 10 segments
    # per clip, so the 30-s test file is predicted whole, as a 30-s data set would.
    for i in range(2):
        train.append(str(_long_file(paths, folder, f"train{i}.wav", start=40 * i)))
        y.append(labels[40 * i])
    pipe = build_pipeline("cnn", sr=SR, segment_seconds=3.0, epochs=2 if quick else 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(train, y)
    model = export_model(pipe, folder / "model.tflite")
    from sklearn_audio.cli._model_file import save_model

    pipeline_file = folder / "model.joblib"
    save_model(pipeline_file, pipe)
    return pipe, model, pipeline_file


def _timed(command):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    return elapsed, done


def _cold(command, runs):
    times = []
    for _ in range(runs):
        elapsed, done = _timed(command)
        if done.returncode != 0:
            return None, done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        times.append(elapsed)
    return times, done.stdout.strip()


def _report_cold(label, result):
    times, detail = result
    if times is None:
        print(f"{label}: failed ({' '.join(detail)})")
        return None
    print(f"{label}: median {statistics.median(times):.2f} s over {len(times)} runs "
          f"(first {times[0]:.2f} s)")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    runs = 2 if args.quick else 5
    batch = 8 if args.quick else 40
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths, _ = _instrument_clips()
        test_file = _long_file(paths, folder, "test30s.wav", start=200)
        _, model_path, pipeline_file = _fit_and_export(folder, args.quick)
        print(f"model: {model_path.stat().st_size / 1e3:.0f} kB; file: {SECONDS:.0f} s at {SR} Hz")

        cli = [sys.executable, "-m", "sklearn_audio", "predict", str(model_path), str(test_file)]
        exported = _report_cold("cold `sklearn-audio predict` (whole process)", _cold(cli, runs))
        baseline_cli = [sys.executable, "-m", "sklearn_audio", "predict", str(pipeline_file),
                        str(test_file)]
        baseline = _report_cold("baseline: cold `sklearn-audio predict` of the trained "
                                "pipeline (TensorFlow)", _cold(baseline_cli, runs))
        if exported and baseline:
            print(f"exported / baseline cold predict: {exported / baseline:.2f}")
        bare = [sys.executable, "-m", "sklearn_audio.runtime", str(model_path), str(test_file)]
        _report_cold("cold `python -m sklearn_audio.runtime` (whole process)", _cold(bare, runs))
        tf_import = [sys.executable, "-c", "import tensorflow"]
        _report_cold("import tensorflow alone (fresh process), for comparison",
                     _cold(tf_import, runs))

        from sklearn_audio.runtime import load_exported

        model = load_exported(model_path)
        model.predict_proba_paths([test_file])  # first call allocates the tensors
        latencies = []
        for _ in range(runs * 2):
            start = time.perf_counter()
            model.predict_proba_paths([test_file])
            latencies.append(time.perf_counter() - start)
        print(f"warm latency per 30-s file (decode + predict): "
              f"median {1e3 * statistics.median(latencies):.1f} ms")
        files = [test_file] * batch
        start = time.perf_counter()
        model.predict_proba_paths(files)
        elapsed = time.perf_counter() - start
        print(f"batch of {batch} files: {batch / elapsed:.1f} files/s, "
              f"{batch * SECONDS / elapsed:.0f} s of audio per s")


if __name__ == "__main__":
    main()
