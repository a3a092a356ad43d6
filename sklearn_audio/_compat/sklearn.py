"""scikit-learn private APIs used by sklearn-audio (see :mod:`sklearn_audio._compat`)."""

from functools import partial

from sklearn.base import BaseEstimator
from sklearn.metrics._scorer import _BaseScorer, _cached_call
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _check_feature_names_in, _check_method_params

__all__ = [
    "base_scorer",
    "constructor_param_names",
    "check_feature_names_in",
    "check_method_params",
    "safe_indexing",
    "scorer_response_cache",
]


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


def check_feature_names_in(estimator, input_features=None):
    """Validate ``input_features`` of ``get_feature_names_out`` as scikit-learn does.

    ``input_features`` must equal ``estimator.feature_names_in_`` when that
    is set, and have ``estimator.n_features_in_`` entries when that is set;
    otherwise a ValueError is raised. scikit-learn has no public function for
    this check (its own transformers call the private one).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_audio._compat.sklearn import check_feature_names_in
    >>> scaler = StandardScaler().fit(np.ones((2, 3)))
    >>> check_feature_names_in(scaler, ["a", "b", "c"]).tolist()
    ['a', 'b', 'c']
    >>> check_feature_names_in(scaler, ["a", "b"])
    Traceback (most recent call last):
    ...
    ValueError: input_features should have length equal to number of features (3), got 2
    """
    return _check_feature_names_in(estimator, input_features)


def check_method_params(X, params, indices):
    """The rows ``indices`` of every sample-aligned entry of ``params``, others as given.

    What scikit-learn's cross-validation does to fit and score parameters
    (``sample_weight`` and other metadata) for one fold: an array-like with
    one entry per sample of ``X`` is indexed, anything else passed through.
    scikit-learn has no public function for it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio._compat.sklearn import check_method_params
    >>> X = np.zeros((4, 2))
    >>> params = {"sample_weight": np.array([1.0, 2.0, 3.0, 4.0]), "verbose": 1}
    >>> folded = check_method_params(X, params, indices=[3, 0])
    >>> folded["sample_weight"].tolist(), folded["verbose"]
    ([4.0, 1.0], 1)
    """
    return _check_method_params(X, params=params, indices=indices)


def base_scorer():
    """scikit-learn's ``_BaseScorer`` class, the base of the scorers it caches.

    ``GridSearchCV``, ``cross_validate`` and ``check_scoring`` score a dict of
    scorers through ``_MultimetricScorer``, which shares one response cache
    among the scorers of one test fold, but only with subclasses of this
    class (it calls their ``_score(method_caller, estimator, X, y_true,
    **kwargs)``; plain callables get no cache). The class also provides
    ``set_score_request`` and the metadata routing of ``sample_weight``.
    scikit-learn has no public base class for scorers.

    Examples
    --------
    >>> from sklearn.metrics import make_scorer, accuracy_score
    >>> from sklearn_audio._compat.sklearn import base_scorer
    >>> isinstance(make_scorer(accuracy_score), base_scorer())
    True
    """
    return _BaseScorer


def scorer_response_cache(method_caller):
    """The response cache that ``method_caller`` reads and fills, or None.

    ``_MultimetricScorer`` passes each scorer's ``_score`` a
    ``functools.partial(_cached_call, cache)`` where ``cache`` is a dict that
    lives for one test fold (None when it judges no response is shared).
    Reading the dict lets a scorer cache a response that ``_cached_call``
    would store altered: on binary problems it keeps one column of
    ``predict_proba``. Returns None for any other ``method_caller``, so the
    caller then computes its response itself.

    Examples
    --------
    >>> from functools import partial
    >>> from sklearn.metrics._scorer import _cached_call
    >>> from sklearn_audio._compat.sklearn import scorer_response_cache
    >>> scorer_response_cache(partial(_cached_call, {"predict": [0, 1]}))
    {'predict': [0, 1]}
    >>> scorer_response_cache(partial(_cached_call, None)) is None
    True
    """
    if isinstance(method_caller, partial) and method_caller.func is _cached_call:
        cache = method_caller.args[0] if method_caller.args else None
        return cache if isinstance(cache, dict) else None
    return None


def constructor_param_names(cls):
    """The names of ``cls.__init__``'s parameters, as ``BaseEstimator._get_param_names``.

    scikeras's wrapper lists parameters from ``__dict__`` instead; the
    classifiers declare theirs in ``__init__`` and take scikit-learn's rule.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_audio._compat.sklearn import constructor_param_names
    >>> "alpha" in constructor_param_names(Ridge)
    True
    """
    return BaseEstimator._get_param_names.__func__(cls)
