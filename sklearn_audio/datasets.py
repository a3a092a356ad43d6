"""Audio data sets as scikit-learn :class:`~sklearn.utils.Bunch` objects of file paths.

Loaders return paths, not waveforms: decoding is the job of
:class:`~sklearn_audio.AudioLoader` (or of the feature transformers) inside a
pipeline, so a data set of any size costs almost nothing to load and cross
validation splits it by file.
"""

import hashlib
import logging
import os
import re
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._formats import find_audio_files
from .exceptions import AudioFileError
from .io import AUDIO_EXTENSIONS, audio_duration

__all__ = ["get_data_home", "load_audio_folder", "load_fsdd", "load_gtzan"]

logger = logging.getLogger(__name__)

#: The FSDD release that :func:`load_fsdd` downloads.
FSDD_VERSION = "1.0.9"
#: Its archive. A tag can be moved, so the archive is also checked against
#: :data:`FSDD_SHA256` before anything is extracted.
FSDD_URL = (
    f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/v{FSDD_VERSION}.tar.gz"
)
#: SHA-256 of the archive at :data:`FSDD_URL`: the checksum TensorFlow Datasets
#: records for the same URL (``tensorflow_datasets/audio/spoken_digit/checksums.tsv``,
#: 11,975,353 bytes).
FSDD_SHA256 = "8bc44cde129d505cbbb6b365c09f80c663f2aa77578afc634e6141a2f87100c0"
FSDD_HOMEPAGE = "https://github.com/Jakobovski/free-spoken-digit-dataset"
_FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")
_FSDD_TEST_INDEXES = 5  # official split: recordings 0-4 of each digit and speaker

_FSDD_DESCR = """\
Free Spoken Digit Dataset (FSDD)
--------------------------------

Recordings of spoken English digits 0-9: mono WAV files at 8 kHz, trimmed to
near-minimal silence, named ``{{digit}}_{{speaker}}_{{index}}.wav``, 50
repetitions of each digit per speaker. The repository's current version has 6
speakers (3,000 files); release {version}, which ``load_fsdd`` downloads, has
fewer speakers. Official split: indexes 0-4 are the test set (``test_mask``), 5-49 training.

This copy: {n} recordings, {n_speakers} speakers, read from {folder}.

Source: {homepage} (Zohar Jackson and contributors), DOI 10.5281/zenodo.1342401.
License: Creative Commons Attribution-ShareAlike 4.0 International
(CC BY-SA 4.0). Attribute the data set wherever results on it are shown.
"""

_GTZAN_DESCR = """\
GTZAN music genre collection
----------------------------

30-second excerpts in 10 genres (blues, classical, country, disco, hiphop,
jazz, metal, pop, reggae, rock), 100 per genre in the complete collection,
22,050 Hz mono, named ``<genre>/<genre>.000NN.au`` (or ``.wav``).

This copy: {n} tracks in {n_genres} genres, read from {folder}.

Reference: G. Tzanetakis and P. Cook, "Musical genre classification of audio
signals", IEEE Transactions on Speech and Audio Processing, 10(5), 2002.
The collection has known faults (repeated excerpts, mislabelled tracks,
distortions; B. L. Sturm, "The GTZAN dataset: its contents, its faults...",
2013), and some distributed copies hold a file that does not decode
(``jazz.00054.wav``): :class:`~sklearn_audio.AudioLoader` names such a file,
so it can be dropped. The audio is not ours to redistribute, hence no download.
"""


def get_data_home(data_home=None):
    """Folder where sklearn-audio caches downloaded data sets.

    ``data_home`` if given, else the ``SKLEARN_AUDIO_HOME`` environment
    variable, else ``~/sklearn_audio_data``. The folder is not created here.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        An explicit cache folder.

    Returns
    -------
    data_home : pathlib.Path

    Examples
    --------
    >>> from sklearn_audio.datasets import get_data_home
    >>> get_data_home("~/my_audio_cache").name
    'my_audio_cache'
    """
    if data_home is None:
        data_home = os.environ.get("SKLEARN_AUDIO_HOME") or Path("~") / "sklearn_audio_data"
    return Path(data_home).expanduser()


def _result(bunch, return_X_y):
    return (bunch.filenames, bunch.target) if return_X_y else bunch


def _check_root(root, what):
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{what} must be a path (str or os.PathLike), got {type(root).__name__}.")
    root = Path(root).expanduser().absolute()
    if not root.exists():
        raise FileNotFoundError(f"{what} {str(root)!r} does not exist.")
    if not root.is_dir():
        raise NotADirectoryError(f"{what} {str(root)!r} is not a folder.")
    return root


def _visible(entries):
    # Hidden entries (.DS_Store, .ipynb_checkpoints...) are never data.
    return sorted((e for e in entries if not e.name.startswith(".")), key=lambda e: e.name)


def _class_folders(root):
    return [entry for entry in _visible(root.iterdir()) if entry.is_dir()]


def _unreadable_reason(path):
    """Why ``path`` cannot be read, from its header alone, or None when it can.

    What :func:`~sklearn_audio.io.audio_duration` checks: the file is not
    empty (0 bytes), its header announces no more audio than the file holds
    (WAV, AIFF, AU), and soundfile, or else audioread, opens it. Nothing is
    decoded, so a file whose audio data is corrupt past a valid header still
    passes.
    """
    try:
        audio_duration(path)
    except (AudioFileError, OSError) as exc:  # OSError: permission denied, vanished
        return str(exc)
    return None


_ON_UNREADABLE = ("raise", "skip")


def _normalise_extensions(extensions):
    if extensions is None:
        return AUDIO_EXTENSIONS
    if isinstance(extensions, str):
        extensions = [extensions]
    normalised = set()
    for ext in extensions:
        if not isinstance(ext, str) or not ext.strip("."):
            raise ValueError(
                f"extensions must be file name endings such as '.wav' or 'flac', got {ext!r}."
            )
        normalised.add("." + ext.lower().lstrip("."))
    return frozenset(normalised)


def load_audio_folder(root, extensions=None, *, return_X_y=False, on_unreadable="raise"):
    """Load a folder-per-class data set: ``root/<class>/.../<file>``.

    Every visible sub-folder of ``root`` is a class and every audio file
    inside it, at any depth (``root/drums/snare/1.wav`` is a ``drums``
    example), an example of that class. Files at the top level of ``root``
    (a README, a license) and hidden files and folders are ignored. A single
    class is accepted.

    Parameters
    ----------
    root : str or os.PathLike
        The folder holding one sub-folder per class.
    extensions : str or iterable of str, default=None
        File name endings counted as audio, case-insensitive, with or without
        the dot (``".wav"``, ``"flac"``). ``None`` means every format
        :func:`~sklearn_audio.io.load_audio` reads:
        :data:`sklearn_audio.io.AUDIO_EXTENSIONS`.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of the Bunch.
    on_unreadable : {"raise", "skip"}, default="raise"
        ``"raise"`` lists the files without opening them, so listing costs
        nothing; a file that cannot be read raises
        :class:`~sklearn_audio.exceptions.AudioFileError`, naming it, when
        it is decoded. ``"skip"`` reads every file's header now (what
        :func:`~sklearn_audio.io.audio_duration` reads) and leaves out the
        files that cannot be read: empty (0-byte) files, files neither
        soundfile nor audioread can open (not audio, or corrupt headers),
        WAV, AIFF and AU files shorter than their header announces, and
        files the operating system refuses to open. They are listed in the
        Bunch's ``unreadable``. Audio data that is corrupt after a valid
        header is only found when decoded (see
        :class:`~sklearn_audio.AudioLoader`'s ``on_unreadable``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes:

        filenames : ndarray of str, shape (n_files,)
            Absolute paths, sorted by class then path within the class
            folder, so the order is the same on every machine.
        target : ndarray of str, shape (n_files,)
            The class (sub-folder name) of each file.
        target_names : ndarray of str, shape (n_classes,)
            The classes, sorted.
        DESCR : str
            A summary: the folder and the number of files per class.
        unreadable : list of dict
            Only with ``on_unreadable="skip"``: the files left out, as
            ``{"file": str, "reason": str}``, in listing order (empty when
            every file can be read).
    (filenames, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist.
    NotADirectoryError
        If ``root`` is a file.
    ValueError
        If ``root`` has no class sub-folders, a class folder holds no audio
        file, or (``on_unreadable="skip"``) none it holds can be read; the
        message names the folder. Also for an invalid ``on_unreadable``.

    See Also
    --------
    load_gtzan : The GTZAN layout, a folder per genre.

    Examples
    --------
    >>> import numpy as np, soundfile, tempfile, os
    >>> from sklearn_audio.datasets import load_audio_folder
    >>> root = tempfile.mkdtemp()
    >>> for label in ("dog", "cat"):
    ...     os.mkdir(os.path.join(root, label))
    ...     for k in range(2):
    ...         path = os.path.join(root, label, f"{k}.wav")
    ...         soundfile.write(path, np.zeros(800), 8000)
    >>> data = load_audio_folder(root)
    >>> data.target.tolist(), data.target_names.tolist()
    (['cat', 'cat', 'dog', 'dog'], ['cat', 'dog'])
    >>> os.path.relpath(data.filenames[0], root)  # doctest: +SKIP
    'cat/0.wav'

    Files in sub-folders of a class folder belong to that class; files that
    cannot be read can be left out and listed:

    >>> os.mkdir(os.path.join(root, "dog", "puppies"))
    >>> soundfile.write(os.path.join(root, "dog", "puppies", "p.wav"), np.zeros(800), 8000)
    >>> open(os.path.join(root, "cat", "broken.wav"), "wb").close()  # 0 bytes
    >>> data = load_audio_folder(root, on_unreadable="skip")
    >>> data.target.tolist()
    ['cat', 'cat', 'dog', 'dog', 'dog']
    >>> [(os.path.basename(u["file"]), u["reason"].split(": ")[-1]) for u in data.unreadable]
    [('broken.wav', 'the file is empty (0 bytes).')]
    """
    if not (isinstance(on_unreadable, str) and on_unreadable in _ON_UNREADABLE):
        raise ValueError(f"on_unreadable must be 'raise' or 'skip', got {on_unreadable!r}.")
    root = _check_root(root, "Audio folder")
    extensions = _normalise_extensions(extensions)
    folders = _class_folders(root)
    if not folders:
        raise ValueError(
            f"Audio folder {str(root)!r} has no class sub-folders; expected one folder per "
            "class, e.g. root/dog/bark1.wav and root/cat/meow1.wav."
        )
    filenames, target, empty, unreadable, all_unreadable = [], [], [], [], []
    for folder in folders:
        files = [str(f) for f in find_audio_files(folder, extensions)]
        if not files:
            empty.append(str(folder))
        if on_unreadable == "skip":
            reasons = [_unreadable_reason(f) for f in files]
            unreadable += [{"file": f, "reason": r} for f, r in zip(files, reasons) if r]
            if files and all(reasons):
                all_unreadable.append(f"{str(folder)!r} ({len(files)} files, e.g. {reasons[0]})")
            files = [f for f, r in zip(files, reasons) if r is None]
        filenames += files
        target += [folder.name] * len(files)
    if empty:
        raise ValueError(
            f"No audio files (extensions {', '.join(sorted(extensions))}) in class "
            f"folder(s): {', '.join(map(repr, empty))}. Add files or remove the folder(s)."
        )
    if all_unreadable:
        raise ValueError(
            "No readable audio file in class folder(s): "
            f"{'; '.join(all_unreadable)}. Fix the files or remove the folder(s)."
        )
    target = np.array(target)
    names, counts = np.unique(target, return_counts=True)
    summary = ", ".join(f"{name} ({count})" for name, count in zip(names, counts))
    descr = f"Audio folder {root}: {len(target)} files in {len(names)} classes: {summary}.\n"
    bunch = Bunch(filenames=np.array(filenames), target=target, target_names=names, DESCR=descr)
    if on_unreadable == "skip":
        bunch.unreadable = unreadable
        if unreadable:
            bunch.DESCR += f"{len(unreadable)} unreadable file(s) left out.\n"
    return _result(bunch, return_X_y)


def _find_fsdd_recordings(folder):
    """``folder/recordings`` or ``folder`` itself, whichever holds FSDD files."""
    for candidate in (folder / "recordings", folder):
        if candidate.is_dir() and any(_FSDD_NAME.match(p.name) for p in candidate.iterdir()):
            return candidate
    return None


def _fsdd_help(folder):
    return (
        f"Either pass data_home=<folder containing recordings/>, set the SKLEARN_AUDIO_DATA "
        f"environment variable to a folder containing fsdd/recordings/, or download "
        f"{FSDD_URL} (from {FSDD_HOMEPAGE}) yourself and unpack its recordings/ folder "
        f"into {str(folder)!r}."
    )


class _ChecksumError(OSError):
    """The downloaded archive is not the pinned one."""


def _fetch(url, target):
    """Copy ``url`` into the file ``target``; return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _fsdd_member(name):
    """The base name of archive member ``.../recordings/<digit>_<speaker>_<index>.wav``, or None.

    Only the base name is kept, so no member can write outside the staging
    folder whatever its stored path (``../``, absolute paths, links).
    """
    parts = name.split("/")
    if len(parts) >= 2 and parts[-2] == "recordings" and _FSDD_NAME.match(parts[-1]):
        return parts[-1]
    return None


def _extract_recordings(archive, recordings):
    """Write the recordings of a zip or tar archive into the folder ``recordings``."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                name = _fsdd_member(member.filename)
                if name and not member.is_dir():
                    (recordings / name).write_bytes(zf.read(member))
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            for member in tf:
                name = _fsdd_member(member.name)
                if name and member.isfile():  # regular files only: no links, no devices
                    (recordings / name).write_bytes(tf.extractfile(member).read())
    else:
        raise OSError("the download is neither a zip nor a tar archive")


def _download_fsdd(folder):
    """Fetch the FSDD archive into ``folder``, verify it, and keep only ``recordings/*.wav``.

    The archive's SHA-256 is checked against :data:`FSDD_SHA256` before
    anything is extracted. Files are unpacked into a temporary folder renamed
    at the end, so a failed or interrupted download never leaves a
    half-filled ``recordings/`` behind that would later pass for the data set.
    """
    folder.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading FSDD from %s into %s", FSDD_URL, folder)
    staging = Path(tempfile.mkdtemp(prefix=".fsdd-download-", dir=folder))
    try:
        archive = staging / "fsdd-archive"
        digest = _fetch(FSDD_URL, archive)
        if digest != FSDD_SHA256.lower():
            raise _ChecksumError(
                f"the downloaded archive has SHA-256 {digest}, but release {FSDD_VERSION} has "
                f"SHA-256 {FSDD_SHA256}: it was corrupted in transit or changed upstream, so "
                "nothing was extracted"
            )
        recordings = staging / "recordings"
        recordings.mkdir()
        _extract_recordings(archive, recordings)
        if not any(recordings.iterdir()):
            raise OSError("the archive holds no recordings/{digit}_{speaker}_{index}.wav files")
        recordings.rename(folder / "recordings")
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise OSError(
            f"Could not download the Free Spoken Digit Dataset from {FSDD_URL}: {exc}. "
            + _fsdd_help(folder)
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / "recordings"


def _locate_fsdd(data_home, download_if_missing):
    if data_home is not None:
        candidates = [Path(data_home).expanduser()]
    else:
        candidates = []
        if os.environ.get("SKLEARN_AUDIO_DATA"):
            candidates.append(Path(os.environ["SKLEARN_AUDIO_DATA"]).expanduser() / "fsdd")
        candidates.append(get_data_home() / "fsdd")
    for candidate in candidates:
        recordings = _find_fsdd_recordings(candidate)
        if recordings is not None:
            return recordings
    # Explicit data_home is also where to store; otherwise the cache is.
    target = candidates[-1]
    if target.name == "recordings":
        target = target.parent
    if not download_if_missing:
        searched = ", ".join(repr(str(c)) for c in candidates)
        raise OSError(
            f"Free Spoken Digit Dataset not found (looked in {searched}) and "
            f"download_if_missing=False. " + _fsdd_help(target)
        )
    return _download_fsdd(target)


def load_fsdd(data_home=None, download_if_missing=True, *, return_X_y=False):
    """Load the Free Spoken Digit Dataset (FSDD): recordings of spoken digits 0 to 9.

    Looks for ``recordings/{digit}_{speaker}_{index}.wav`` in, in order:

    1. ``data_home``, when given: the folder containing ``recordings/``, or
       ``recordings/`` itself;
    2. otherwise ``$SKLEARN_AUDIO_DATA/fsdd``, then the download cache
       ``get_data_home() / "fsdd"`` (``$SKLEARN_AUDIO_HOME/fsdd`` or
       ``~/sklearn_audio_data/fsdd``).

    When nothing is found and ``download_if_missing`` is true, the archive
    of release :data:`FSDD_VERSION` (about 12 MB) is downloaded, its SHA-256
    checked against :data:`FSDD_SHA256`, and only its ``recordings/`` folder
    unpacked, into ``data_home`` when given, else into the cache.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Folder holding (or to receive) FSDD's ``recordings/``.
    download_if_missing : bool, default=True
        Download the data set when it is not found; if False, raise instead.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of the Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes, one entry per recording, sorted by digit, speaker,
        then index:

        filenames : ndarray of str, shape (n_files,)
            Absolute paths of the WAV files (8 kHz mono).
        target : ndarray of int, shape (n_files,)
            The spoken digit, 0 to 9.
        target_names : ndarray of int, shape (n_classes,)
            The digits present, sorted.
        speaker : ndarray of str, shape (n_files,)
            Speaker name: group cross-validation by it to test on unseen
            voices (:class:`~sklearn.model_selection.GroupKFold`).
        index : ndarray of int, shape (n_files,)
            Repetition number, 0 to 49.
        test_mask : ndarray of bool, shape (n_files,)
            The official test set: repetitions 0 to 4.
        DESCR : str
            Description, source and license (CC BY-SA 4.0).
    (filenames, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    OSError
        If the data set is neither found nor downloadable, or the download
        does not have the expected SHA-256 (then nothing is extracted); the
        message says where to put the data set instead.

    Examples
    --------
    >>> from sklearn_audio.datasets import load_fsdd
    >>> fsdd = load_fsdd()  # doctest: +SKIP
    >>> fsdd.filenames.shape, fsdd.test_mask.sum()  # doctest: +SKIP
    ((3000,), 300)
    >>> train = ~fsdd.test_mask  # doctest: +SKIP
    >>> X_train, y_train = fsdd.filenames[train], fsdd.target[train]  # doctest: +SKIP
    """
    recordings = _locate_fsdd(data_home, download_if_missing)
    found = []
    for entry in recordings.iterdir():
        match = _FSDD_NAME.match(entry.name)
        if match:
            digit, speaker, index = match.groups()
            found.append((int(digit), speaker, int(index), str(entry.absolute())))
    found.sort()
    digit, speaker, index, filenames = (np.array(column) for column in zip(*found))
    bunch = Bunch(
        filenames=filenames,
        target=digit,
        target_names=np.unique(digit),
        speaker=speaker,
        index=index,
        test_mask=index < _FSDD_TEST_INDEXES,
        DESCR=_FSDD_DESCR.format(
            n=len(found),
            n_speakers=len(np.unique(speaker)),
            folder=recordings,
            homepage=FSDD_HOMEPAGE,
            version=FSDD_VERSION,
        ),
    )
    return _result(bunch, return_X_y)


def load_gtzan(root, *, return_X_y=False):
    """Load the GTZAN music genre collection from a folder you already have.

    Expects ``genres/<genre>/<genre>.000NN.au`` (the original release) or
    ``.wav`` (common re-encodings). ``root`` may be the folder containing
    ``genres/`` (or Kaggle's ``genres_original/``) or that folder itself.
    Files not named ``<genre>.<number>.au|wav`` are ignored.

    Parameters
    ----------
    root : str or os.PathLike
        The GTZAN folder.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of the Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes, sorted by genre then track number:

        filenames : ndarray of str, shape (n_tracks,)
            Absolute paths.
        target : ndarray of str, shape (n_tracks,)
            Genre names.
        target_names : ndarray of str, shape (n_genres,)
            The genres, sorted.
        track_id : ndarray of int, shape (n_tracks,)
            The number in the file name (0 to 99 in the complete set).
        DESCR : str
            Description, reference and known faults.
    (filenames, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist.
    ValueError
        If no genre folder is found, or a genre folder holds no track (the
        message names it).

    See Also
    --------
    load_audio_folder : Any folder-per-class layout.

    Examples
    --------
    >>> from sklearn_audio.datasets import load_gtzan
    >>> gtzan = load_gtzan("~/data/gtzan")  # doctest: +SKIP
    >>> gtzan.target_names.tolist()  # doctest: +SKIP
    ['blues', 'classical', 'country', 'disco', 'hiphop', 'jazz', 'metal', 'pop', 'reggae', 'rock']
    """
    root = _check_root(root, "GTZAN folder")
    genres_dir = next(
        (root / name for name in ("genres", "genres_original") if (root / name).is_dir()), root
    )
    folders = _class_folders(genres_dir)
    if not folders:
        raise ValueError(
            f"No GTZAN genre folders in {str(root)!r}; expected genres/<genre>/"
            "<genre>.000NN.au (or .wav), e.g. genres/blues/blues.00000.au."
        )
    filenames, target, track_id, empty = [], [], [], []
    for folder in folders:
        pattern = re.compile(rf"^{re.escape(folder.name)}\.(\d+)\.(au|wav)$", re.IGNORECASE)
        tracks = sorted(
            (int(match.group(1)), str(entry))
            for entry in folder.iterdir()
            if (match := pattern.match(entry.name)) and entry.is_file()
        )
        if not tracks:
            empty.append(str(folder))
        for number, path in tracks:
            filenames.append(path)
            target.append(folder.name)
            track_id.append(number)
    if empty:
        raise ValueError(
            f"No tracks named <genre>.<number>.au|wav in GTZAN genre folder(s): "
            f"{', '.join(map(repr, empty))}; expected e.g. blues/blues.00000.au."
        )
    target = np.array(target)
    names = np.unique(target)
    bunch = Bunch(
        filenames=np.array(filenames),
        target=target,
        target_names=names,
        track_id=np.array(track_id),
        DESCR=_GTZAN_DESCR.format(n=len(target), n_genres=len(names), folder=genres_dir),
    )
    return _result(bunch, return_X_y)
