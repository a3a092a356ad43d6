"""The command's pretrained front end: ``tags`` and ``train --features musicnn``, on real audio."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sklearn_audio.cli import MUSICNN_MODELS, main


def _run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _error_line(status, err):
    assert status == 1 and "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_tags_choices_are_the_ported_models():
    from sklearn_audio.pretrained import _network

    assert tuple(MUSICNN_MODELS) == tuple(_network.MODELS)


def test_tags_checks_paths_before_importing_tensorflow(tmp_path):
    code = ("import sys\nfrom sklearn_audio.cli import main\n"
            f"status = main(['tags', {str(tmp_path / 'missing.wav')!r}])\n"
            "print('STATUS', status, 'HEAVY', sorted(m for m in ('tensorflow', 'keras') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert "STATUS 1 HEAVY []" in result.stdout, result.stderr
    assert "missing.wav" in result.stderr


def test_tags_prints_the_top_tags_of_real_music(mss_dir, capsys):
    music = sorted((mss_dir / "music").glob("*.wav"))[:2]
    status, out, _ = _run(capsys, "tags", *map(str, music), "--top", "3")
    assert status == 0
    lines = out.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(p) for p in music]
    status, out, _ = _run(capsys, "tags", *map(str, music), "--top", "50", "--json")
    rows = json.loads(out)
    from sklearn_audio.pretrained import MusicnnTransformer

    proba = MusicnnTransformer(output="taggram").fit(music).transform(music)
    tags = MusicnnTransformer().fit(music[:1]).tags_
    for row, expected in zip(rows, proba):
        assert set(row["tags"]) == set(tags)
        got = np.array([row["tags"][t] for t in tags])
        np.testing.assert_allclose(got, expected, atol=1e-6)
        # The text lines name the most probable tags first.
    first = lines[0].split(": ", 1)[1].split(", ")
    best = [tags[k] for k in np.argsort(-proba[0], kind="stable")[:3]]
    assert [item.rsplit(" ", 1)[0] for item in first] == best


def test_tags_top_is_bounded_by_the_tag_count(mss_dir, capsys):
    clip = next((mss_dir / "music").glob("*.wav"))
    status, _, err = _run(capsys, "tags", str(clip), "--top", "51")
    assert "50 tags" in _error_line(status, err)


@pytest.mark.parametrize("flags", [
    ["--model", "cnn"], ["--segment-seconds", "1"], ["--augment", "2"], ["--max-segments", "4"],
    ["--time-masks", "1"], ["--normalize", "mean"],
], ids=["cnn", "segments", "augment", "max-segments", "time-masks", "normalize"])
def test_musicnn_features_refuse_frame_flags(mss_dir, tmp_path, capsys, flags):
    out = tmp_path / "model.skaudio"
    status, _, err = _run(capsys, "train", str(mss_dir), "--features", "musicnn", *flags,
                          "--out", str(out))
    line = _error_line(status, err)
    assert flags[0] in line and "musicnn" in line
    assert not out.exists()


@pytest.mark.slow
def test_train_on_musicnn_features_end_to_end(mss_dir, tmp_path, capsys):
    out = tmp_path / "model.skaudio"
    status, printed, _ = _run(capsys, "train", str(mss_dir), "--features", "musicnn",
                              "--epochs", "40", "--out", str(out))
    assert status == 0, printed
    assert "musicnn" in printed
    report = json.loads((tmp_path / "model.report.json").read_text())
    assert report["features"] == "musicnn" and report["model"] == "dense"
    # Music, speech and silence are easy for a pretrained music network.
    assert report["test"]["accuracy"] >= 0.9
    from sklearn_audio import load_model

    pipeline = load_model(out)
    assert [name for name, _ in pipeline.steps] == ["musicnn", "clf"]
    files = [row["file"] for row in report["test_files"]]
    predicted = [row["predicted"] for row in report["test_files"]]
    assert list(pipeline.predict(files)) == predicted
    # A timeline: windows go through the whole pipeline, musicnn included.
    clip = files[0]
    status, printed, _ = _run(capsys, "predict", str(out), clip, "--window", "5",
                              "--format", "jsonl")
    assert status == 0
    (row,) = [json.loads(line) for line in printed.splitlines()]
    assert (row["start"], row["label"]) == (0.0, pipeline.predict([clip])[0])
    expected = pipeline.predict_proba([clip])[0]
    got = [row["probabilities"][str(c)] for c in pipeline.classes_]
    np.testing.assert_allclose(got, expected, atol=1e-4)
