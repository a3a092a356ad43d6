"""Decoding audio files into float32 waveforms, and :class:`AudioLoader`.

soundfile (libsndfile) decodes WAV, FLAC, OGG/Vorbis, Opus, AIFF, AU and MP3
and can read just the frames asked for; audioread, which uses ffmpeg or
GStreamer when installed, is the fallback for anything else (AAC, M4A,
WMA...). soxr resamples. Every failure names the file at fault.
"""

import errno
import numbers
import os
import struct
import warnings

import numpy as np
import soundfile as sf
import soxr
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from tqdm.auto import tqdm

from ._formats import AUDIO_EXTENSIONS
from ._validation import as_path_array, check_finite, check_n_jobs
from .exceptions import AudioFileError, TruncatedAudioWarning, UnreadableAudioWarning

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioLoader",
    "UnreadableAudioWarning",
    "audio_duration",
    "load_audio",
]

#: File name extensions (lower case) treated as audio when scanning folders.


_ON_TRUNCATED = ("raise", "warn")
_ON_UNREADABLE = ("raise", "skip")
#: Seconds of silence that stand for an unreadable file under
#: ``AudioLoader(on_unreadable="skip")`` when ``duration`` is not set.
UNREADABLE_SILENCE_SECONDS = 1.0
#: Rate of that silence when ``sr=None`` (each file's own rate) leaves none to use.
_DEFAULT_SR = 22050
# Data sizes that streaming writers leave in a header when the length is
# unknown: 0, all ones, and the large placeholders of writers to pipes
# (arecord and others write 0x7FFFFFFF or 0x7FFFF000).
_UNKNOWN_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF, 0x7FFFF000)


def _check_load_params(sr, mono, offset, duration, on_truncated="raise"):
    if on_truncated not in _ON_TRUNCATED:
        raise ValueError(f"on_truncated must be 'raise' or 'warn', got {on_truncated!r}.")
    if sr is not None and (
        isinstance(sr, bool) or not isinstance(sr, numbers.Integral) or sr <= 0
    ):
        raise ValueError(f"sr must be a positive integer or None, got {sr!r}.")
    if not isinstance(mono, (bool, np.bool_)):
        raise ValueError(f"mono must be True or False, got {mono!r}.")
    if not isinstance(offset, numbers.Real) or not np.isfinite(offset) or offset < 0:
        raise ValueError(f"offset must be a non-negative number of seconds, got {offset!r}.")
    if duration is not None and (
        not isinstance(duration, numbers.Real) or not np.isfinite(duration) or duration <= 0
    ):
        raise ValueError(
            f"duration must be a positive number of seconds or None, got {duration!r}."
        )


def _check_file(path):
    """Return ``path`` as ``str`` once it names a non-empty regular file."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"Expected a path (str or os.PathLike), got {type(path).__name__} {path!r:.60}."
        )
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "No such audio file", path)
    if os.path.isdir(path):
        raise AudioFileError(f"Cannot load {path!r}: it is a directory, not an audio file.")
    if os.path.getsize(path) == 0:
        raise AudioFileError(f"Cannot load {path!r}: the file is empty (0 bytes).")
    return path


def _chunk_data_end(fh, file_size, start, endian, data_id):
    """Where chunk ``data_id`` of a RIFF-style file ends, per its header, or None."""
    pos = start
    while pos + 8 <= file_size:
        fh.seek(pos)
        chunk_id, chunk_size = struct.unpack(endian + "4sI", fh.read(8))
        if chunk_id == data_id:
            return None if chunk_size in _UNKNOWN_SIZES else pos + 8 + chunk_size
        pos += 8 + chunk_size + (chunk_size & 1)  # chunks are padded to even sizes
    return None


def _declared_data_end(path):
    """The byte offset at which the header says the audio data ends, or None.

    libsndfile silently shortens a WAV, AIFF or AU file whose audio data is
    cut short (it trusts the file size over the header), so the header is
    read here: RIFF/RIFX WAVE (``data`` chunk), AIFF/AIFC (``SSND`` chunk)
    and AU (data size field). None for other formats and for headers that
    leave the size unknown, as streaming writers do.
    """
    file_size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12:
            return None
        if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
            endian = "<" if head[:4] == b"RIFF" else ">"
            return _chunk_data_end(fh, file_size, 12, endian, b"data")
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _chunk_data_end(fh, file_size, 12, ">", b"SSND")
        if head[:4] == b".snd":
            data_offset, data_size = struct.unpack(">II", head[4:12])
            return None if data_size in _UNKNOWN_SIZES else data_offset + data_size
    return None


def _check_truncation(path, on_truncated):
    """Raise (or warn) when the file holds less audio data than its header announces."""
    end = _declared_data_end(path)
    file_size = os.path.getsize(path)
    if end is None or end <= file_size:
        return
    message = (
        f"Audio file {path!r} is truncated: its header announces audio data up to byte "
        f"{end}, but the file ends at byte {file_size} ({end - file_size} bytes missing)."
    )
    if on_truncated == "raise":
        raise AudioFileError(
            message + " Download or copy it again, or pass on_truncated='warn' to read "
            "the audio that is there."
        )
    warnings.warn(
        message + " Only the audio present was read.", TruncatedAudioWarning, stacklevel=3
    )


def _import_audioread():
    # audioread's raw backend imports aifc, audioop and sunau, which warn on
    # import since Python 3.11; the warning is theirs, not the user's. It is
    # imported lazily by audio_open, so import it here, where it is silenced.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioread

        try:
            import audioread.rawread  # noqa: F401
        except ImportError:  # Python 3.13 dropped aifc/sunau: no raw backend
            pass
    return audioread


def _frame_range(native_sr, offset, duration):
    start = int(round(offset * native_sr))
    frames = -1 if duration is None else int(round(duration * native_sr))
    return start, frames


def _read_soundfile(path, offset, duration):
    with sf.SoundFile(path) as f:
        start, frames = _frame_range(f.samplerate, offset, duration)
        # Seeking past the end is an error in libsndfile; reading there
        # should give 0 frames, reported by the caller as an empty decode.
        if start >= f.frames:
            return np.zeros((0, f.channels), dtype=np.float32), f.samplerate
        if start:
            f.seek(start)
        return f.read(frames, dtype="float32", always_2d=True), f.samplerate


def _read_audioread(path, offset, duration):
    """Decode with audioread, stopping as soon as the requested span is in."""
    audioread = _import_audioread()
    with audioread.audio_open(path) as f:
        native_sr, channels = f.samplerate, f.channels
        start, frames = _frame_range(native_sr, offset, duration)
        stop = None if frames < 0 else (start + frames) * channels
        chunks, n_read = [], 0
        for buf in f:
            # audioread always yields 16-bit signed little-endian PCM.
            chunk = np.frombuffer(buf, dtype="<i2")
            chunks.append(chunk)
            n_read += chunk.size
            if stop is not None and n_read >= stop:
                break
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<i2")
    pcm = pcm[start * channels : stop]
    pcm = pcm[: pcm.size - pcm.size % channels]
    data = (pcm.astype(np.float32) / 32768.0).reshape(-1, channels)
    return data, native_sr


def _reasons(sf_exc, ar_exc):
    """Why both decoders failed, in words, for the error message."""
    sf_reason = getattr(sf_exc, "error_string", None) or str(sf_exc)
    if isinstance(ar_exc, _import_audioread().NoBackendError):
        ar_reason = "no audioread backend can read it (installing ffmpeg may help)"
    else:
        ar_reason = f"{type(ar_exc).__name__}: {ar_exc}"
    return f"soundfile says {sf_reason!r}; audioread fallback: {ar_reason}"


def _decode(path, offset, duration):
    try:
        return _read_soundfile(path, offset, duration)
    except sf.SoundFileError as sf_exc:
        try:
            return _read_audioread(path, offset, duration)
        except Exception as ar_exc:  # noqa: BLE001 - any fallback failure means unreadable
            raise AudioFileError(
                f"Cannot decode audio file {path!r}: {_reasons(sf_exc, ar_exc)}. "
                "The file may be truncated, corrupt or not audio."
            ) from sf_exc


def load_audio(path, sr=22050, mono=True, offset=0.0, duration=None, *, on_truncated="raise"):
    """Decode one audio file into a float32 waveform.

    WAV, FLAC, OGG (Vorbis, Opus), AIFF, AU and MP3 are read with soundfile;
    other formats fall back on audioread, which needs ffmpeg or GStreamer.
    Only the frames between ``offset`` and ``offset + duration`` are read.
    A WAV, AIFF or AU file that holds less audio data than its header
    announces (a copy or download cut short) is an error, or a warning with
    ``on_truncated="warn"``. Channels are averaged into one when
    ``mono=True``; resampling uses soxr (quality ``"HQ"``).

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    sr : int or None, default=22050
        Target sampling rate in Hz; ``None`` keeps the file's own rate.
    mono : bool, default=True
        Average all channels into one.
    offset : float, default=0.0
        Start reading this many seconds into the file.
    duration : float or None, default=None
        Read at most this many seconds; ``None`` reads to the end.
    on_truncated : {"raise", "warn"}, default="raise"
        What to do with a WAV, AIFF or AU file whose audio data is cut
        short of what its header announces: raise an
        :class:`~sklearn_audio.exceptions.AudioFileError`, or issue a
        :class:`~sklearn_audio.exceptions.TruncatedAudioWarning` and return
        the audio that is there. Other formats are left to their decoder
        (a cut FLAC, for instance, fails to decode).

    Returns
    -------
    waveform : ndarray of float32
        Shape ``(samples,)`` when ``mono=True``, else ``(channels, samples)``
        (channels first, always 2-D, even for a mono file). Resampling from
        the native rate ``native_sr`` gives ``round(n * sr / native_sr)``
        samples for ``n`` native ones.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AudioFileError
        If the file is a directory, is empty, cannot be decoded (corrupt,
        not audio), is truncated (with ``on_truncated="raise"``) or decodes
        to 0 samples, e.g. because ``offset`` lies past its end.
    ValueError
        If the samples hold NaN or infinite values, or a parameter is
        invalid. The message names the file.

    See Also
    --------
    audio_duration : Duration of a file without decoding it.
    AudioLoader : The same for many files, as a scikit-learn transformer.

    Examples
    --------
    >>> import numpy as np, soundfile, tempfile, os
    >>> from sklearn_audio.io import load_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    >>> soundfile.write(path, tone, 8000)
    >>> y = load_audio(path, sr=16000)
    >>> y.dtype, y.shape
    (dtype('float32'), (16000,))
    >>> load_audio(path, sr=None, offset=0.25, duration=0.5).shape
    (4000,)

    A file cut short, as by an interrupted copy, is an error unless asked
    otherwise:

    >>> with open(path, "rb") as f:
    ...     data = f.read()
    >>> with open(path, "wb") as f:
    ...     _ = f.write(data[: len(data) // 2])
    >>> load_audio(path, sr=None)
    Traceback (most recent call last):
    ...
    sklearn_audio.exceptions.AudioFileError: Audio file '...tone.wav' is truncated: ...
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     load_audio(path, sr=None, on_truncated="warn").shape
    (3989,)
    """
    _check_load_params(sr, mono, offset, duration, on_truncated)
    path = _check_file(path)
    _check_truncation(path, on_truncated)
    data, native_sr = _decode(path, offset, duration)
    if data.shape[0] == 0:
        where = f" at offset={offset} s" if offset else ""
        raise AudioFileError(f"Audio file {path!r} decodes to 0 samples{where}.")
    check_finite(data, repr(path), what="audio file")
    if mono:
        data = data.mean(axis=1, dtype=np.float32)
    if sr is not None and sr != native_sr:
        data = soxr.resample(data, native_sr, sr, quality="HQ")
    if not mono:
        data = np.ascontiguousarray(data.T)
    return np.asarray(data, dtype=np.float32)


def audio_duration(path, *, on_truncated="raise"):
    """Duration of an audio file in seconds, read from its header.

    Nothing is decoded for the formats soundfile reads; the audioread
    fallback opens the file to read its header. Loading the file at rate
    ``sr`` gives about ``round(audio_duration(path) * sr)`` samples (give or
    take one), which lets callers size their outputs before decoding.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    on_truncated : {"raise", "warn"}, default="raise"
        What to do with a WAV, AIFF or AU file cut short of the audio data
        its header announces (see :func:`load_audio`); with ``"warn"`` the
        duration of the audio actually present is returned.

    Returns
    -------
    duration : float
        Length in seconds.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AudioFileError
        If the file is empty, a directory, truncated (with
        ``on_truncated="raise"``), or cannot be read.

    Examples
    --------
    >>> import numpy as np, soundfile, tempfile, os
    >>> from sklearn_audio.io import audio_duration
    >>> path = os.path.join(tempfile.mkdtemp(), "half_second.flac")
    >>> soundfile.write(path, np.zeros(4000), 8000)
    >>> audio_duration(path)
    0.5
    """
    _check_load_params(None, True, 0.0, None, on_truncated)
    path = _check_file(path)
    _check_truncation(path, on_truncated)
    try:
        return float(sf.info(path).duration)
    except sf.SoundFileError as sf_exc:
        try:
            with _import_audioread().audio_open(path) as f:
                return float(f.duration)
        except Exception as ar_exc:  # noqa: BLE001 - any fallback failure means unreadable
            raise AudioFileError(
                f"Cannot read the duration of audio file {path!r}: "
                f"{_reasons(sf_exc, ar_exc)}. The file may be truncated, corrupt or not audio."
            ) from sf_exc


def _stack(waveforms):
    """One array when all shapes agree, else a 1-D object array of arrays."""
    if len({w.shape for w in waveforms}) == 1:
        return np.stack(waveforms)
    out = np.empty(len(waveforms), dtype=object)
    # Item by item: np.array(list_of_arrays) would try to broadcast them.
    for i, w in enumerate(waveforms):
        out[i] = w
    return out


class AudioLoader(TransformerMixin, BaseEstimator):
    """Decode audio files into float32 waveforms: the first step of a pipeline.

    A stateless transformer: :meth:`fit` only checks the parameters and the
    input, and :meth:`transform` may be called without fitting. Each file
    goes through :func:`load_audio`, so every error names its file.

    Parameters
    ----------
    sr : int or None, default=22050
        Target sampling rate in Hz; ``None`` keeps each file's own rate.
    mono : bool, default=True
        Average all channels into one. Every later step expects mono.
    offset : float, default=0.0
        Start reading this many seconds into each file.
    duration : float or None, default=None
        Read at most this many seconds of each file.
    n_jobs : int or None, default=None
        Files decoded in parallel, in threads (libsndfile and soxr release
        the GIL, and threads avoid copying waveforms between processes).
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``-1`` means all processors; ``0`` is rejected (joblib's convention).
    verbose : bool, default=False
        Show a progress bar (tqdm) while decoding.
    on_truncated : {"raise", "warn"}, default="raise"
        What to do with a WAV, AIFF or AU file cut short of the audio data
        its header announces: raise an
        :class:`~sklearn_audio.exceptions.AudioFileError` naming it, or warn
        (:class:`~sklearn_audio.exceptions.TruncatedAudioWarning`) and keep
        the audio that is there. See :func:`load_audio`.
    on_unreadable : {"raise", "skip"}, default="raise"
        What to do with a file that cannot be read at :meth:`transform`
        (missing, empty, not audio, corrupt, truncated under
        ``on_truncated="raise"``, or decoding to 0 samples): raise the
        error, which names the file, or stand in silence for it, with a
        :class:`~sklearn_audio.io.UnreadableAudioWarning` naming
        the file, and record it in ``unreadable_``. The silence lasts
        ``duration`` seconds when set, else one second
        (``UNREADABLE_SILENCE_SECONDS``), at ``sr`` (22,050 Hz when
        ``sr=None``); with ``mono=False`` it has one channel. One row stays
        one clip, so the silence keeps the rows aligned with ``y``. Cut
        into segments it is all padding (all zeros), which the classifiers
        leave out; as a whole clip its features are those of silence, a
        silent example of the file's class. Better remove such files from
        the data before fitting (see
        :func:`~sklearn_audio.datasets.load_audio_folder`'s
        ``on_unreadable``).

    Attributes
    ----------
    unreadable_ : list of dict
        Only with ``on_unreadable="skip"``: the files the latest
        :meth:`transform` replaced with silence, as ``{"file": str,
        "reason": str}`` in input order (empty when every file was read).
        Set by :meth:`fit` to an empty list, and by every
        :meth:`transform`.

    See Also
    --------
    load_audio : Decode one file.
    sklearn_audio.RawSegmenter : Cut waveforms into segments.
    sklearn_audio.MFCCTransformer : MFCC features, from waveforms or paths.

    Notes
    -----
    Input is a 1-D array-like of paths of length ``n_clips``, so the
    attribute ``n_features_in_`` is not set (as for scikit-learn's text
    vectorizers), and ``get_feature_names_out`` is not provided.

    Output, float32:

    * ``mono=True``: ``(n_clips, samples)`` when all clips have the same
      length, else a 1-D object array of ``n_clips`` 1-D arrays.
    * ``mono=False``: ``(n_clips, channels, samples)`` when all clips have
      the same shape, else a 1-D object array of ``(channels, samples)``
      arrays.

    Examples
    --------
    >>> import numpy as np, soundfile, tempfile, os
    >>> from sklearn_audio import AudioLoader
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{n}.wav") for n in (8000, 8000, 4000)]
    >>> for path, n in zip(paths, (8000, 8000, 4000)):
    ...     soundfile.write(path, np.zeros(n), 8000)
    >>> AudioLoader(sr=16000).fit_transform(paths[:2]).shape
    (2, 16000)
    >>> ragged = AudioLoader(sr=16000).transform(paths)
    >>> ragged.dtype, [len(w) for w in ragged]
    (dtype('O'), [16000, 16000, 8000])

    An unreadable file can stand as one second of silence instead of
    stopping the pipeline:

    >>> broken = os.path.join(folder, "broken.wav")
    >>> open(broken, "wb").close()  # 0 bytes
    >>> import warnings
    >>> loader = AudioLoader(sr=8000, on_unreadable="skip")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     waveforms = loader.fit_transform([paths[2], broken])
    >>> [len(w) for w in waveforms], float(abs(waveforms[1]).max())
    ([4000, 8000], 0.0)
    >>> [os.path.basename(u["file"]) for u in loader.unreadable_]
    ['broken.wav']
    >>> "broken.wav" in str(caught[0].message)
    True
    """

    def __init__(
        self,
        sr=22050,
        mono=True,
        offset=0.0,
        duration=None,
        n_jobs=None,
        verbose=False,
        on_truncated="raise",
        on_unreadable="raise",
    ):
        self.sr = sr
        self.mono = mono
        self.offset = offset
        self.duration = duration
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.on_truncated = on_truncated
        self.on_unreadable = on_unreadable

    def _check_params(self):
        _check_load_params(self.sr, self.mono, self.offset, self.duration, self.on_truncated)
        check_n_jobs(self.n_jobs)
        if not (isinstance(self.on_unreadable, str) and self.on_unreadable in _ON_UNREADABLE):
            raise ValueError(
                f"on_unreadable must be 'raise' or 'skip', got {self.on_unreadable!r}."
            )

    def _silence(self):
        """The waveform that stands for an unreadable file (see ``on_unreadable``)."""
        sr = _DEFAULT_SR if self.sr is None else self.sr
        seconds = UNREADABLE_SILENCE_SECONDS if self.duration is None else self.duration
        n = max(1, int(round(seconds * sr)))
        return np.zeros(n if self.mono else (1, n), dtype=np.float32)

    def _load_or_reason(self, path):
        """``(waveform, None)``, or ``(None, reason)`` for an unreadable file when skipping."""
        try:
            waveform = load_audio(
                path, self.sr, self.mono, self.offset, self.duration,
                on_truncated=self.on_truncated,
            )
        except (AudioFileError, OSError) as exc:
            # NaN samples (a ValueError) are a data problem, not an unreadable file: they raise.
            if self.on_unreadable == "raise":
                raise
            return None, str(exc)
        return waveform, None

    def fit(self, X, y=None):
        """Check the parameters and the paths; nothing is learned or decoded.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        y : None
            Ignored.

        Returns
        -------
        self : AudioLoader
        """
        self._check_params()
        as_path_array(X)
        if self.on_unreadable == "skip":
            self.unreadable_ = []
        return self

    def transform(self, X):
        """Decode every file.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.

        Returns
        -------
        waveforms : ndarray of float32, shape (n_clips, samples), or ndarray of object
            ``(n_clips, samples)`` when all clips are equally long, else a
            1-D object array of 1-D float32 arrays (see Notes for
            ``mono=False``).
        """
        self._check_params()
        paths = as_path_array(X)
        load = delayed(self._load_or_reason)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(
            load(p) for p in paths
        )
        progress = tqdm(
            results,
            total=len(paths),
            desc="Loading audio",
            unit="file",
            disable=not self.verbose,
        )
        waveforms, unreadable = [], []
        for path, (waveform, reason) in zip(paths, progress):
            if reason is not None:
                warnings.warn(
                    f"Unreadable audio file {path!r} replaced with silence: {reason}",
                    UnreadableAudioWarning,
                    stacklevel=2,
                )
                unreadable.append({"file": path, "reason": reason})
                waveform = self._silence()
            waveforms.append(waveform)
        if self.on_unreadable == "skip":
            # Written once the batch is read: threads never see a half-built record.
            self.unreadable_ = unreadable
        return _stack(waveforms)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        # Output is float32 whatever the input: paths have no dtype to keep.
        tags.transformer_tags.preserves_dtype = []
        return tags
