"""``MusicnnTransformer``: musicnn embeddings and tags as a scikit-learn transformer."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._compat.sklearn import check_feature_names_in
from .._validation import (
    as_path_array,
    check_n_jobs,
    read_audio_input,
    set_input_features,
    thread_map,
)
from . import _network
from ._tags import tags_of

__all__ = ["MusicnnTransformer", "format_tags", "tag_files", "top_tags"]

# Clips decoded and embedded per chunk: bounds the raw audio and patches held at once.
_CHUNK = 16
_MUSICNN_OUTPUTS = ("mean_pool", "max_pool", "pooled", "penultimate", "taggram")
_VGG_OUTPUTS = ("pool5", "taggram")


def _layers(output):
    """The network layers an output concatenates, in order."""
    return ("mean_pool", "max_pool") if output == "pooled" else (output,)


class MusicnnTransformer(TransformerMixin, BaseEstimator):
    """Pretrained musicnn embeddings or tag probabilities, one row per clip.

    A port to Keras 3 of the musicnn music-tagging networks (Pons & Serra,
    ISMIR 2019), with their original weights shipped in the package (no
    download). Audio is resampled to 16 kHz, turned into musicnn's log-mel
    spectrogram (96 bands, 16 ms hop), cut into 3-s patches (the last
    partial patch dropped; a clip shorter than 3 s repeated to fill one),
    and each patch goes through the network; a clip's row is the mean of
    its patches' outputs. Patches of many clips are batched together.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg"}, default="MSD_musicnn"
        The network and the data it was trained on: the Million Song
        Dataset (MSD, 200k songs, Last.fm tags) or MagnaTagATune (MTT,
        25k clips); ``musicnn`` (musically motivated filters, 790k
        parameters) or ``vgg`` (a 5-layer VGG-like CNN, 610k parameters).
    output : {"auto", "mean_pool", "max_pool", "pooled", "penultimate", \
"taggram", "pool5"}, default="auto"
        The layer returned. musicnn models: ``"mean_pool"`` (753 values:
        the mean over time of the front- and mid-end features),
        ``"max_pool"`` (753, their maximum over time), ``"pooled"`` (1506,
        mean then max), ``"penultimate"`` (200, the dense layer before the
        tags) or ``"taggram"`` (the 50 tag probabilities). vgg models:
        ``"pool5"`` (256, the last convolutional block) or ``"taggram"``.
        ``"auto"`` is ``"mean_pool"`` for musicnn and ``"pool5"`` for vgg:
        pooled layers transfer better to new tasks than the penultimate
        layer, which is specialised to the training tags.
    per_segment : bool, default=False
        Return one row per segment instead of per clip: for segments input
        ``(n, segments, samples)``, each segment's mean over its patches;
        for paths and waveforms, each 3-s patch, padded with all-zero rows
        (or truncated) to ``n_segments_`` fixed at :meth:`fit`.
    sr : int, default=16000
        Sampling rate of waveform and segment input; it is resampled to
        16 kHz (soxr, as :func:`~sklearn_audio.load_audio`). Paths are
        decoded straight to 16 kHz whatever ``sr``.
    batch_size : int, default=8
        Patches (3 s each) per network call, across clips. Peak memory
        grows by about 50 MB per patch of the batch (musicnn's wide
        front-end activations); on CPUs the speed hardly depends on it
        (100-110 s of audio per second for 1 to 16 on 2 cores), on GPUs
        larger batches pay.
    n_jobs : int or None, default=None
        Threads for decoding, resampling and spectrograms; ``None`` means
        1 unless in a :func:`joblib.parallel_config` context. The network
        itself uses TensorFlow's own thread pool.

    Attributes
    ----------
    output_ : str
        The layer returned (``output`` with ``"auto"`` resolved).
    tags_ : ndarray of str, shape (50,)
        The tag names of the model, in the order of its ``"taggram"``.
    n_outputs_ : int
        Values per row (753, 1506, 200, 256 or 50).
    n_segments_ : int or None
        Rows per clip with ``per_segment=True``: the segment count of
        segment input, or the most 3-s patches of any training clip;
        ``None`` with ``per_segment=False``.
    n_features_in_ : int
        Samples per clip, only when fit on a 2-D waveform array.
    feature_names_in_ : ndarray of str
        Column names, only when fit on a DataFrame with string column names.

    See Also
    --------
    tag_files : Top tags of audio files, for the ``tags`` command.
    sklearn_audio.MFCCTransformer : Hand-crafted features, the from-scratch route.

    Notes
    -----
    The network is built on the first :meth:`transform` (TensorFlow is
    imported then) and cached for the whole process, never stored on the
    transformer: pickles, clones and saved models hold only parameters.
    Outputs equal the original ``musicnn`` package's within 1e-4 (relative
    1e-5 for values above 10), with two departures where the original
    fails: the spectrogram is float32 (the original's float16 overflows to
    ``inf`` on loud audio) and clips shorter than 3 s are repeated to one
    patch (the original raises). Weights: ``musicnn`` 0.1.0, ISC license,
    (c) Jordi Pons; cite Pons & Serra, "musicnn: pre-trained convolutional
    neural networks for music audio tagging", ISMIR 2019 LBD.

    Examples
    --------
    >>> from sklearn_audio.pretrained import MusicnnTransformer
    >>> musicnn = MusicnnTransformer(model="MTT_musicnn").fit(["song.wav"])
    >>> musicnn.output_, musicnn.n_outputs_
    ('mean_pool', 753)
    >>> musicnn.tags_[:4].tolist()
    ['guitar', 'classical', 'slow', 'techno']
    >>> MusicnnTransformer(output="pooled").fit(["song.wav"]).get_feature_names_out()[[0, 753]]
    array(['mean_pool0', 'max_pool0'], dtype=object)
    """

    def __init__(
        self,
        model="MSD_musicnn",
        output="auto",
        per_segment=False,
        sr=16000,
        batch_size=8,
        n_jobs=None,
    ):
        self.model = model
        self.output = output
        self.per_segment = per_segment
        self.sr = sr
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    # -- parameters ---------------------------------------------------------
    def _check_params(self):
        if self.model not in _network.MODELS:
            raise ValueError(f"model must be one of {_network.MODELS}, got {self.model!r}.")
        allowed = _VGG_OUTPUTS if self.model.endswith("_vgg") else _MUSICNN_OUTPUTS
        if self.output != "auto" and self.output not in allowed:
            raise ValueError(
                f"output must be 'auto' or one of {allowed} for model={self.model!r}, "
                f"got {self.output!r}."
            )
        if not isinstance(self.per_segment, (bool, np.bool_)):
            raise ValueError(f"per_segment must be True or False, got {self.per_segment!r}.")
        for name in ("sr", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        check_n_jobs(self.n_jobs)
        if self.output == "auto":
            return "pool5" if self.model.endswith("_vgg") else "mean_pool"
        return self.output

    # -- input forms --------------------------------------------------------
    def _n_patches(self, kind, data):
        """The most 3-s patches of any clip (paths are not decoded, only measured)."""
        if kind == "paths":
            from ..io import audio_duration

            lengths = [audio_duration(path) * _network.SR for path in data]
        else:
            lengths = [len(clip) * _network.SR / self.sr for clip in data]
        return max(_network.n_patches_for_length(round(n)) for n in lengths)

    # -- fit / transform ----------------------------------------------------
    def fit(self, X, y=None):
        """Check the parameters and fix the output size; nothing is learned.

        Parameters
        ----------
        X : array-like
            Waveforms ``(n, samples)`` at ``sr``, segments ``(n, segments,
            samples)``, a ragged 1-D object array of waveforms, or a 1-D
            array of paths. Only read with ``per_segment=True``, to fix
            ``n_segments_`` (paths are measured, not decoded).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        output = self._check_params()
        kind, data = read_audio_input(X)
        self.output_ = output
        self.tags_ = np.array(tags_of(self.model), dtype=str)
        layers = _network.layers_of(self.model)
        self.n_outputs_ = sum(layers[name] for name in _layers(output))
        if not self.per_segment:
            self.n_segments_ = None
        elif kind == "segments":
            self.n_segments_ = int(data.shape[1])
        else:
            self.n_segments_ = int(self._n_patches(kind, data))
        set_input_features(self, X)
        return self

    def transform(self, X):
        """Embed each clip (or segment).

        Parameters
        ----------
        X : array-like
            Waveforms ``(n, samples)`` at ``sr``, segments ``(n, segments,
            samples)``, a ragged 1-D object array of waveforms, or a 1-D
            array of paths (decoded in chunks of 16 files, so the audio of
            the whole set is never in memory at once).

        Returns
        -------
        embeddings : ndarray of float32
            ``(n, n_outputs_)``: each clip's mean over its patches (and its
            real segments; all zeros for a clip of padding segments only).
            With ``per_segment=True``, ``(n, segments, n_outputs_)`` for
            segment input, ``(n, n_segments_, n_outputs_)`` otherwise;
            padding rows are all zeros.
        """
        check_is_fitted(self, "output_")
        return self._transform(X, self.output_, self.per_segment)

    def _transform(self, X, output, per_segment):
        kind, data = read_audio_input(X)
        network = _network.get_network(self.model)
        layers = _layers(output)
        if kind == "segments":
            return self._transform_segments(network, layers, data, per_segment)
        n_rows = self.n_segments_ if per_segment else None
        out = None
        for start in range(0, len(data), _CHUNK):
            chunk = data[start : start + _CHUNK]
            per_clip = self._patch_outputs(network, layers, chunk, kind == "paths")
            part = np.stack([_aggregate(p, n_rows) for p in per_clip])
            if out is None:
                # Filled chunk by chunk: one chunk's audio and patches exist at once.
                out = np.empty((len(data),) + part.shape[1:], dtype=np.float32)
            out[start : start + len(chunk)] = part
        return out

    def _transform_segments(self, network, layers, segments, per_segment):
        n_clips, n_segments, _ = segments.shape
        real = np.any(segments != 0, axis=2)
        flat = segments.reshape(n_clips * n_segments, -1)
        rows = np.flatnonzero(real.ravel())
        # Padding segments are never embedded: their rows stay zero and out of the means.
        sums = np.zeros((n_clips * n_segments, self.n_outputs_), dtype=np.float64)
        counts = np.zeros(n_clips * n_segments, dtype=np.int64)
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            per_segment_patches = self._patch_outputs(network, layers, list(flat[chunk]), False)
            for row, patch_outputs in zip(chunk, per_segment_patches):
                sums[row] = patch_outputs.sum(axis=0)
                counts[row] = len(patch_outputs)
        sums = sums.reshape(n_clips, n_segments, -1)
        counts = counts.reshape(n_clips, n_segments, 1)
        if per_segment:
            out = sums / np.maximum(counts, 1)
        else:
            out = sums.sum(axis=1) / np.maximum(counts.sum(axis=1), 1)
        return out.astype(np.float32)

    def _spectrogram_patches(self, item, is_path):
        if is_path:
            from ..io import load_audio

            waveform = load_audio(item, sr=_network.SR)
        elif self.sr != _network.SR:
            import soxr

            waveform = soxr.resample(item, self.sr, _network.SR, quality="HQ")
        else:
            waveform = item
        return _network.patches(_network.log_mel(waveform))

    def _patch_outputs(self, network, layers, items, is_path):
        """Per item, ``(n_patches, n_outputs_)``: the chosen layers of each of its patches."""
        # The per-clip products are small: BLAS threads would only add wake-up latency.
        with threadpool_limits(limits=1, user_api="blas"):
            specs = thread_map(self.n_jobs, lambda item: self._spectrogram_patches(item, is_path), items)
        counts = [len(s) for s in specs]
        stacked = np.concatenate(specs)
        out = np.empty((len(stacked), self.n_outputs_), dtype=np.float32)
        for start in range(0, len(stacked), self.batch_size):
            result = network(stacked[start : start + self.batch_size])
            out[start : start + self.batch_size] = np.concatenate(
                [result[name] for name in layers], axis=1
            )
        return np.split(out, np.cumsum(counts)[:-1])

    # -- tags ---------------------------------------------------------------
    def predict_tags(self, X, top_n=5):
        """The most probable tags of each clip, whatever ``output``.

        Parameters
        ----------
        X : array-like
            As in :meth:`transform`.
        top_n : int, default=5
            Tags per clip; at most 50.

        Returns
        -------
        tags : list of list of (str, float)
            Per clip, ``(tag, probability)`` pairs, most probable first;
            the probability is the mean of the clip's 3-s patches'
            (each tag is an independent sigmoid: they do not sum to 1).
        """
        check_is_fitted(self, "output_")
        return top_tags(self._transform(X, "taggram", False), self.tags_, top_n)

    # -- feature names --------------------------------------------------------
    def _per_clip(self):
        return not self.per_segment

    @available_if(_per_clip)
    def get_feature_names_out(self, input_features=None):
        """Names of the output columns (only with ``per_segment=False``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_`` / ``n_features_in_``
            as scikit-learn checks it; the names do not depend on it.

        Returns
        -------
        names : ndarray of str of shape ``(n_outputs_,)``
            ``"<layer><k>"`` (e.g. ``"mean_pool0"``), or ``"tag_<name>"``
            for the taggram.
        """
        check_is_fitted(self, "output_")
        if input_features is not None or hasattr(self, "n_features_in_"):
            # Fit on paths, ragged clips or segments, there is nothing to check against.
            check_feature_names_in(self, input_features)
        if self.output_ == "taggram":
            return np.array([f"tag_{name}" for name in self.tags_], dtype=object)
        widths = _network.layers_of(self.model)
        names = [f"{layer}{k}" for layer in _layers(self.output_) for k in range(widths[layer])]
        return np.array(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _aggregate(patch_outputs, n_rows):
    """One clip's patches: their mean, or ``n_rows`` rows (zero-padded or truncated)."""
    if n_rows is None:
        return patch_outputs.mean(axis=0, dtype=np.float64).astype(np.float32)
    out = np.zeros((n_rows, patch_outputs.shape[1]), dtype=np.float32)
    n = min(n_rows, len(patch_outputs))
    out[:n] = patch_outputs[:n]
    return out


def top_tags(probabilities, tags, top_n=5):
    """The ``top_n`` most probable tags of each row of a taggram.

    Parameters
    ----------
    probabilities : array-like of shape (n, n_tags)
        Tag probabilities, e.g. ``MusicnnTransformer(output="taggram")``'s.
    tags : sequence of str, length n_tags
        Their names, e.g. ``MusicnnTransformer.tags_``.
    top_n : int, default=5
        Tags kept per row, at most ``n_tags``.

    Returns
    -------
    rows : list of list of (str, float)
        Per row, ``(tag, probability)`` pairs, most probable first (ties
        in tag order).

    Examples
    --------
    >>> from sklearn_audio.pretrained import top_tags
    >>> top_tags([[0.1, 0.7, 0.4]], ["rock", "jazz", "pop"], top_n=2)
    [[('jazz', 0.7), ('pop', 0.4)]]
    """
    probabilities = check_array(probabilities, dtype=np.float64)
    if probabilities.shape[1] != len(tags):
        raise ValueError(
            f"Got {probabilities.shape[1]} probabilities per row for {len(tags)} tag names."
        )
    if not isinstance(top_n, numbers.Integral) or isinstance(top_n, bool) or not (
        1 <= top_n <= len(tags)
    ):
        raise ValueError(f"top_n must be an integer in [1, {len(tags)}], got {top_n!r}.")
    rows = []
    for row in probabilities:
        order = np.argsort(-row, kind="stable")[:top_n]
        rows.append([(str(tags[k]), float(row[k])) for k in order])
    return rows


def tag_files(paths, model="MSD_musicnn", top_n=5, *, batch_size=8, n_jobs=None):
    """Top tags of audio files: what ``sklearn-audio tags FILE...`` prints.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files (any format :func:`~sklearn_audio.load_audio` reads).
    model : str, default="MSD_musicnn"
        One of :class:`MusicnnTransformer`'s models; ``"MTT_..."`` models
        have MagnaTagATune tags (instruments, moods, vocals), ``"MSD_..."``
        ones Last.fm tags (genres, decades, moods).
    top_n : int, default=5
        Tags per file.
    batch_size, n_jobs :
        As in :class:`MusicnnTransformer`.

    Returns
    -------
    rows : list of (str, list of (str, float))
        Per file, in order: its path and its ``(tag, probability)`` pairs,
        most probable first. Format them with :func:`format_tags`.

    Raises
    ------
    FileNotFoundError, sklearn_audio.AudioFileError
        For a missing or undecodable file (the message names it).

    Examples
    --------
    >>> from sklearn_audio.pretrained import format_tags, tag_files
    >>> rows = tag_files(["song.mp3"], top_n=3)                # doctest: +SKIP
    >>> print("\\n".join(format_tags(rows)))                    # doctest: +SKIP
    song.mp3: rock 0.62, alternative 0.31, indie 0.28
    """
    paths = as_path_array(paths)
    transformer = MusicnnTransformer(model=model, output="taggram", batch_size=batch_size,
                                     n_jobs=n_jobs).fit(paths)  # fmt: skip
    return list(zip(paths, transformer.predict_tags(paths, top_n=top_n)))


def format_tags(rows, digits=2):
    """Lines of text for the rows of :func:`tag_files`, one per file.

    Parameters
    ----------
    rows : iterable of (str, list of (str, float))
        As :func:`tag_files` returns.
    digits : int, default=2
        Decimals of the probabilities.

    Returns
    -------
    lines : list of str
        ``"<path>: <tag> <probability>, ..."`` per file.

    Examples
    --------
    >>> from sklearn_audio.pretrained import format_tags
    >>> rows = [("song.wav", [("rock", 0.8123), ("indie", 0.4)])]
    >>> print("\\n".join(format_tags(rows)))
    song.wav: rock 0.81, indie 0.40
    """
    return [
        f"{path}: " + ", ".join(f"{tag} {p:.{digits}f}" for tag, p in pairs)
        for path, pairs in rows
    ]
