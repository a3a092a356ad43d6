"""MFCC and log-mel features as scikit-learn transformers.

Both transformers take every input form of the data contract: waveforms
``(n, samples)``, segments ``(n, segments, samples)`` from
:class:`~sklearn_audio.RawSegmenter`, a ragged object array of waveforms, or
a 1-D array of file paths, which is streamed in chunks so the raw audio of
the whole data set is never in memory at once.

Output is ``(n, frames, coeffs)``, ``(n, segments, frames, coeffs)`` for
segments, or 2-D summary statistics with ``output="stats"``. The frame
count of ``output="frames"`` is fixed at :meth:`fit` (the longest training
clip, or ``n_frames``);
shorter clips are padded with their own silence frame and longer ones
truncated. All-zero padding segments become all-zero features. With
``normalize="mean"`` each clip's sounding frames are centred on their own
mean and its silent and padding frames are 0.
"""

import numbers
import warnings
from functools import partial

import numpy as np
from scipy.signal import savgol_filter
from sklearn.base import BaseEstimator, TransformerMixin
from threadpoolctl import threadpool_limits
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._compat.sklearn import check_feature_names_in
from ._spectral import LogMelEngine, n_frames_for_length
from ._validation import check_n_jobs, read_audio_input, set_input_features, thread_map

__all__ = ["MFCCTransformer", "MelSpectrogramTransformer"]

_DELTA_WIDTH = 9  # librosa.feature.delta's default window
# Files decoded per streaming chunk: bounds the raw audio held at once.
_PATH_CHUNK = 16
_OUTPUTS = ("frames", "stats")
_NORMALIZE = (None, "mean")


def _deltas(features, order):
    """Delta features along frames, as ``librosa.feature.delta`` (width 9, interp).

    Clips shorter than the window use the widest odd window they allow, so
    short clips get deltas instead of an error.
    """
    n_frames = features.shape[-2]
    width = min(_DELTA_WIDTH, n_frames if n_frames % 2 else n_frames - 1)
    if width < 3:
        # Too few frames for a local polynomial fit; nearest-edge mode still gives finite deltas.
        return savgol_filter(features, 3, order, deriv=order, axis=-2, mode="nearest")
    return savgol_filter(features, width, order, deriv=order, axis=-2, mode="interp")


class _SpectralTransformer(TransformerMixin, BaseEstimator):
    """Shared machinery: input dispatch, frame fixing, deltas, stats, streaming."""

    _stat_names = ("mean", "std")

    # -- subclasses ---------------------------------------------------------
    def _make_engine(self):
        raise NotImplementedError

    def _coefficient_prefix(self):
        raise NotImplementedError

    def _check_extra_params(self):
        """Validate the parameters a subclass adds."""

    def __setstate__(self, state):
        # Transformers saved before ``normalize`` existed did not normalise.
        state.setdefault("normalize", None)
        super().__setstate__(state)

    # -- parameters ---------------------------------------------------------
    def _check_params(self):
        def positive_int(name):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")

        for name in ("sr", "n_fft", "hop_length", "n_mels"):
            positive_int(name)
        if self.n_frames is not None:
            positive_int("n_frames")
        if not isinstance(self.fmin, numbers.Real) or self.fmin < 0:
            raise ValueError(f"fmin must be a non-negative number, got {self.fmin!r}.")
        nyquist = self.sr / 2
        fmax = nyquist if self.fmax is None else self.fmax
        if not isinstance(fmax, numbers.Real) or not self.fmin < fmax <= nyquist:
            raise ValueError(
                f"fmax must be None or a number in (fmin, sr/2] = ({self.fmin}, {nyquist}], "
                f"got {self.fmax!r}."
            )
        if self.delta not in (0, 1, 2):
            raise ValueError(f"delta must be 0, 1 or 2, got {self.delta!r}.")
        if self.output not in _OUTPUTS:
            raise ValueError(f"output must be one of {_OUTPUTS}, got {self.output!r}.")
        if self.normalize not in _NORMALIZE:
            raise ValueError(f"normalize must be None or 'mean', got {self.normalize!r}.")
        if self.normalize is not None and self.output == "stats":
            raise ValueError(
                "normalize='mean' needs output='frames': it centres each clip on its own "
                "mean, so the mean half of the statistics would be all zero."
            )
        check_n_jobs(self.n_jobs)
        self._check_extra_params()

    # -- input forms --------------------------------------------------------
    def _clip_lengths(self, kind, data):
        if kind == "paths":
            from .io import audio_duration

            return [int(round(audio_duration(path) * self.sr)) for path in data]
        if kind == "segments":
            return [data.shape[2]]
        return [len(clip) for clip in data]

    # -- fit / transform ----------------------------------------------------
    def fit(self, X, y=None):
        """Fix the frame count from the training clips (``output="frames"``).

        Parameters
        ----------
        X : array-like
            Waveforms ``(n, samples)``, segments ``(n, segments, samples)``,
            a ragged 1-D object array of waveforms, or a 1-D array of paths.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        kind, data = read_audio_input(X)
        if self.n_frames is not None:
            self.n_frames_ = int(self.n_frames)
        elif self.output == "stats":
            # Statistics pool each clip's own frames: no frame count to fix, so the
            # fitted state does not depend on the training clips (and a feature
            # cache can share one fitted state across folds).
            self.n_frames_ = None
        else:
            longest = max(self._clip_lengths(kind, data))
            self.n_frames_ = n_frames_for_length(longest, self.hop_length)
        set_input_features(self, X)
        self.n_coefficients_ = self._make_engine().n_outputs * (1 + self.delta)
        return self

    def transform(self, X):
        """Extract features.

        Parameters
        ----------
        X : array-like
            Waveforms ``(n, samples)``, segments ``(n, segments, samples)``,
            a ragged 1-D object array of waveforms, or a 1-D array of paths.

        Returns
        -------
        features : ndarray of float32
            ``(n, n_frames_, n_coefficients_)`` for waveforms and paths,
            ``(n, segments, n_frames_, n_coefficients_)`` for segments; with
            ``output="stats"``, ``(n, 2 * n_coefficients_)``: the mean of each
            coefficient over the clip's frames, then its standard deviation.
        """
        check_is_fitted(self, "n_frames_")
        kind, data = read_audio_input(X)
        engine = self._make_engine()
        # The per-block matrix products are small: BLAS threads only add wake-up latency
        # (up to 10x slower here); parallelism comes from n_jobs over clips instead.
        with threadpool_limits(limits=1, user_api="blas"):
            if kind == "paths":
                return self._transform_paths(engine, data)
            if kind == "segments":
                return self._transform_segments(engine, data)
            return self._extract(engine, data)

    def _transform_paths(self, engine, paths):
        from .io import load_audio

        out = None
        for start in range(0, len(paths), _PATH_CHUNK):
            chunk = paths[start : start + _PATH_CHUNK]
            clips = thread_map(self.n_jobs, lambda path: load_audio(path, sr=self.sr), chunk)
            part = self._extract(engine, clips, names=chunk)
            if out is None:
                # Filled chunk by chunk: only one chunk's raw audio and features exist at once.
                out = np.empty((len(paths),) + part.shape[1:], dtype=np.float32)
            out[start : start + len(chunk)] = part
        return out

    def _transform_segments(self, engine, segments):
        n_clips, n_segments, _ = segments.shape
        real = np.any(segments != 0, axis=2)
        if self.output == "stats":
            # Stats pool every frame of a clip's real segments.
            def clip_stats(i):
                frames = [self._clip_features(engine, seg)[0] for seg in segments[i][real[i]]]
                if not frames:
                    return np.zeros(2 * self.n_coefficients_, dtype=np.float32)
                return self._stats(np.concatenate(frames))

            return np.stack(thread_map(self.n_jobs, clip_stats, range(n_clips)))
        out = np.zeros(
            (n_clips * n_segments, self.n_frames_, self.n_coefficients_), dtype=np.float32
        )
        flat = segments.reshape(n_clips * n_segments, -1)
        rows = np.flatnonzero(real.ravel())
        if len(rows):
            out[rows] = self._extract(engine, list(flat[rows]))
        return out.reshape(n_clips, n_segments, self.n_frames_, self.n_coefficients_)

    def _extract(self, engine, clips, names=None):
        """Fixed-length frames or stats of each clip; warns about clips under one FFT window."""
        short = [i for i, clip in enumerate(clips) if len(clip) < self.n_fft]
        if short:
            who = [names[i] if names else i for i in short[:5]]
            warnings.warn(
                f"{len(short)} clip(s) shorter than one FFT window (n_fft={self.n_fft} samples), "
                f"e.g. {who}; they were zero-padded.",
                UserWarning,
                stacklevel=3,
            )
        return np.stack(thread_map(self.n_jobs, partial(self._summarise, engine), clips))

    def _summarise(self, engine, clip):
        """One clip's output row: fixed-length frames, or its statistics."""
        features, silence, silent = self._clip_features(engine, clip)
        if self.output == "stats":
            return self._stats(features)
        if self.normalize == "mean":
            return self._centred_frames(features, silent, engine.n_outputs)
        return self._fixed_frames(features, silence)

    def _clip_features(self, engine, clip):
        """A clip's features over its natural frames (deltas stacked), its silence
        frame, and which of its frames are silent (every band at the floor)."""
        features, floor_db, silent = engine.compute(clip)
        silence = engine.silence_frame(floor_db)
        if self.delta:
            features = np.concatenate(
                [features] + [_deltas(features, order) for order in range(1, self.delta + 1)],
                axis=-1,
            )
            # Silence is constant in time, so its deltas are zero.
            silence = np.concatenate([silence, np.zeros(len(silence) * self.delta, np.float32)])
        return features.astype(np.float32, copy=False), silence, silent

    def _fixed_frames(self, features, silence):
        """Truncate to ``n_frames_``, or pad with the clip's silence frame."""
        out = np.empty((self.n_frames_, features.shape[1]), dtype=np.float32)
        n = min(len(features), self.n_frames_)
        out[:n] = features[:n]
        out[n:] = silence
        return out

    def _centred_frames(self, features, silent, n_static):
        """``normalize="mean"``: the kept frames centred on their own mean.

        The mean is taken per coefficient over the clip's sounding frames
        among the first ``n_frames_`` (what the output keeps), and subtracted
        from their static coefficients; deltas are unchanged by a constant
        offset. Silent frames and padding become 0, the centred clip's mean
        frame, so neither carries the clip's level nor its spectral envelope.
        """
        out = np.zeros((self.n_frames_, features.shape[1]), dtype=np.float32)
        kept = features[: self.n_frames_]
        sounding = np.flatnonzero(~silent[: self.n_frames_])
        if len(sounding):
            out[sounding] = kept[sounding]
            # Accumulated in float64: long clips sum thousands of dB-scale values.
            mean = kept[sounding, :n_static].mean(axis=0, dtype=np.float64)
            out[sounding, :n_static] -= mean.astype(np.float32)
        return out

    def _stats(self, frames):
        return np.concatenate([frames.mean(axis=0), frames.std(axis=0)]).astype(np.float32)

    def _stats_enabled(self):
        return self.output == "stats"

    @available_if(_stats_enabled)
    def get_feature_names_out(self, input_features=None):
        """Names of the summary statistics (only with ``output="stats"``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked, as scikit-learn checks it: it must equal
            ``feature_names_in_`` when the transformer was fit on a DataFrame,
            and have ``n_features_in_`` entries when it was fit on a 2-D
            array. The output names do not depend on it: each statistic
            summarises the whole clip, not one input sample.

        Returns
        -------
        names : ndarray of str, shape (2 * n_coefficients_,)
            ``"<prefix><k>_mean"`` for every coefficient, then ``"..._std"``.
        """
        check_is_fitted(self, "n_frames_")
        if input_features is not None or hasattr(self, "n_features_in_"):
            # Fitted on paths, ragged clips or segments there is no input width
            # to check against, and the output names do not depend on it.
            check_feature_names_in(self, input_features)
        base = self._make_engine().n_outputs
        prefix = self._coefficient_prefix()
        coeffs = [f"{prefix}{k}" for k in range(base)]
        for order in range(1, self.delta + 1):
            coeffs += [f"{prefix}{k}_delta{order}" for k in range(base)]
        return np.array([f"{c}_{stat}" for stat in self._stat_names for c in coeffs], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class MFCCTransformer(_SpectralTransformer):
    """Mel-frequency cepstral coefficients, batched and librosa-equal.

    For a single clip the output equals
    ``librosa.feature.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, n_fft=n_fft,
    hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax).T`` (float32
    round-off aside), but clips are processed in batches with the window,
    mel filterbank and DCT matrix built once.

    Parameters
    ----------
    sr : int, default=22050
        Sampling rate of the waveforms; files given as paths are resampled
        to it.
    n_mfcc : int, default=13
        Number of coefficients.
    n_fft : int, default=2048
        FFT window length in samples.
    hop_length : int, default=512
        Samples between frames.
    n_mels : int, default=128
        Mel bands before the DCT.
    fmin : float, default=0.0
        Lowest frequency of the mel filterbank (Hz).
    fmax : float or None, default=None
        Highest frequency (Hz); ``None`` means ``sr / 2``.
    delta : {0, 1, 2}, default=0
        Stack first (1) or first and second (2) order deltas after the
        coefficients, along the last axis.
    output : {"frames", "stats"}, default="frames"
        ``"frames"`` keeps time; ``"stats"`` gives one vector per clip (mean
        then standard deviation of each coefficient over the clip's frames,
        all real segments pooled) for classic estimators.
    n_jobs : int or None, default=None
        Threads for feature extraction and file decoding; ``None`` means 1
        unless in a :func:`joblib.parallel_config` context, ``-1`` all
        processors; ``0`` is rejected (joblib's convention).
    n_frames : int or None, default=None
        Frames per clip (or segment) in the output. ``None`` fixes it at
        fit from the longest training clip. Not used by ``output="stats"``.
    normalize : {None, "mean"}, default=None
        ``"mean"``: per-clip cepstral mean normalisation. Each clip (each
        segment, for segmented input) is centred on the mean of its own
        sounding frames, coefficient by coefficient, which removes its
        level and the constant part of its spectral envelope (microphone,
        room, the speaker's vocal tract). Frames whose every mel band is at
        the clip's dB floor (digital silence, padding, a segment's zero
        tail) are left out of the mean and become 0. It helps speech tasks
        tested on unseen speakers or channels and hurts where the envelope
        is the class, as with instruments (see the user guide's evidence).
        Needs ``output="frames"``; not supported by
        :func:`sklearn_audio.export.export_model`.

    Attributes
    ----------
    n_frames_ : int or None
        Frames per clip or segment in the output; ``None`` with
        ``output="stats"`` and ``n_frames=None`` (statistics pool each
        clip's own frames).
    n_coefficients_ : int
        Coefficients per frame: ``n_mfcc * (1 + delta)``.
    n_features_in_ : int
        Samples per clip, only when fit on a 2-D waveform array ``(n_clips,
        n_samples)``; not set when fit on paths, ragged waveforms or
        segments (a refit on those deletes it). Clips of other lengths are
        still accepted at transform (padded or truncated to ``n_frames_``).
    feature_names_in_ : ndarray of str
        Column names, only when fit on a DataFrame with string column names.

    See Also
    --------
    MelSpectrogramTransformer : Log-mel bands with the same contract.
    sklearn_audio.RawSegmenter : Cut clips into segments first.

    Notes
    -----
    Clips shorter than ``n_fft`` are zero-padded (centred frames) with a
    warning; an all-zero padding segment gives all-zero features.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio import MFCCTransformer
    >>> t = np.arange(22050) / 22050
    >>> X = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t)])
    >>> MFCCTransformer(n_mfcc=13).fit_transform(X).shape
    (2, 44, 13)
    >>> MFCCTransformer(n_mfcc=13, delta=1, output="stats").fit_transform(X).shape
    (2, 52)

    Centred on each clip's own mean (every frame of a sine is sounding):

    >>> F = MFCCTransformer(n_mfcc=13, normalize="mean").fit_transform(X)
    >>> bool(np.allclose(F.mean(axis=1), 0, atol=1e-3))
    True
    """

    def __init__(
        self,
        sr=22050,
        n_mfcc=13,
        n_fft=2048,
        hop_length=512,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        delta=0,
        output="frames",
        n_jobs=None,
        n_frames=None,
        normalize=None,
    ):
        self.sr = sr
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.delta = delta
        self.output = output
        self.n_jobs = n_jobs
        self.n_frames = n_frames
        self.normalize = normalize

    def _check_extra_params(self):
        if (
            not isinstance(self.n_mfcc, numbers.Integral)
            or isinstance(self.n_mfcc, bool)
            or not 1 <= self.n_mfcc <= self.n_mels
        ):
            raise ValueError(
                f"n_mfcc must be an integer between 1 and n_mels={self.n_mels}, "
                f"got {self.n_mfcc!r}."
            )

    def _make_engine(self):
        return LogMelEngine(
            self.sr, self.n_fft, self.hop_length, self.n_mels, self.fmin, self.fmax,
            n_mfcc=self.n_mfcc,
        )

    def _coefficient_prefix(self):
        return "mfcc"


class MelSpectrogramTransformer(_SpectralTransformer):
    """Log-mel spectrogram (dB) with the same input/output contract as MFCCs.

    For a single clip the output equals ``librosa.power_to_db(
    librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft,
    hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax),
    top_db=top_db).T``.

    Parameters
    ----------
    sr : int, default=22050
        Sampling rate of the waveforms; files given as paths are resampled
        to it.
    n_mels : int, default=128
        Mel bands.
    n_fft : int, default=2048
        FFT window length in samples.
    hop_length : int, default=512
        Samples between frames.
    fmin : float, default=0.0
        Lowest frequency of the filterbank (Hz).
    fmax : float or None, default=None
        Highest frequency (Hz); ``None`` means ``sr / 2``.
    top_db : float, default=80.0
        Dynamic range kept below each clip's loudest bin.
    delta : {0, 1, 2}, default=0
        Stack first (1) or first and second (2) order deltas.
    output : {"frames", "stats"}, default="frames"
        ``"frames"`` keeps time; ``"stats"`` gives mean then standard
        deviation of each band over the clip's frames.
    n_jobs : int or None, default=None
        Threads for feature extraction and file decoding; ``None`` means 1
        unless in a :func:`joblib.parallel_config` context, ``-1`` all
        processors; ``0`` is rejected (joblib's convention).
    n_frames : int or None, default=None
        Frames per clip (or segment); ``None`` fixes it at fit. Not used by
        ``output="stats"``.
    normalize : {None, "mean"}, default=None
        ``"mean"`` centres each clip (or segment) on the mean of its own
        sounding frames, band by band, and sets silent frames (every band at
        the dB floor) to 0, as :class:`MFCCTransformer` does. Needs
        ``output="frames"``.

    Attributes
    ----------
    n_frames_ : int or None
        Frames per clip or segment in the output; ``None`` with
        ``output="stats"`` and ``n_frames=None`` (statistics pool each
        clip's own frames).
    n_coefficients_ : int
        Values per frame: ``n_mels * (1 + delta)``.
    n_features_in_ : int
        Samples per clip, only when fit on a 2-D waveform array ``(n_clips,
        n_samples)``; not set when fit on paths, ragged waveforms or
        segments (a refit on those deletes it). Clips of other lengths are
        still accepted at transform (padded or truncated to ``n_frames_``).
    feature_names_in_ : ndarray of str
        Column names, only when fit on a DataFrame with string column names.

    See Also
    --------
    MFCCTransformer : Cepstral coefficients of the same spectrogram.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio import MelSpectrogramTransformer
    >>> X = np.random.default_rng(0).standard_normal((3, 8000)).astype(np.float32)
    >>> MelSpectrogramTransformer(sr=8000, n_mels=40, n_fft=512, hop_length=128).fit_transform(X).shape
    (3, 63, 40)
    """

    def __init__(
        self,
        sr=22050,
        n_mels=128,
        n_fft=2048,
        hop_length=512,
        fmin=0.0,
        fmax=None,
        top_db=80.0,
        delta=0,
        output="frames",
        n_jobs=None,
        n_frames=None,
        normalize=None,
    ):
        self.sr = sr
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.delta = delta
        self.output = output
        self.n_jobs = n_jobs
        self.n_frames = n_frames
        self.normalize = normalize

    def _check_extra_params(self):
        if not isinstance(self.top_db, numbers.Real) or self.top_db <= 0:
            raise ValueError(f"top_db must be a positive number, got {self.top_db!r}.")

    def _make_engine(self):
        return LogMelEngine(
            self.sr, self.n_fft, self.hop_length, self.n_mels, self.fmin, self.fmax,
            top_db=self.top_db,
        )

    def _coefficient_prefix(self):
        return "mel"
