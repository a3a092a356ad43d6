"""Decoding audio files into float32 waveforms, and :class:`AudioLoader`.

soundfile (libsndfile) decodes WAV, FLAC, OGG/Vorbis, Opus, AIFF, AU and MP3
and can read just the frames asked for; audioread, which uses ffmpeg or
GStreamer when installed, is the fallback for anything else (AAC, M4A,
WMA...). soxr resamples. Every failure names the file at fault.
"""

import errno
import numbers
import os
import warnings

import numpy as np
import soundfile as sf
import soxr
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from tqdm.auto import tqdm

from ._validation import as_path_array, check_finite
from .exceptions import AudioFileError

__all__ = ["AUDIO_EXTENSIONS", "AudioLoader", "audio_duration", "load_audio"]

#: File name extensions (lower case) treated as audio when scanning folders.
AUDIO_EXTENSIONS = frozenset(
    ".aif .aifc .aiff .au .flac .m4a .mp3 .oga .ogg .opus .snd .wav".split()
)


def _check_load_params(sr, mono, offset, duration):
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


def load_audio(path, sr=22050, mono=True, offset=0.0, duration=None):
    """Decode one audio file into a float32 waveform.

    WAV, FLAC, OGG (Vorbis, Opus), AIFF, AU and MP3 are read with soundfile;
    other formats fall back on audioread, which needs ffmpeg or GStreamer.
    Only the frames between ``offset`` and ``offset + duration`` are read.
    Channels are averaged into one when ``mono=True``; resampling uses soxr
    (quality ``"HQ"``).

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
        If the file is a directory, is empty, cannot be decoded (truncated,
        corrupt, not audio) or decodes to 0 samples, e.g. because ``offset``
        lies past its end.
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
    """
    _check_load_params(sr, mono, offset, duration)
    path = _check_file(path)
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


def audio_duration(path):
    """Duration of an audio file in seconds, read from its header.

    Nothing is decoded for the formats soundfile reads; the audioread
    fallback opens the file to read its header. Loading the file at rate
    ``sr`` gives about ``round(audio_duration(path) * sr)`` samples (give or
    take one), which lets callers size their outputs before decoding.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.

    Returns
    -------
    duration : float
        Length in seconds.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AudioFileError
        If the file is empty, a directory, or cannot be read.

    Examples
    --------
    >>> import numpy as np, soundfile, tempfile, os
    >>> from sklearn_audio.io import audio_duration
    >>> path = os.path.join(tempfile.mkdtemp(), "half_second.flac")
    >>> soundfile.write(path, np.zeros(4000), 8000)
    >>> audio_duration(path)
    0.5
    """
    path = _check_file(path)
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
        ``-1`` means all processors.
    verbose : bool, default=False
        Show a progress bar (tqdm) while decoding.

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
    """

    def __init__(
        self, sr=22050, mono=True, offset=0.0, duration=None, n_jobs=None, verbose=False
    ):
        self.sr = sr
        self.mono = mono
        self.offset = offset
        self.duration = duration
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        _check_load_params(self.sr, self.mono, self.offset, self.duration)
        if self.n_jobs is not None and (
            isinstance(self.n_jobs, bool)
            or not isinstance(self.n_jobs, numbers.Integral)
            or self.n_jobs == 0
        ):
            raise ValueError(f"n_jobs must be None or a non-zero integer, got {self.n_jobs!r}.")

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
        load = delayed(load_audio)
        jobs = (load(p, self.sr, self.mono, self.offset, self.duration) for p in paths)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(jobs)
        progress = tqdm(
            results,
            total=len(paths),
            desc="Loading audio",
            unit="file",
            disable=not self.verbose,
        )
        return _stack(list(progress))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        # Output is float32 whatever the input: paths have no dtype to keep.
        tags.transformer_tags.preserves_dtype = []
        return tags
