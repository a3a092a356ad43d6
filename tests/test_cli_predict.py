"""``sklearn-audio predict``: output formats, --output, batches, timelines, exported models."""

import csv
import io
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile

import sklearn_audio.io as audio_io
from sklearn_audio.cli import _predict, main
from sklearn_audio.cli._output import row_writer

SR = 8000


def _tone(freq, seconds, sr=SR, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.normal(size=t.size)).astype(
        np.float32)


@pytest.fixture(scope="module")
def tones_model(tmp_path_factory):
    """A dense model told low (300 Hz) from high (1200 Hz) tones: 1-s clips, 8 per class."""
    root = tmp_path_factory.mktemp("tones")
    for label, freq in (("low", 300.0), ("high", 1200.0)):
        (root / "data" / label).mkdir(parents=True)
        for k in range(8):
            soundfile.write(root / "data" / label / f"{label}{k}.wav",
                            _tone(freq * (1 + 0.02 * k), 1.0, seed=k), SR)
    model = root / "model.joblib"
    assert main(["train", str(root / "data"), "--sr", str(SR), "--model", "dense",
                 "--epochs", "60", "--no-early-stopping", "--learning-rate", "0.01",
                 "--test-size", "0.25", "--out", str(model)]) == 0
    return {"model": model, "data": root / "data"}


def _predict_rows(capsys, *argv):
    status = main(["predict", *argv])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


@pytest.mark.slow  # trains the module's model once (~15 s)
def test_formats_agree(tones_model, capsys):
    model, data = str(tones_model["model"]), tones_model["data"]
    folder = str(data / "high")
    as_json = json.loads(_predict_rows(capsys, model, folder, "--format", "json"))
    lines = _predict_rows(capsys, model, folder, "--format", "jsonl").splitlines()
    as_jsonl = [json.loads(line) for line in lines]
    table = list(csv.DictReader(io.StringIO(_predict_rows(capsys, model, folder,
                                                          "--format", "csv"))))
    text = _predict_rows(capsys, model, folder).splitlines()
    assert as_json == as_jsonl and len(as_json) == 8
    assert [row["file"] for row in table] == [row["file"] for row in as_json]
    for row, line, entry in zip(table, text, as_json):
        assert row["label"] == entry["label"] == line.split("\t")[1]
        assert float(row["p_high"]) == pytest.approx(entry["probabilities"]["high"])
    # The model learned the task: high tones are labelled high.
    assert sum(entry["label"] == "high" for entry in as_json) >= 7
    # --json is kept, as a short form of --format json.
    assert json.loads(_predict_rows(capsys, model, folder, "--json")) == as_json


@pytest.mark.slow
def test_output_file_is_written_whole_and_batches_bound_decoding(tones_model, tmp_path,
                                                                 capsys, monkeypatch):
    seen = []
    original = _predict.PipelinePredictor.predict_proba_paths

    def recorded(self, paths):
        seen.append(len(paths))
        return original(self, paths)

    monkeypatch.setattr(_predict.PipelinePredictor, "predict_proba_paths", recorded)
    out = tmp_path / "labels.csv"
    out.write_text("previous\n")
    status = main(["predict", str(tones_model["model"]), str(tones_model["data"]),
                   "--format", "csv", "--output", str(out), "--batch-size", "5"])
    captured = capsys.readouterr()
    assert status == 0 and captured.out == ""
    assert "wrote 16 rows" in captured.err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 16 and set(rows[0]) == {"file", "label", "p_high", "p_low"}
    assert seen == [5, 5, 5, 1]  # never more than --batch-size files decoded at once
    assert [p.name for p in tmp_path.iterdir()] == ["labels.csv"]  # no temporary left


@pytest.mark.slow
def test_failed_run_keeps_the_previous_output(tones_model, tmp_path, capsys):
    broken = tmp_path / "in" / "broken.wav"
    broken.parent.mkdir()
    broken.write_bytes(b"")
    out = tmp_path / "labels.jsonl"
    out.write_text("previous\n")
    status = main(["predict", str(tones_model["model"]), str(tones_model["data"] / "low"),
                   str(broken), "--format", "jsonl", "--output", str(out)])
    assert status == 1 and "broken.wav" in capsys.readouterr().err
    assert out.read_text() == "previous\n"


@pytest.mark.slow
def test_window_timeline_follows_the_content_one_window_at_a_time(tones_model, tmp_path,
                                                                  capsys, monkeypatch):
    # 3 s low, then 2.5 s high: a timeline of 1-s windows, the last one 0.5 s.
    path = tmp_path / "long.wav"
    soundfile.write(path, np.concatenate([_tone(300.0, 3.0), _tone(1200.0, 2.5)]), SR)
    read = []
    original = audio_io.load_audio

    def recorded(*args, **kwargs):
        read.append(kwargs["duration"])
        return original(*args, **kwargs)

    # _predict imports load_audio from sklearn_audio.io when it reads windows.
    monkeypatch.setattr(audio_io, "load_audio", recorded)
    rows = [json.loads(line) for line in _predict_rows(
        capsys, str(tones_model["model"]), str(path), "--window", "1", "--format", "jsonl",
        "--batch-size", "2").splitlines()]
    assert [(row["start"], row["end"]) for row in rows] == [
        (0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 5.0), (5.0, 5.5)]
    assert [row["label"] for row in rows] == ["low"] * 3 + ["high"] * 3
    # Streaming: the file is read window by window, never whole.
    assert read == [1.0] * 5 + [0.5]


def test_window_csv_has_start_and_end_columns():
    out = io.StringIO()
    sys_stdout, sys.stdout = sys.stdout, out
    try:
        with row_writer("csv", ["a", "b"], windowed=True) as rows:
            rows.write("x.wav", "b", [0.25, 0.75], 2.0, 4.0)
    finally:
        sys.stdout = sys_stdout
    assert out.getvalue().splitlines() == ["file,start,end,label,p_a,p_b",
                                           "x.wav,2.0,4.0,b,0.25,0.75"]


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from sklearn_audio.cli._progress import file_progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert file_progress_bar(10).disable
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert not file_progress_bar(10).disable
    assert file_progress_bar(10, quiet=True).disable


_NO_TENSORFLOW = textwrap.dedent("""
    import sys, types
    import numpy as np
    {setup}
    from sklearn_audio.cli import main
    status = main(sys.argv[1:])
    assert status == 0, status
    # Neither TensorFlow nor scikit-learn: the import of either costs a second or more.
    heavy = sorted(m for m in ("tensorflow", "keras", "sklearn", "librosa") if m in sys.modules)
    print("HEAVY", heavy)
""")

# A stand-in for the export helper's loader: the command's own import chain is under test.
_FAKE_EXPORTED = """
class Fake:
    classes_ = np.array(["low", "high"])
    sr = 8000
    def predict_proba_paths(self, paths):
        return np.tile([0.25, 0.75], (len(paths), 1))
    def predict_proba_windows(self, path, window_seconds):
        yield (0.0, window_seconds, np.array([0.9, 0.1]))
module = types.ModuleType("sklearn_audio.cli._export_commands")
module.load_exported_for_predict = lambda path: Fake()
sys.modules["sklearn_audio.cli._export_commands"] = module
"""


def _run_python(code, *argv):
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("window", [[], ["--window", "2"]], ids=["files", "window"])
def test_predict_on_an_exported_model_imports_no_tensorflow(tmp_path, window):
    model = tmp_path / "model.tflite"
    model.write_bytes(b"stand-in")
    clip = tmp_path / "clip.wav"
    soundfile.write(clip, _tone(300.0, 1.0), SR)
    result = _run_python(_NO_TENSORFLOW.format(setup=_FAKE_EXPORTED), "predict", str(model),
                         str(clip), "--format", "jsonl", *window)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    row = json.loads(result.stdout.splitlines()[0])
    assert row["label"] == ("low" if window else "high")


def test_help_imports_no_tensorflow():
    code = ("import sys\nfrom sklearn_audio.cli import main\n"
            "try:\n    main(['predict', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('HEAVY', sorted(m for m in ('tensorflow', 'keras', 'sklearn') "
            "if m in sys.modules))")
    result = _run_python(code)
    assert result.returncode == 0, result.stderr
    assert "--window SECONDS" in result.stdout and "HEAVY []" in result.stdout


@pytest.mark.slow
def test_exported_model_labels_like_the_pipeline_without_tensorflow(tones_model, tmp_path,
                                                                   capsys):
    exported = tmp_path / "model.tflite"
    assert main(["export", str(tones_model["model"]), str(exported)]) == 0
    long = tmp_path / "long.wav"
    soundfile.write(long, np.concatenate([_tone(300.0, 2.0), _tone(1200.0, 2.0)]), SR)
    code = _NO_TENSORFLOW.format(setup="")
    for extra in ([], ["--window", "1"]):
        files = [str(long)] if extra else []
        argv = ["predict", str(exported), str(tones_model["data"]), *files, "--format", "jsonl"]
        result = _run_python(code, *argv, *extra)
        assert result.returncode == 0, result.stderr
        assert "HEAVY []" in result.stdout
        # LiteRT's own start-up line is not shown to the user.
        assert "XNNPACK" not in result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
        capsys.readouterr()
        expected = [json.loads(line) for line in
                    _predict_rows(capsys, *[str(tones_model["model"])] + argv[2:] + extra)
                    .splitlines()]
        assert [r["label"] for r in rows] == [r["label"] for r in expected]
        for row, want in zip(rows, expected):
            for c, p in want["probabilities"].items():
                assert row["probabilities"][c] == pytest.approx(p, abs=1e-3)


def test_a_closed_output_pipe_ends_the_command_quietly(tmp_path):
    # ``sklearn-audio predict ... | head -1``: no error line once the reader has gone.
    for k in range(3):
        soundfile.write(tmp_path / f"clip{k}.wav", _tone(300.0, 0.2), SR)
    code = _NO_TENSORFLOW.format(setup=_FAKE_EXPORTED).replace(
        "assert status == 0, status", "assert status == 141, status")
    model = tmp_path / "model.tflite"
    model.write_bytes(b"stand-in")
    command = [sys.executable, "-c", code, "predict", str(model), str(tmp_path), "--batch-size",
               "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first row is written
    err = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 0, err.decode()
    assert b"error" not in err.lower(), err.decode()
