"""Every private API of scikit-learn, scikeras and Keras that sklearn-audio uses, in one place.

Upstream may rename or remove a private name in any release. Keeping every
such use here means one file to mend, and ``tests/test_compat.py`` checks
each name still exists with the shape we rely on, so an upstream rename
fails one named test loudly instead of silently changing behaviour.
"""

from sklearn.utils import _safe_indexing

__all__ = ["safe_indexing"]


def safe_indexing(X, indices):
    """Rows ``indices`` of ``X`` (array, list, DataFrame), as scikit-learn's CV does.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio._compat import safe_indexing
    >>> safe_indexing(np.array([10, 20, 30]), [2, 0])
    array([30, 10])
    """
    return _safe_indexing(X, indices)
