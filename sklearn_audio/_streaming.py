"""A pipeline that streams files through its feature steps, chunk by chunk.

A plain :class:`~sklearn.pipeline.Pipeline` hands every step the whole data
set: ``AudioLoader`` decodes every file, then ``RawSegmenter`` copies every
waveform into segments padded to the longest clip's segment count, and only
then are features computed. On a music collection the raw audio, not the
features, is what fills memory (1,554 notes of 1 to 30 s cut into 1-s
segments: 4.8 GB). :class:`StreamingPipeline` runs those steps on
``chunk_size`` files at a time and keeps only the features, which are
hundreds of times smaller than the audio they summarise.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from ._validation import as_path_array

__all__ = ["StreamingPipeline"]


def _final_has(attr):
    """``available_if`` check: the last step has ``attr`` (as Pipeline exposes methods)."""

    def check(self):
        getattr(self.steps[-1][1], attr)
        return True

    return check


def _can_fit_transform(self):
    last = self.steps[-1][1]
    return _skipped(last) or hasattr(last, "transform") or hasattr(last, "fit_transform")


def _can_transform(self):
    last = self.steps[-1][1]
    return _skipped(last) or hasattr(last, "transform")


def _streamable_types():
    from .augment import WaveformAugmenter
    from .features import _SpectralTransformer
    from .io import AudioLoader
    from .segment import RawSegmenter

    return AudioLoader, (RawSegmenter, WaveformAugmenter), _SpectralTransformer


def _skipped(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _longest(waveforms, longest, shapes):
    """The longer of ``longest`` and the chunk's longest clip; records the shapes seen."""
    for waveform in waveforms:
        shapes.add(waveform.shape)
        if longest is None or waveform.shape[-1] > longest.shape[-1]:
            # A copy: a row of a stacked chunk would keep the whole chunk alive.
            longest = np.array(waveform)
    return longest


def _one_pass_layout(steps):
    """``"segments"`` or ``"clips"`` when fit can featurise in one pass over the files, else None.

    One pass needs the chunks' features not to depend on the longest clip of
    all, or only through padding: a segmenter (optionally followed by one
    augmenter) in front of the features, whose segment count only pads; or
    features alone whose frame count is not fixed by the longest clip
    (``output="stats"``, or a given ``n_frames``). Otherwise fit reads the
    files once for their lengths, then again for the features.
    """
    from .augment import WaveformAugmenter
    from .segment import RawSegmenter

    extractor = steps[-1]
    if isinstance(steps[0], RawSegmenter) and len(steps) in (2, 3):
        if len(steps) == 2 or isinstance(steps[1], WaveformAugmenter):
            return "segments"
        return None
    if len(steps) == 1 and (extractor.output == "stats" or extractor.n_frames is not None):
        return "clips"
    return None


def _fit_on_longest(steps, longest, shapes):
    """Fit the steps after the loader on the longest clip, as if on all the clips.

    What they learn depends on the longest clip only: the segmenter's
    segment count (capped by ``max_segments``), the augmenter's segment
    length, the features' frame count. ``n_features_in_`` depends on whether
    the loader would have stacked the clips into one 2-D array, that is, on
    whether all had the same shape.
    """
    if longest is None:
        raise ValueError("Found 0 audio files; at least one is needed to fit.")
    batch = _one_clip_batch(longest, len(shapes) == 1)
    for step in steps[:-1]:
        # fit then transform, not fit_transform: an augmenter adds no copies here.
        batch = step.fit(batch).transform(batch)
    steps[-1].fit(batch)  # the features themselves are not needed


def _one_clip_batch(waveform, all_equal):
    """The longest clip as the loader would have returned it among all the clips.

    All clips equally long: a 2-D array (the loader stacks them, and steps
    fitted on 2-D input record ``n_features_in_``); otherwise a ragged
    1-D object array, for which they do not.
    """
    if all_equal:
        return waveform[np.newaxis]
    batch = np.empty(1, dtype=object)
    batch[0] = waveform
    return batch


class StreamingPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` that decodes and featurises files in chunks.

    The leading steps ``AudioLoader``, optional ``RawSegmenter`` and
    ``WaveformAugmenter``, then ``MFCCTransformer`` or
    ``MelSpectrogramTransformer`` (the *streamed steps*) are applied to
    ``chunk_size`` paths at a time; only their features are kept and
    concatenated, so the raw audio of at most one chunk is in memory at
    once. The steps after them (the classifier) get the features of all the
    clips, as in a plain pipeline. Steps, their names, ``named_steps``,
    slicing and nested parameters (``mfcc__n_mfcc``, ``clf__epochs``) are
    those of :class:`~sklearn.pipeline.Pipeline`; the fitted steps are the
    ones in ``steps``, as there.

    The output is identical to the plain pipeline's. What the streamed steps
    learn depends only on the longest training clip (the segmenter's
    segment count, the frame count of frame features), which is only known
    once every file is read. With a segmenter, :meth:`fit` featurises each
    chunk with the chunk's own segment count and pads the features with
    all-zero padding segments at the end (the plain pipeline's padding is
    all zeros too); the same holds for ``output="stats"`` features of whole
    clips, which need no padding. Frame features of whole clips are padded
    with each clip's own silence frame up to the longest clip's frame
    count, so there :meth:`fit` decodes the files twice: once to find the
    longest clip, once for the features. Either way the streamed steps are
    then fitted on the longest clip, which gives them the state they would
    have learnt from all the clips.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As for :class:`~sklearn.pipeline.Pipeline`. When the first step is
        not an :class:`~sklearn_audio.AudioLoader`, or the steps after it do
        not reach a feature transformer through segmenters and augmenters
        only, nothing is streamed and the pipeline behaves as a plain one.
    chunk_size : int, default=32
        Files decoded and featurised at a time. Peak memory grows with it:
        a chunk of 30-s clips at 22,050 Hz holds about 2.6 MB of float32
        samples per clip, twice over once segmented.
    memory : str, object with the joblib.Memory interface or None, default=None
        Caches the fitting of the steps after the streamed ones, as in
        :class:`~sklearn.pipeline.Pipeline`; the streamed steps are never
        cached here (see :class:`~sklearn_audio.tuning.CachedTransformer`).
    verbose : bool, default=False
        Print the time each step after the streamed ones takes to fit. The
        loader's own ``verbose`` shows one progress bar per pass over the
        files.

    Attributes
    ----------
    n_streamed_ : int
        Number of leading steps that were streamed at fit (0: none).

    See Also
    --------
    sklearn.pipeline.Pipeline : The plain pipeline.
    sklearn_audio.tuning.CachedTransformer : Cache features across a search.

    Notes
    -----
    A :class:`~sklearn_audio.WaveformAugmenter` among the streamed steps
    augments each chunk on its own in :meth:`fit_transform` (and so in
    :meth:`fit`): its background mixing draws from the clips of the same
    chunk, and every chunk after the first draws from its own seed derived
    from ``random_state``. Augmented copies therefore differ from those the
    plain pipeline draws (the unaugmented segments, and everything at
    predict time, are identical). With a single chunk and an integer
    ``random_state`` they are the same.

    Examples
    --------
    >>> import numpy as np, os, soundfile, tempfile
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn_audio import AudioLoader, MFCCTransformer, RawSegmenter
    >>> from sklearn_audio._streaming import StreamingPipeline
    >>> folder = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> paths = []
    >>> for k, seconds in enumerate([1.0, 2.5, 0.5, 2.0, 1.5]):
    ...     paths.append(os.path.join(folder, f"{k}.wav"))
    ...     soundfile.write(paths[-1], rng.uniform(-0.5, 0.5, int(8000 * seconds)), 8000)
    >>> steps = [("load", AudioLoader(sr=8000)),
    ...          ("seg", RawSegmenter(segment_seconds=1.0, sr=8000)),
    ...          ("mfcc", MFCCTransformer(sr=8000, n_fft=512, hop_length=128))]
    >>> streamed = StreamingPipeline(steps, chunk_size=2).fit_transform(paths)
    >>> plain = Pipeline([(n, s) for n, s in steps]).fit_transform(paths)
    >>> streamed.shape, bool(np.array_equal(streamed, plain))
    ((5, 2, 63, 13), True)
    """

    def __init__(self, steps, *, chunk_size=32, memory=None, verbose=False):
        super().__init__(steps, memory=memory, verbose=verbose)
        self.chunk_size = chunk_size

    # -- which steps stream -------------------------------------------------
    def _n_streamable(self):
        """Number of leading steps that can stream (0 when the pipeline cannot)."""
        loader_type, middle_types, feature_type = _streamable_types()
        if not self.steps or not isinstance(self.steps[0][1], loader_type):
            return 0
        for k, (_, step) in enumerate(self.steps[1:], start=1):
            if _skipped(step) or isinstance(step, middle_types):
                continue
            return k + 1 if isinstance(step, feature_type) else 0
        return 0

    def _check_chunk_size(self):
        size = self.chunk_size
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {size!r}.")

    def _streamed(self, k):
        return [step for _, step in self.steps[1:k] if not _skipped(step)]

    def _chunks(self, paths, desc):
        """``(start, waveforms)`` per chunk, decoded by a quiet copy of the loader."""
        loader = self.steps[0][1]
        # The loader is stateless: a copy decodes the same; its own bar would restart per chunk.
        quiet = clone(loader).set_params(verbose=False) if "verbose" in loader.get_params() \
            else loader
        show = bool(loader.get_params().get("verbose", False))
        unreadable = []
        with tqdm(total=len(paths), desc=desc, unit="file", disable=not show) as bar:
            for start in range(0, len(paths), self.chunk_size):
                chunk = paths[start : start + self.chunk_size]
                waveforms = quiet.transform(chunk)
                unreadable += getattr(quiet, "unreadable_", [])
                yield start, waveforms
                del waveforms  # before the next chunk is decoded
                bar.update(len(chunk))
        if hasattr(quiet, "unreadable_"):
            # The record of the files just read, where the loader keeps it.
            loader.unreadable_ = unreadable

    # -- the streamed passes ------------------------------------------------
    def _fit_streamed(self, X, k, *, transform):
        """Fit the first ``k`` steps as on all of ``X``; their features if ``transform``."""
        paths = as_path_array(X)
        self._check_chunk_size()
        self.steps[0][1].fit(paths)
        steps = self._streamed(k)
        self.n_streamed_ = k
        layout = _one_pass_layout(steps)
        if transform and layout is not None:
            return self._fit_transform_one_pass(paths, steps, layout)
        longest, shapes = None, set()
        for _, waveforms in self._chunks(paths, "Reading audio lengths"):
            longest = _longest(waveforms, longest, shapes)
            del waveforms
        _fit_on_longest(steps, longest, shapes)
        del longest
        if transform:
            return self._transform_streamed(paths, k, training=True)
        return None

    def _fit_transform_one_pass(self, paths, steps, layout):
        """Fit and featurise in one pass over the files (see :func:`_one_pass_layout`).

        Each chunk is segmented with its own segment count (that of its
        longest clip, capped by ``max_segments``); the features of every
        chunk are then padded with all-zero padding segments to the count of
        the longest clip of all, which is what the plain pipeline computes:
        a clip's real segments are the same, and padding segments have
        all-zero features.
        """
        n_chunks = -(-len(paths) // self.chunk_size)
        segmenter = steps[0] if layout == "segments" else None
        augmenter = steps[1] if len(steps) == 3 else None
        extractor = steps[-1]
        seeds = self._augmenter_seeds(augmenter, n_chunks) if augmenter is not None else None
        parts, longest, shapes = [], None, set()
        chunk_index = -1
        for start, Xt in self._chunks(paths, "Extracting features"):
            chunk_index += 1
            longest = _longest(Xt, longest, shapes)
            if segmenter is not None:
                local = clone(segmenter).fit(Xt)
                Xt = local.transform(Xt)
                if augmenter is not None:
                    seed = seeds[chunk_index]
                    Xt = clone(augmenter).set_params(random_state=seed).fit_transform(Xt)
            if chunk_index == 0:
                # The fitted state it transforms with does not depend on the clips here.
                extractor.fit(Xt)
            parts.append((extractor.transform(Xt), 1 if segmenter is None else local.n_segments_))
            del Xt
        _fit_on_longest(steps, longest, shapes)
        del longest
        first = parts[0][0]
        if segmenter is None or first.ndim == 2:
            # Clip vectors (statistics): no segment axis to pad.
            return np.concatenate([part for part, _ in parts]) if len(parts) > 1 else first
        n_segments = segmenter.n_segments_
        blocks = 1 + augmenter.n_copies if augmenter is not None else 1
        out = np.zeros((len(paths), blocks * n_segments) + first.shape[2:], dtype=first.dtype)
        # Augmented copies sit in blocks of n_segments along the segment axis.
        blocked = out.reshape((len(paths), blocks, n_segments) + first.shape[2:])
        start = 0
        while parts:
            part, n_local = parts.pop(0)
            stop = start + len(part)
            blocked[start:stop, :, :n_local] = part.reshape(
                (len(part), blocks, n_local) + part.shape[2:]
            )
            start = stop
            del part
        return out

    def _augmenter_seeds(self, augmenter, n_chunks):
        """One ``random_state`` per chunk: the augmenter's own for the first chunk."""
        random_state = augmenter.random_state
        if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
            # Independent, reproducible streams per chunk; chunk 0 keeps the plain draws.
            return [random_state] + [
                int(np.random.SeedSequence([int(random_state), k]).generate_state(1)[0] >> 1)
                for k in range(1, n_chunks)
            ]
        rng = check_random_state(random_state)
        return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n_chunks)]

    def _transform_streamed(self, X, k, *, training=False):
        """Features of the first ``k`` (fitted) steps, computed chunk by chunk."""
        from .augment import WaveformAugmenter

        paths = as_path_array(X)
        self._check_chunk_size()
        n_chunks = -(-len(paths) // self.chunk_size)
        steps = self._streamed(k)
        seeds = {
            i: self._augmenter_seeds(step, n_chunks)
            for i, step in enumerate(steps)
            if training and isinstance(step, WaveformAugmenter)
        }
        out = None
        desc = "Extracting features"
        # No enumerate(): it keeps its last item, hence the last chunk's audio, alive
        # until it yields the next one, after that chunk is decoded.
        chunk_index = -1
        for start, Xt in self._chunks(paths, desc):
            chunk_index += 1
            for i, step in enumerate(steps):
                if i in seeds:
                    seed = seeds[i][chunk_index]
                    Xt = clone(step).set_params(random_state=seed).fit_transform(Xt)
                else:
                    Xt = step.transform(Xt)
            if out is None:
                # Every chunk has the fitted shape: allocate the features once.
                out = np.empty((len(paths),) + Xt.shape[1:], dtype=Xt.dtype)
            out[start : start + len(Xt)] = Xt
            del Xt
        if out is None:
            raise ValueError("Found 0 audio files; at least one is needed.")
        return out

    def _rest(self, k):
        """The steps after the streamed ones, as a plain pipeline sharing their estimators."""
        return Pipeline(self.steps[k:], memory=self.memory, verbose=self.verbose)

    # -- Pipeline API -------------------------------------------------------
    def fit(self, X, y=None, **params):
        """Fit the streamed steps on the files chunk by chunk, then the other steps.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        y : array-like of shape (n_clips,), default=None
            Targets, for the steps after the streamed ones.
        **params : dict of str -> object
            Fit parameters of the steps after the streamed ones
            (``clf__sample_weight``...), as for
            :class:`~sklearn.pipeline.Pipeline`.

        Returns
        -------
        self : StreamingPipeline
        """
        self.steps = list(self.steps)
        k = self._n_streamable()
        if not k:
            self.n_streamed_ = 0
            return super().fit(X, y, **params)
        Xt = self._fit_streamed(X, k, transform=k < len(self.steps))
        if k < len(self.steps):
            rest = self._rest(k).fit(Xt, y, **params)
            self.steps[k:] = rest.steps  # fitted clones when memory caches them
        return self

    @available_if(_can_fit_transform)
    def fit_transform(self, X, y=None, **params):
        """Fit, and return the output of the last step on ``X``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        y : array-like of shape (n_clips,), default=None
            Targets, for the steps after the streamed ones.
        **params : dict of str -> object
            Fit parameters of the steps after the streamed ones.

        Returns
        -------
        Xt : ndarray
            For a pipeline that ends with its feature transformer, the
            features, with the shape that transformer documents.
        """
        self.steps = list(self.steps)
        k = self._n_streamable()
        if not k:
            self.n_streamed_ = 0
            return super().fit_transform(X, y, **params)
        Xt = self._fit_streamed(X, k, transform=True)
        if k == len(self.steps):
            return Xt
        rest = self._rest(k)
        Xt = rest.fit_transform(Xt, y, **params)
        self.steps[k:] = rest.steps
        return Xt

    def _apply(self, method, X, *args, **params):
        check_is_fitted(self)  # a plain Pipeline's error for an unfitted final step
        k = self._n_streamable()
        if not k:
            return getattr(super(), method)(X, *args, **params)
        Xt = self._transform_streamed(X, k)
        if k == len(self.steps):
            return Xt
        return getattr(self._rest(k), method)(Xt, *args, **params)

    @available_if(_can_transform)
    def transform(self, X, **params):
        """Features of ``X``, streamed; then the other steps' ``transform``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        **params : dict of str -> object
            Passed on as :class:`~sklearn.pipeline.Pipeline` does.

        Returns
        -------
        Xt : ndarray
        """
        return self._apply("transform", X, **params)

    @available_if(_final_has("predict"))
    def predict(self, X, **params):
        """Predict with the last step on the streamed features of ``X``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        **params : dict of str -> object
            Passed to the last step's ``predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_clips,)
        """
        return self._apply("predict", X, **params)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities from the last step on the streamed features of ``X``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        **params : dict of str -> object
            Passed to the last step's ``predict_proba``.

        Returns
        -------
        y_proba : ndarray of shape (n_clips, n_classes)
        """
        return self._apply("predict_proba", X, **params)

    @available_if(_final_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        """Log class probabilities from the last step on the streamed features of ``X``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        **params : dict of str -> object
            Passed to the last step's ``predict_log_proba``.

        Returns
        -------
        y_log_proba : ndarray of shape (n_clips, n_classes)
        """
        return self._apply("predict_log_proba", X, **params)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X, **params):
        """Decision function of the last step on the streamed features of ``X``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        **params : dict of str -> object
            Passed to the last step's ``decision_function``.

        Returns
        -------
        y_score : ndarray
        """
        return self._apply("decision_function", X, **params)

    @available_if(_final_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        """Score of the last step on the streamed features of ``X``.

        Parameters
        ----------
        X : array-like of str or os.PathLike, shape (n_clips,)
            Paths of the audio files.
        y : array-like of shape (n_clips,), default=None
            True targets.
        sample_weight : array-like of shape (n_clips,), default=None
            Passed to the last step's ``score``.
        **params : dict of str -> object
            As for :class:`~sklearn.pipeline.Pipeline`.

        Returns
        -------
        score : float
        """
        return self._apply("score", X, y, sample_weight=sample_weight, **params)

    def __getitem__(self, ind):
        """A step, or a sub-pipeline (streaming, with the same ``chunk_size``) for a slice."""
        if isinstance(ind, slice):
            if ind.step not in (1, None):
                raise ValueError("Pipeline slicing only supports a step of 1")
            return type(self)(
                self.steps[ind], chunk_size=self.chunk_size, memory=self.memory,
                verbose=self.verbose,
            )
        return super().__getitem__(ind)
