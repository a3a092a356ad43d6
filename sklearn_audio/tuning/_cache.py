"""``CachedTransformer``: each file's features computed once for a whole search."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_memory

from ._row_store import RowStore

__all__ = ["CachedTransformer"]


# Module-level functions: joblib.Memory keys its cache on the function and its arguments.
def _fit(transformer, X, y, params):
    return transformer.fit(X, y, **params)


def _fit_transform(transformer, X, y, params):
    return transformer.fit_transform(X, y, **params), transformer


def _transform(transformer, X, rows=None):
    # ``rows`` (a RowStore, or None) is left out of the cache key.
    if rows is None:
        return transformer.transform(X)
    return rows.transform(transformer, X)


def _inner_has(method):
    def check(self):
        return hasattr(self.transformer, method)

    return check


def _augments_at_fit(transformer):
    """Whether ``transformer`` is or holds (at any depth of its parameters) a WaveformAugmenter."""
    from ..augment import WaveformAugmenter

    if isinstance(transformer, WaveformAugmenter):
        return True
    if not hasattr(transformer, "get_params"):
        return False
    return any(
        isinstance(value, WaveformAugmenter)
        for value in transformer.get_params(deep=True).values()
    )


class CachedTransformer(TransformerMixin, BaseEstimator):
    """Cache a transformer's fit *and* transform outputs on disk, across candidates and folds.

    ``Pipeline(memory=...)`` caches only the fitting of its transformers, so
    in a search the test fold's features are still computed again for every
    candidate, and several times (``predict`` and ``predict_proba`` both
    transform, for the label and the probability metrics). This wrapper
    caches ``fit``, ``fit_transform`` and ``transform`` with
    :class:`joblib.Memory`, keyed on the transformer's parameters (and, for
    ``transform``, its fitted state) and on the input: every candidate
    after the first reads each fold's features from the cache.

    With ``per_sample=True`` (the default) outputs are also stored row by
    row, keyed on the fitted transformer and on each input row (a path, or
    an array's bytes). A file appears in several folds of a search (in
    k - 1 training folds, one test fold and the refit); every fold whose
    transformer is fitted to the same state reads the rows the earlier
    folds computed, so each file is extracted once for the whole search.
    Our feature chains fit to the same state on any clips (an
    ``AudioLoader``, ``output="stats"`` features, a fixed ``n_frames``);
    ``output="frames"`` with ``n_frames=None`` fits the frame count, and
    ``RawSegmenter`` the segment count, to the longest training clip, which
    can differ between folds (each fold's features are then computed once
    per fold, as without rows).

    Wrap the whole feature chain, so the key is the list of file paths
    (cheap to hash) rather than the waveforms.

    Parameters
    ----------
    transformer : transformer
        What to cache, e.g. a ``Pipeline`` of
        :class:`~sklearn_audio.AudioLoader` and
        :class:`~sklearn_audio.MFCCTransformer`. Its parameters are
        ``transformer__<name>``.
    memory : str, joblib.Memory or None, default=None
        Cache folder or ``Memory``; ``None`` caches nothing.
    per_sample : bool, default=True
        Also keep outputs row by row, shared by every input that holds the
        row. Requires a row-wise ``transform`` (each output row depends
        only on its input row and the fitted state), as feature extraction
        is; set ``False`` for a transformer that mixes rows. ``fit_transform``
        is then ``fit`` followed by ``transform``. Rows are stored only when
        the output is a numeric ndarray; they take as much disk again as
        the whole-input cache.

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone of ``transformer``.
    n_features_in_ : int
        The fitted transformer's, when it records one.
    feature_names_in_ : ndarray of str
        The fitted transformer's, when it records them.

    See Also
    --------
    sklearn.pipeline.Pipeline : Its ``memory`` caches fitting only.

    Notes
    -----
    Paths are hashed, not the files' contents: clear the cache
    (``joblib.Memory(folder).clear()``, which removes the rows too) after
    changing audio files in place. The transformer must hash the same way
    each time it is fitted identically (joblib hashes its pickled state);
    ours do. Rows are written atomically, so parallel workers
    (``n_jobs``, or machines sharing the folder) can share one cache.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_audio.tuning import CachedTransformer
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     cached = CachedTransformer(StandardScaler(), memory=cache)
    ...     first = cached.fit_transform(X)      # computed, then stored
    ...     again = cached.fit_transform(X)      # read from the cache
    >>> again[:, 0]
    array([-1.22474487,  0.        ,  1.22474487])
    >>> cached.get_params()["transformer__with_mean"]
    True
    """

    def __init__(self, transformer, memory=None, per_sample=True):
        self.transformer = transformer
        self.memory = memory
        self.per_sample = per_sample

    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``transformer``, or load it from the cache.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,), default=None
        **fit_params : dict
            Passed to ``transformer.fit``.

        Returns
        -------
        self : CachedTransformer
        """
        fit = self._memory().cache(_fit)
        self.transformer_ = fit(clone(self.transformer), X, y, fit_params)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and transform, or load both from the cache.

        With ``per_sample=True`` this is :meth:`fit` then :meth:`transform`,
        so that the rows are shared; otherwise ``transformer.fit_transform``
        is cached as one call. A transformer holding a
        :class:`~sklearn_audio.WaveformAugmenter` is never cached here: its
        ``fit_transform`` is what adds the augmented copies, fresh at every
        fit; cache the steps before it instead.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,), default=None
        **fit_params : dict
            Passed to ``transformer.fit`` (``per_sample=True``) or
            ``transformer.fit_transform``.

        Returns
        -------
        Xt : ndarray
        """
        if _augments_at_fit(self.transformer):
            # Its fit_transform adds fresh augmented copies: neither fit then
            # transform (which augments nothing) nor a stored earlier draw.
            self.transformer_ = clone(self.transformer)
            return self.transformer_.fit_transform(X, y, **fit_params)
        memory = self._memory()
        if self._row_store(memory, X) is not None:
            # Fitting is cheap for feature chains; the rows are what is shared.
            return self.fit(X, y, **fit_params).transform(X)
        fit_transform = memory.cache(_fit_transform)
        Xt, self.transformer_ = fit_transform(clone(self.transformer), X, y, fit_params)
        return Xt

    def transform(self, X):
        """Transform with the fitted transformer, or load the result from the cache.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        Xt : ndarray
        """
        check_is_fitted(self, "transformer_")
        memory = self._memory()
        transform = memory.cache(_transform, ignore=["rows"])
        return transform(self.transformer_, X, rows=self._row_store(memory, X))

    def _memory(self):
        if not isinstance(self.per_sample, (bool, np.bool_)):
            raise ValueError(f"per_sample must be True or False, got {self.per_sample!r}.")
        return check_memory(self.memory)

    def _row_store(self, memory, X):
        """The per-sample store, or None when rows are not kept for ``X``."""
        location = getattr(memory, "location", None)
        if not self.per_sample or location is None or not RowStore.accepts(X):
            return None
        return RowStore(location)

    @property
    def n_features_in_(self):
        """Number of features seen by the fitted transformer (when it records it)."""
        return self.transformer_.n_features_in_

    @property
    def feature_names_in_(self):
        """Feature names seen by the fitted transformer (when it records them)."""
        return self.transformer_.feature_names_in_

    @available_if(_inner_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features=None):
        """Feature names of the fitted transformer.

        Parameters
        ----------
        input_features : array-like of str, default=None

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "transformer_")
        return self.transformer_.get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.transformer)
        tags.input_tags = inner.input_tags
        tags.transformer_tags = inner.transformer_tags
        return tags
