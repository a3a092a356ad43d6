"""Waveform augmentation for training only, without multiplying rows.

One row stays one clip (see the data contract in the user guide), so
augmented copies cannot be new rows: ``y`` would not follow them through a
``Pipeline``. :class:`WaveformAugmenter` adds them as extra *segments* of
the clip they come from instead. Its ``fit_transform``, which a ``Pipeline``
calls on the training data only, returns every clip with ``n_copies``
augmented copies of its segments appended along the segments axis; its
``transform``, which is what ``predict`` and scoring call, changes nothing.
The classifiers train on every real segment with its clip's label, so the
copies become extra training examples, and at predict time a clip is
aggregated over its own, unaugmented, segments.
"""

import numbers

import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from ._validation import _is_ragged, check_finite, is_path_array, set_input_features
from .segment import segment_mask

__all__ = ["WaveformAugmenter"]

# The order the effects are applied in: the two that resynthesise the signal
# first, then the cheap sample-domain ones. Gain after background mixing keeps
# the background's SNR; noise last, so its SNR is against the final signal.
_EFFECTS = ("pitch", "stretch", "shift", "background", "gain", "noise")


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


def _check_range(name, value, *, number):
    """``(low, high)`` of an effect's parameter, or None when the effect is off.

    ``number`` says what a single number ``v`` means: ``"symmetric"`` is
    ``(-v, v)`` (v >= 0), ``"ratio"`` is ``(1/v, v)`` (v >= 1) and
    ``"fixed"`` is ``(v, v)``.
    """
    if value is None:
        return None
    if _is_real(value):
        value = float(value)
        if number == "symmetric":
            if value < 0:
                raise ValueError(
                    f"{name} must be a number >= 0 or a (low, high) pair, got {value!r}."
                )
            return (-value, value)
        if number == "ratio":
            if value < 1:
                raise ValueError(
                    f"{name} must be a number >= 1 (rates in [1/{name}, {name}]) or a "
                    f"(low, high) pair of positive rates, got {value!r}."
                )
            return (1.0 / value, value)
        return (value, value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(_is_real(v) for v in value)
        and value[0] <= value[1]
        and (number != "ratio" or value[0] > 0)
    ):
        return (float(value[0]), float(value[1]))
    positive = " of positive rates" if number == "ratio" else ""
    raise ValueError(
        f"{name} must be None, a finite number or a (low, high) pair{positive} with "
        f"low <= high, got {value!r}."
    )


def _segments(X, what):
    """``X`` as a float ndarray of segments ``(n, segments, samples)``; True when it was 2-D."""
    if is_path_array(X):
        raise TypeError(
            "Got file paths where waveforms were expected; put an AudioLoader (and a "
            f"RawSegmenter) before {what}."
        )
    if _is_ragged(X):
        raise ValueError(
            f"{what} needs clips of equal length: waveforms (n_clips, n_samples) or segments "
            "(n_clips, n_segments, n_samples). These clips differ in length; cut them with "
            "RawSegmenter first."
        )
    # check_array gives scikit-learn's errors for 1-D, sparse, complex or object input.
    X = check_array(X, dtype=(np.float32, np.float64), allow_nd=True, ensure_all_finite=False)
    ndim = X.ndim
    if ndim not in (2, 3):
        raise ValueError(
            f"{what} expects waveforms (n_clips, n_samples) or segments (n_clips, n_segments, "
            f"n_samples), got an array of shape {X.shape}. (Features are not accepted: put "
            "this step before the feature transformer.)"
        )
    for i, clip in enumerate(X):
        check_finite(clip, i)
    return (X[:, np.newaxis, :], True) if ndim == 2 else (X, False)


class WaveformAugmenter(TransformerMixin, BaseEstimator):
    """Augmented copies of each clip's segments, in training only.

    :meth:`fit_transform` returns each clip with ``n_copies`` augmented copies
    of its segments appended along the segments axis: segments
    ``(n, segments, samples)`` become ``(n, segments * (1 + n_copies),
    samples)``, the original segments first, then the first copy of every
    segment, and so on; waveforms ``(n, samples)`` are one segment each and
    become ``(n, 1 + n_copies, samples)``. One row stays one clip, so ``y``
    and any cross-validation split are untouched, and a classifier trains on
    the copies as extra segments with their clip's label.

    :meth:`transform` changes nothing (segments are returned as they are,
    waveforms ``(n, samples)`` as the view ``(n, 1, samples)`` so that later
    steps see the same number of axes as in fit). A ``Pipeline`` calls
    ``fit_transform`` on the training data and ``transform`` everywhere else,
    so ``predict``, ``score`` and the test folds of a search are never
    augmented. ``fit_transform(X)`` therefore differs from
    ``fit(X).transform(X)`` on purpose.

    All-zero padding segments (see :func:`~sklearn_audio.segment.segment_mask`)
    stay all-zero in every copy: no effect, noise included, is applied to
    them, since the classifiers drop all-zero segments. Every copy keeps the
    segment's length, so the frame count a feature transformer fixes at fit
    does not change.

    Each effect is applied to a copied segment with its probability ``p_*``;
    an effect is off when its range is None or its probability 0. The
    effects, in the order they are applied:

    ==============  =====================================================
    pitch           ``librosa.effects.pitch_shift`` by a uniform number of
                    semitones; length kept.
    stretch         ``librosa.effects.time_stretch`` at a log-uniform rate
                    (> 1 is faster); the result is cut to the segment's
                    length, or zero-padded at its end.
    shift           circular shift (``np.roll``) by a uniform number of
                    seconds: what leaves one end comes back at the other,
                    so nothing is lost and no silence is added.
    background      another training clip mixed in at a uniform SNR (dB).
    gain            a uniform gain in dB.
    noise           white Gaussian noise at a uniform SNR (dB).
    ==============  =====================================================

    Parameters
    ----------
    n_copies : int, default=1
        Augmented copies of each segment; 0 returns the input unchanged.
    sr : int, default=22050
        Sampling rate of the waveforms, for ``shift_seconds`` and the pitch
        shift.
    gain_db : float, (float, float) or None, default=6.0
        Gain range in dB; a number ``g`` means ``(-g, g)``.
    p_gain : float in [0, 1], default=0.5
        Probability of the gain, per copied segment.
    noise_snr_db : float, (float, float) or None, default=(10.0, 40.0)
        Signal-to-noise ratio range in dB of the added white noise, against
        the segment's own power (its mean square); a number is one SNR.
    p_noise : float in [0, 1], default=0.5
        Probability of the noise.
    shift_seconds : float, (float, float) or None, default=0.5
        Range of the circular time shift in seconds (positive moves the
        audio later); a number ``t`` means ``(-t, t)``.
    p_shift : float in [0, 1], default=0.5
        Probability of the shift.
    pitch_semitones : float, (float, float) or None, default=None
        Pitch shift range in semitones; a number ``s`` means ``(-s, s)``.
        Slow (see Notes).
    p_pitch : float in [0, 1], default=0.5
        Probability of the pitch shift.
    stretch_rate : float, (float, float) or None, default=None
        Time stretch rate range (2 plays twice as fast); a number ``r >= 1``
        means ``(1/r, r)``. Rates are drawn log-uniformly, so speeding up
        and slowing down are equally likely. Slow (see Notes).
    p_stretch : float in [0, 1], default=0.5
        Probability of the time stretch.
    background_snr_db : float, (float, float) or None, default=None
        SNR range in dB of a background mixed in: a real segment, taken at
        random from another clip of the training data (of any class; the
        clip's own label is kept, so choose an SNR at which the clip stays
        the louder part, e.g. 10 dB or more). A clip whose segments are the
        only real ones takes one of its other segments, if it has one.
    p_background : float in [0, 1], default=0.5
        Probability of the background.
    random_state : int, RandomState instance or None, default=None
        Seeds every random draw of :meth:`fit_transform`; an int gives the
        same copies at every call. Each effect draws from its own stream,
        so switching one effect on or off leaves the draws of the others
        unchanged.

    Attributes
    ----------
    effects_ : tuple of str
        The effects switched on, in the order they are applied.
    segment_samples_ : int
        Samples per segment (the last axis) seen in fit; :meth:`transform`
        requires the same.
    n_features_in_ : int
        Samples per clip, only when fit on 2-D waveforms.
    feature_names_in_ : ndarray of str
        Column names, only when fit on a DataFrame with string column names.

    See Also
    --------
    sklearn_audio.RawSegmenter : Cut clips into segments; put it before this step.
    sklearn_audio.MFCCTransformer : Features per segment; put it after this step.

    Notes
    -----
    Put the augmenter after the segmenter and before the feature
    transformer: the effects act on sound, and the segmenter fixes the
    segment length the copies keep. Ragged clips are refused: cut them with
    :class:`~sklearn_audio.RawSegmenter` first.

    The gain, noise, shift and background are vectorised NumPy: a few
    milliseconds per 3-s segment at 22,050 Hz, about the cost of copying
    it. The pitch shift and time stretch run librosa on each affected
    segment: about 9 ms and 7 ms per 3-s segment on an idle core, i.e.
    minutes per fit on a thousand 30-s clips. The output holds
    ``1 + n_copies`` times the input in memory.

    With ``output="stats"`` features, a clip's real segments are pooled into
    one vector, so the copies change that vector rather than adding training
    examples; augmentation pays with frame features and a segment-aware
    classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.augment import WaveformAugmenter
    >>> X = np.random.default_rng(0).normal(size=(4, 3, 8000)).astype(np.float32)
    >>> X[3, 2] = 0.0                                   # a padding segment
    >>> aug = WaveformAugmenter(n_copies=2, sr=8000, random_state=0)
    >>> Xt = aug.fit_transform(X)
    >>> Xt.shape                                        # 3 segments + 2 copies of each
    (4, 9, 8000)
    >>> bool(np.all(Xt[3, [2, 5, 8]] == 0))             # padding stays padding
    True
    >>> aug.transform(X) is X                           # never at predict time
    True
    """

    def __init__(
        self,
        n_copies=1,
        sr=22050,
        gain_db=6.0,
        p_gain=0.5,
        noise_snr_db=(10.0, 40.0),
        p_noise=0.5,
        shift_seconds=0.5,
        p_shift=0.5,
        pitch_semitones=None,
        p_pitch=0.5,
        stretch_rate=None,
        p_stretch=0.5,
        background_snr_db=None,
        p_background=0.5,
        random_state=None,
    ):
        self.n_copies = n_copies
        self.sr = sr
        self.gain_db = gain_db
        self.p_gain = p_gain
        self.noise_snr_db = noise_snr_db
        self.p_noise = p_noise
        self.shift_seconds = shift_seconds
        self.p_shift = p_shift
        self.pitch_semitones = pitch_semitones
        self.p_pitch = p_pitch
        self.stretch_rate = stretch_rate
        self.p_stretch = p_stretch
        self.background_snr_db = background_snr_db
        self.p_background = p_background
        self.random_state = random_state

    # -- parameters -------------------------------------------------------------
    def _check_params(self):
        """Validate the parameters; return ``{effect: (probability, (low, high))}`` of those on."""
        for name in ("n_copies", "sr"):
            value = getattr(self, name)
            low = 0 if name == "n_copies" else 1
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                kind = "a non-negative" if low == 0 else "a positive"
                raise ValueError(f"{name} must be {kind} integer, got {value!r}.")
        ranges = {
            "gain": _check_range("gain_db", self.gain_db, number="symmetric"),
            "noise": _check_range("noise_snr_db", self.noise_snr_db, number="fixed"),
            "shift": _check_range("shift_seconds", self.shift_seconds, number="symmetric"),
            "pitch": _check_range("pitch_semitones", self.pitch_semitones, number="symmetric"),
            "stretch": _check_range("stretch_rate", self.stretch_rate, number="ratio"),
            "background": _check_range(
                "background_snr_db", self.background_snr_db, number="fixed"
            ),
        }
        effects = {}
        for effect in _EFFECTS:
            name = f"p_{effect}"
            p = getattr(self, name)
            if not _is_real(p) or not 0 <= p <= 1:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}.")
            if ranges[effect] is not None and p > 0:
                effects[effect] = (float(p), ranges[effect])
        return effects

    # -- fit / transform ----------------------------------------------------------
    def fit(self, X, y=None):
        """Validate the parameters and record the segment length; learns nothing else.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or (n_clips, n_segments, n_samples)
            Waveforms of equal length, or segments from
            :class:`~sklearn_audio.RawSegmenter`.
        y : None
            Ignored.

        Returns
        -------
        self : WaveformAugmenter
        """
        self._fit(X)
        return self

    def _fit(self, X):
        effects = self._check_params()
        segments, _ = _segments(X, type(self).__name__)
        self.effects_ = tuple(effects)
        self.segment_samples_ = int(segments.shape[2])
        set_input_features(self, X)  # only 2-D waveforms have features in scikit-learn's sense
        return effects, segments

    def fit_transform(self, X, y=None):
        """Append ``n_copies`` augmented copies of every segment (training data only).

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or (n_clips, n_segments, n_samples)
            Waveforms of equal length, or segments from
            :class:`~sklearn_audio.RawSegmenter`; all-zero segments are
            padding.
        y : None
            Ignored: the background comes from clips of any class.

        Returns
        -------
        X_augmented : ndarray of shape (n_clips, n_segments * (1 + n_copies), n_samples)
            The input's float dtype; ``n_segments`` is 1 for 2-D waveforms.
            Segments ``[k * n_segments, (k + 1) * n_segments)`` are copy
            ``k`` (copy 0 is the input); padding segments stay all-zero.
        """
        effects, segments = self._fit(X)
        n_clips, n_segments, n_samples = segments.shape
        out = np.zeros(
            (n_clips, n_segments * (1 + self.n_copies), n_samples), dtype=segments.dtype
        )
        out[:, :n_segments] = segments
        if self.n_copies == 0:
            return out
        real = segment_mask(segments, example_ndim=1)
        originals = segments[real]
        draws = _Draws(effects, check_random_state(self.random_state), real, self.n_copies)
        for copy in range(self.n_copies):
            rows = originals.copy()
            for effect in effects:
                getattr(self, f"_apply_{effect}")(rows, originals, *draws.take(effect, copy, rows))
            start = n_segments * (1 + copy)
            out[:, start : start + n_segments][real] = rows
        return out

    def transform(self, X):
        """Return ``X`` unchanged: augmentation happens in :meth:`fit_transform` only.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or (n_clips, n_segments, n_samples)
            Waveforms or segments with the segment length seen in fit.

        Returns
        -------
        X : ndarray of shape (n_clips, n_segments, n_samples)
            ``X`` itself for segments (after validation); 2-D waveforms as the
            view ``(n_clips, 1, n_samples)``.
        """
        check_is_fitted(self, "effects_")
        segments, _ = _segments(X, type(self).__name__)
        if segments.shape[2] != self.segment_samples_:
            raise ValueError(
                f"X has {segments.shape[2]} features, but {type(self).__name__} is expecting "
                f"{self.segment_samples_} features as input (samples per clip or segment, the "
                "last axis, as seen in fit)."
            )
        return segments

    # -- the effects: each changes ``rows`` (n_rows, n_samples) in place ----------
    # ``rows`` and ``originals`` are the real segments of the input, clip-major;
    # ``selected`` indexes the rows the effect applies to, with one drawn value
    # for each (plus the noise, or the row of ``originals`` mixed in as background).
    def _apply_gain(self, rows, originals, selected, db):
        rows[selected] *= (10.0 ** (db / 20.0)).astype(rows.dtype)[:, np.newaxis]

    def _apply_noise(self, rows, originals, selected, snr_db, noise):
        power = np.mean(np.square(rows[selected], dtype=np.float64), axis=1)
        sigma = np.sqrt(power / 10.0 ** (snr_db / 10.0)).astype(rows.dtype)
        rows[selected] += sigma[:, np.newaxis] * noise

    def _apply_shift(self, rows, originals, selected, seconds):
        for i, samples in zip(selected, np.round(seconds * self.sr).astype(int)):
            rows[i] = np.roll(rows[i], samples)

    def _apply_background(self, rows, originals, selected, snr_db, source):
        background = originals[source]
        power = np.mean(np.square(rows[selected], dtype=np.float64), axis=1)
        background_power = np.mean(np.square(background, dtype=np.float64), axis=1)
        scale = np.sqrt(power / (background_power * 10.0 ** (snr_db / 10.0)))
        rows[selected] += scale.astype(rows.dtype)[:, np.newaxis] * background

    def _apply_pitch(self, rows, originals, selected, semitones):
        for i, steps in zip(selected, semitones):
            rows[i] = librosa.effects.pitch_shift(rows[i], sr=self.sr, n_steps=float(steps))

    def _apply_stretch(self, rows, originals, selected, rates):
        n_samples = rows.shape[1]
        for i, rate in zip(selected, rates):
            stretched = librosa.effects.time_stretch(rows[i], rate=float(rate))[:n_samples]
            rows[i] = 0.0
            rows[i, : len(stretched)] = stretched

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _Draws:
    """The random draws of one ``fit_transform``.

    Each effect has its own generator, seeded from ``random_state``. Whether
    the effect applies and its value are drawn up front for every (copy,
    clip, segment) position, padding included, so one effect's draws
    depend neither on the other effects nor on which segments are padding;
    the noise samples are drawn copy by copy.
    """

    def __init__(self, effects, random_state, real, n_copies):
        seeds = random_state.randint(np.iinfo(np.int32).max, size=len(_EFFECTS))
        self._real = real
        self._draws = {}
        shape = (n_copies,) + real.shape
        for effect, seed in zip(_EFFECTS, seeds):
            if effect not in effects:
                continue
            generator = np.random.default_rng(seed)
            p, (low, high) = effects[effect]
            applied = generator.random(shape) < p
            if effect == "stretch":  # log-uniform: rates r and 1/r equally likely
                values = np.exp(generator.uniform(np.log(low), np.log(high), shape))
            else:
                values = generator.uniform(low, high, shape)
            extra = generator.random(shape) if effect == "background" else None
            self._draws[effect] = (generator, applied, values, extra)

    def take(self, effect, copy, rows):
        """The draw of ``effect`` for copy ``copy``, over the real segments ``rows``.

        Returns the indices of the rows the effect applies to and one value
        for each; for the noise also the noise itself, for the background
        also the row of the segment mixed in.
        """
        generator, applied, values, extra = self._draws[effect]
        real = self._real
        applied, values = applied[copy][real], values[copy][real]
        if effect == "background":
            sources = _background_sources(extra[copy][real], real)
            applied &= sources >= 0
            selected = np.flatnonzero(applied)
            return selected, values[selected], sources[selected]
        selected = np.flatnonzero(applied)
        if effect == "noise":
            noise = generator.standard_normal((len(selected), rows.shape[1]), dtype=rows.dtype)
            return selected, values[selected], noise
        return selected, values[selected]


def _background_sources(u, real):
    """For each real segment, the row (among real segments) of its background, or -1.

    ``u`` holds one uniform number in [0, 1) per real segment. The source is
    a real segment of another clip, uniformly; for a clip whose segments are
    the only real ones, one of its other real segments; -1 when there is
    none. Rows are numbered as ``segments[real]`` numbers them (clip-major).
    """
    counts = real.sum(axis=1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    clip = np.repeat(np.arange(len(real)), counts)
    own_row = np.arange(counts.sum())
    total = counts.sum()
    others = total - counts[clip]
    # Skip the clip's own block of rows: index u * others among the other rows.
    k = np.floor(u * np.maximum(others, 1)).astype(int)
    source = np.where(k < starts[clip], k, k + counts[clip])
    # No other clip has a real segment: another segment of the same clip.
    alone = others == 0
    if np.any(alone):
        mine = counts[clip] - 1
        j = np.floor(u * np.maximum(mine, 1)).astype(int)
        offset = own_row - starts[clip]
        j = np.where(j < offset, j, j + 1)
        source = np.where(alone, np.where(mine > 0, starts[clip] + j, -1), source)
    return source
