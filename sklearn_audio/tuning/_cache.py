"""``CachedTransformer``: features computed once per fold, whatever the number of candidates."""

from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_memory

__all__ = ["CachedTransformer"]


# Module-level functions: joblib.Memory keys its cache on the function and its arguments.
def _fit(transformer, X, y, params):
    return transformer.fit(X, y, **params)


def _fit_transform(transformer, X, y, params):
    return transformer.fit_transform(X, y, **params), transformer


def _transform(transformer, X):
    return transformer.transform(X)


def _inner_has(method):
    def check(self):
        return hasattr(self.transformer, method)

    return check


class CachedTransformer(TransformerMixin, BaseEstimator):
    """Cache a transformer's fit *and* transform outputs on disk, across candidates.

    ``Pipeline(memory=...)`` caches only the fitting of its transformers, so
    in a search the test fold's features are still computed again for every
    candidate, and twice (``predict`` and ``predict_proba`` both transform,
    for the label and the probability metrics). This wrapper caches
    ``fit``, ``fit_transform`` and ``transform`` with :class:`joblib.Memory`,
    keyed on the transformer's parameters (and, for ``transform``, its
    fitted state) and on the input: every candidate after the first reads
    each fold's features from the cache.

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

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone of ``transformer``.

    See Also
    --------
    sklearn.pipeline.Pipeline : Its ``memory`` caches fitting only.

    Notes
    -----
    Paths are hashed, not the files' contents: clear the cache
    (``joblib.Memory(folder).clear()``) after changing audio files in
    place. The transformer must hash the same way each time it is fitted
    identically (joblib hashes its pickled state); ours do.

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

    def __init__(self, transformer, memory=None):
        self.transformer = transformer
        self.memory = memory

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
        fit = check_memory(self.memory).cache(_fit)
        self.transformer_ = fit(clone(self.transformer), X, y, fit_params)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and transform, or load both from the cache.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,), default=None
        **fit_params : dict
            Passed to ``transformer.fit_transform``.

        Returns
        -------
        Xt : ndarray
        """
        fit_transform = check_memory(self.memory).cache(_fit_transform)
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
        return check_memory(self.memory).cache(_transform)(self.transformer_, X)

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
