"""scikit-learn private APIs used by sklearn-audio (see :mod:`sklearn_audio._compat`)."""

from sklearn.utils import _safe_indexing

__all__ = ["safe_indexing"]


def safe_indexing(X, indices):
    """Rows ``indices`` of ``X`` (array, list, DataFrame), as scikit-learn's CV does.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio._compat.sklearn import safe_indexing
    >>> safe_indexing(np.array([10, 20, 30]), [2, 0])
    array([30, 10])
    """
    return _safe_indexing(X, indices)
