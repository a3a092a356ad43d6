"""Tests for sklearn_audio.datasets. Nothing here touches the network."""

import hashlib
import re
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import tone

from sklearn_audio import datasets
from sklearn_audio.datasets import get_data_home, load_audio_folder, load_fsdd, load_gtzan
from sklearn_audio.io import AudioLoader

SR = 8000
PINNED_URL = datasets.FSDD_URL  # read before the autouse fixture replaces it


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Point every default location into tmp_path and any download at a missing file."""
    monkeypatch.delenv("SKLEARN_AUDIO_DATA", raising=False)
    monkeypatch.setenv("SKLEARN_AUDIO_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "FSDD_URL", (tmp_path / "no-such-archive.zip").as_uri())


def make_wav(path, seconds=0.1):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds=seconds, sr=SR), SR)
    return path


# --- get_data_home -------------------------------------------------------------


def test_get_data_home(tmp_path, monkeypatch):
    assert get_data_home() == tmp_path / "cache"
    assert get_data_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("SKLEARN_AUDIO_HOME")
    assert get_data_home().name == "sklearn_audio_data"


# --- load_audio_folder ---------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "sounds"
    for name in ("dog/b.wav", "dog/a.WAV", "cat/10.flac", "cat/2.ogg", "bird/x.au"):
        make_wav(root / name)
    (root / "README.md").write_text("ignored: not in a class folder")
    (root / "dog" / "notes.txt").write_text("ignored: not audio")
    (root / "cat" / ".hidden.wav").write_bytes(b"")
    (root / ".cache").mkdir()
    return root


def test_audio_folder(folder):
    data = load_audio_folder(folder)
    names = [f"{Path(p).parent.name}/{Path(p).name}" for p in data.filenames]
    assert names == ["bird/x.au", "cat/10.flac", "cat/2.ogg", "dog/a.WAV", "dog/b.wav"]
    assert data.target.tolist() == ["bird", "cat", "cat", "dog", "dog"]
    assert data.target_names.tolist() == ["bird", "cat", "dog"]
    assert data.filenames.ndim == 1 and all(p.startswith(str(folder)) for p in data.filenames)
    assert "5 files in 3 classes" in data.DESCR and "cat (2)" in data.DESCR
    X, y = load_audio_folder(folder, return_X_y=True)
    np.testing.assert_array_equal(X, data.filenames)
    np.testing.assert_array_equal(y, data.target)


@pytest.mark.parametrize("extensions", ["wav", ".WAV", ["wav"], (".wav",)])
def test_audio_folder_extensions(tmp_path, extensions):
    for name in ("a/1.wav", "a/2.flac", "b/1.WAV"):
        make_wav(tmp_path / name)
    data = load_audio_folder(tmp_path, extensions=extensions)
    assert data.target.tolist() == ["a", "b"]


def test_audio_folder_single_class(tmp_path):
    make_wav(tmp_path / "only" / "1.wav")
    assert load_audio_folder(tmp_path).target_names.tolist() == ["only"]


def test_audio_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        load_audio_folder(tmp_path / "missing")
    with pytest.raises(NotADirectoryError, match="file.wav"):
        load_audio_folder(make_wav(tmp_path / "file.wav"))
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_audio_folder(tmp_path)
    make_wav(tmp_path / "full" / "1.wav")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"No audio files.*empty'"):
        load_audio_folder(tmp_path)
    with pytest.raises(ValueError, match=r"No audio files \(extensions \.mp3\).*full"):
        load_audio_folder(tmp_path, extensions="mp3")
    with pytest.raises(ValueError, match="extensions"):
        load_audio_folder(tmp_path, extensions=["."])
    with pytest.raises(TypeError, match="path"):
        load_audio_folder(42)


def test_audio_folder_finds_files_in_sub_folders(tmp_path):
    for name in ("drums/snare/2.wav", "drums/snare/10.wav", "drums/kick/deep/1.wav",
                 "drums/0.wav", "piano/c4.wav", "drums/.trash/old.wav", "drums/snare/.x.wav"):
        make_wav(tmp_path / name)
    data = load_audio_folder(tmp_path)
    names = [str(Path(p).relative_to(tmp_path)) for p in data.filenames]
    assert names == ["drums/0.wav", "drums/kick/deep/1.wav", "drums/snare/10.wav",
                     "drums/snare/2.wav", "piano/c4.wav"]
    assert data.target.tolist() == ["drums"] * 4 + ["piano"]
    assert data.target_names.tolist() == ["drums", "piano"]
    # A class folder whose audio all sits deeper is not empty.
    assert load_audio_folder(tmp_path / "drums").target_names.tolist() == ["kick", "snare"]


@pytest.fixture
def with_unreadable(tmp_path):
    make_wav(tmp_path / "dog" / "1.wav")
    make_wav(tmp_path / "dog" / "more" / "2.wav")
    make_wav(tmp_path / "cat" / "1.wav")
    (tmp_path / "cat" / "empty.wav").write_bytes(b"")
    (tmp_path / "dog" / "more" / "text.wav").write_text("not audio")
    return tmp_path


def test_audio_folder_raise_lists_without_opening(with_unreadable):
    data = load_audio_folder(with_unreadable)
    assert len(data.filenames) == 5 and "unreadable" not in data
    loader = AudioLoader(sr=SR)
    with pytest.raises(ValueError, match="empty.wav"):
        loader.transform(data.filenames)


def test_audio_folder_skip_leaves_unreadable_files_out(with_unreadable):
    data = load_audio_folder(with_unreadable, on_unreadable="skip")
    names = [str(Path(p).relative_to(with_unreadable)) for p in data.filenames]
    assert names == ["cat/1.wav", "dog/1.wav", "dog/more/2.wav"]
    assert data.target.tolist() == ["cat", "dog", "dog"]
    files = [Path(u["file"]).name for u in data.unreadable]
    assert files == ["empty.wav", "text.wav"]
    assert "0 bytes" in data.unreadable[0]["reason"]
    assert "text.wav" in data.unreadable[1]["reason"]
    assert set(data.unreadable[0]) == {"file", "reason"}
    assert "2 unreadable file(s) left out" in data.DESCR
    assert AudioLoader(sr=SR).transform(data.filenames).shape == (3, int(0.1 * SR))
    X, y = load_audio_folder(with_unreadable, on_unreadable="skip", return_X_y=True)
    np.testing.assert_array_equal(X, data.filenames)


def test_audio_folder_skip_with_every_file_readable(tmp_path):
    make_wav(tmp_path / "a" / "1.wav")
    assert load_audio_folder(tmp_path, on_unreadable="skip").unreadable == []


def test_audio_folder_skip_errors(with_unreadable):
    (with_unreadable / "bird").mkdir()
    (with_unreadable / "bird" / "x.wav").write_bytes(b"")
    with pytest.raises(ValueError, match=r"No readable audio file.*bird.*0 bytes"):
        load_audio_folder(with_unreadable, on_unreadable="skip")
    for value in ("ignore", None):
        with pytest.raises(ValueError, match="on_unreadable must be 'raise' or 'skip'"):
            load_audio_folder(with_unreadable, on_unreadable=value)


def test_audio_folder_end_to_end(mss_dir):
    data = load_audio_folder(mss_dir)
    assert data.target_names.tolist() == ["music", "silence", "speech"]
    assert len(data.filenames) == 120
    assert (np.unique(data.target, return_counts=True)[1] == 40).all()
    X = AudioLoader(sr=SR, n_jobs=2).fit_transform(data.filenames)
    assert X.shape == (120, SR) and X.dtype == np.float32


# --- load_fsdd -------------------------------------------------------------------


def test_fsdd_real(fsdd_dir):
    fsdd = load_fsdd(data_home=fsdd_dir, download_if_missing=False)
    assert fsdd.filenames.shape == (3000,)
    assert fsdd.target.dtype.kind == "i" and fsdd.target_names.tolist() == list(range(10))
    assert sorted(set(fsdd.speaker)) == sorted(
        ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    )
    assert fsdd.index.min() == 0 and fsdd.index.max() == 49
    assert fsdd.test_mask.sum() == 300
    assert (fsdd.index[fsdd.test_mask] < 5).all()
    first = fsdd.filenames[0]
    assert first.endswith("0_george_0.wav") and fsdd.filenames[1].endswith("0_george_1.wav")
    assert "CC BY-SA 4.0" in fsdd.DESCR
    from_recordings = load_fsdd(data_home=fsdd_dir / "recordings", download_if_missing=False)
    np.testing.assert_array_equal(from_recordings.filenames, fsdd.filenames)


def test_fsdd_from_environment(fsdd_dir, monkeypatch):
    monkeypatch.setenv("SKLEARN_AUDIO_DATA", str(fsdd_dir.parent))
    X, y = load_fsdd(return_X_y=True)
    assert X.shape == y.shape == (3000,)


FSDD_FILES = ["0_alice_0.wav", "0_alice_7.wav", "1_alice_3.wav", "1_bob_12.wav", "1_bob_2.wav"]


def make_fsdd_zip(tmp_path, top="free-spoken-digit-dataset-master"):
    """A miniature of the GitHub archive: recordings plus files to leave out."""
    source = tmp_path / "source"
    archive = tmp_path / "fsdd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in FSDD_FILES:
            zf.write(make_wav(source / name), f"{top}/recordings/{name}")
        zf.writestr(f"{top}/README.md", "readme")
        zf.writestr(f"{top}/utils/spectogramer.py", "code")
        zf.writestr(f"{top}/recordings/../../escape.wav", "zip slip attempt")
    return archive


def make_fsdd_tar(tmp_path, top="free-spoken-digit-dataset-1.0.9"):
    """The same miniature as a .tar.gz, the format of the pinned release, with a link to skip."""
    source = tmp_path / "source"
    archive = tmp_path / "fsdd.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name in FSDD_FILES:
            tf.add(make_wav(source / name), f"{top}/recordings/{name}")
        link = tarfile.TarInfo(f"{top}/recordings/9_eve_0.wav")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    return archive


def serve(monkeypatch, archive, sha256=None):
    """Make ``archive`` the download, with its own SHA-256 as the expected one unless given."""
    monkeypatch.setattr(datasets, "FSDD_URL", archive.as_uri())
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(datasets, "FSDD_SHA256", digest if sha256 is None else sha256)


def test_fsdd_download_is_pinned_and_checked():
    # A release archive, not a branch that moves, and a well-formed SHA-256 to check it with.
    assert PINNED_URL.endswith(f"/archive/v{datasets.FSDD_VERSION}.tar.gz")
    assert "master" not in PINNED_URL and "refs/heads" not in PINNED_URL
    assert re.fullmatch("[0-9a-f]{64}", datasets.FSDD_SHA256)


@pytest.mark.parametrize("make_archive", [make_fsdd_zip, make_fsdd_tar])
def test_fsdd_download(tmp_path, monkeypatch, make_archive):
    serve(monkeypatch, make_archive(tmp_path))
    fsdd = load_fsdd()
    cache = tmp_path / "cache" / "fsdd"
    assert sorted(p.name for p in cache.iterdir()) == ["recordings"]
    assert sorted(p.name for p in (cache / "recordings").iterdir()) == sorted(FSDD_FILES)
    assert not (tmp_path / "escape.wav").exists()
    assert not (cache / "recordings" / "9_eve_0.wav").exists()  # the tar's link is skipped
    expected = ["0_alice_0.wav", "0_alice_7.wav", "1_alice_3.wav", "1_bob_2.wav", "1_bob_12.wav"]
    assert [Path(f).name for f in fsdd.filenames] == expected
    assert fsdd.target.tolist() == [0, 0, 1, 1, 1]
    assert fsdd.index.tolist() == [0, 7, 3, 2, 12]
    assert fsdd.test_mask.tolist() == [True, False, True, True, False]
    # Second call reads the cache: the (now unreachable) URL is not used.
    monkeypatch.setattr(datasets, "FSDD_URL", (tmp_path / "gone.zip").as_uri())
    np.testing.assert_array_equal(load_fsdd().filenames, fsdd.filenames)


def test_fsdd_download_with_the_wrong_checksum_extracts_nothing(tmp_path, monkeypatch):
    archive = make_fsdd_tar(tmp_path)
    good = hashlib.sha256(archive.read_bytes()).hexdigest()
    serve(monkeypatch, archive, sha256="0" * 64)
    extracted = []
    monkeypatch.setattr(datasets, "_extract_recordings", lambda *args: extracted.append(args))
    expected = f"has SHA-256 {good}, but release 1.0.9 has SHA-256 0{{64}}"
    with pytest.raises(OSError, match=expected):
        load_fsdd()
    assert extracted == []  # checked before extraction, not after
    assert list((tmp_path / "cache" / "fsdd").iterdir()) == []
    with pytest.raises(OSError, match="download_if_missing=False"):
        load_fsdd(download_if_missing=False)  # nothing passes for the data set


def test_fsdd_download_into_data_home(tmp_path, monkeypatch):
    serve(monkeypatch, make_fsdd_zip(tmp_path))
    home = tmp_path / "mine" / "recordings"
    assert len(load_fsdd(data_home=home).filenames) == len(FSDD_FILES)
    assert (home / "1_bob_2.wav").is_file() and not (tmp_path / "cache").exists()


def test_fsdd_not_found_without_download(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False") as info:
        load_fsdd(download_if_missing=False)
    message = str(info.value)
    for hint in ("data_home", "SKLEARN_AUDIO_DATA", "free-spoken-digit-dataset"):
        assert hint in message
    assert not (tmp_path / "cache").exists()


def test_fsdd_download_failure_says_what_to_do(tmp_path):
    with pytest.raises(OSError, match="Could not download.*SKLEARN_AUDIO_DATA"):
        load_fsdd()
    # Nothing half-done is left to pass for the data set next time.
    assert list((tmp_path / "cache" / "fsdd").iterdir()) == []


@pytest.mark.parametrize("content", ["not a zip", "zip without recordings"])
def test_fsdd_bad_archive(tmp_path, monkeypatch, content):
    archive = tmp_path / "bad.zip"
    if content == "not a zip":
        archive.write_text(content)
    else:
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("top/README.md", "readme")
    serve(monkeypatch, archive)
    with pytest.raises(OSError, match="Could not download"):
        load_fsdd()
    assert list((tmp_path / "cache" / "fsdd").iterdir()) == []


# --- load_gtzan ------------------------------------------------------------------


@pytest.fixture
def gtzan(tmp_path):
    root = tmp_path / "gtzan"
    for name in ("blues/blues.00010.au", "blues/blues.00002.au", "rock/rock.00000.wav"):
        make_wav(root / "genres" / name)
    (root / "genres" / "input.mf").write_text("ignored: a file at the genres level")
    (root / "genres" / "rock" / "notes.txt").write_text("ignored")
    (root / "genres" / "rock" / "blues.00001.wav").write_text("ignored: wrong genre name")
    return root


@pytest.mark.parametrize("sub", ["", "genres"])
def test_gtzan(gtzan, sub):
    data = load_gtzan(gtzan / sub if sub else gtzan)
    expected = ["blues.00002.au", "blues.00010.au", "rock.00000.wav"]
    assert [Path(f).name for f in data.filenames] == expected
    assert data.target.tolist() == ["blues", "blues", "rock"]
    assert data.target_names.tolist() == ["blues", "rock"]
    assert data.track_id.tolist() == [2, 10, 0]
    assert "Tzanetakis" in data.DESCR
    X, y = load_gtzan(gtzan, return_X_y=True)
    np.testing.assert_array_equal(y, data.target)


def test_gtzan_kaggle_layout(tmp_path):
    make_wav(tmp_path / "Data" / "genres_original" / "jazz" / "jazz.00054.wav")
    (tmp_path / "Data" / "images_original" / "jazz").mkdir(parents=True)
    assert load_gtzan(tmp_path / "Data").target.tolist() == ["jazz"]


def test_gtzan_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_gtzan(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="No GTZAN genre folders"):
        load_gtzan(tmp_path)
    (tmp_path / "genres" / "pop").mkdir(parents=True)
    (tmp_path / "genres" / "pop" / "song.mp3").write_text("x")
    with pytest.raises(ValueError, match=r"genre folder\(s\):.*pop"):
        load_gtzan(tmp_path)
