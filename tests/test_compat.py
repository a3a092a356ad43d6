"""The upstream private APIs behind sklearn_audio._compat still behave as relied upon.

Each test names the upstream object it checks, so that a rename or a change
of behaviour in a new release fails here, loudly, rather than silently
changing results elsewhere.
"""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import check_scoring

from sklearn_audio._compat.sklearn import base_scorer, scorer_response_cache

# -- scikit-learn: sklearn.metrics._scorer._BaseScorer and its response cache ------------


def _score_func(y_true, y_pred, sample_weight=None):
    return 0.0 if sample_weight is None else float(np.sum(sample_weight))


class _Probe(base_scorer()):
    """Records the cache and metadata each ``_score`` call receives."""

    def __init__(self, seen):
        # The constructor signature the SCORING scorers use.
        super().__init__(_score_func, 1, {}, response_method=("predict_proba", "predict"))
        self.seen = seen

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        cache = scorer_response_cache(method_caller)
        self.seen.append((cache, kwargs))
        if cache is not None:
            cache.setdefault("probe", []).append(len(self.seen))
        return self._sign * self._score_func(y_true, None, **{**self._kwargs, **kwargs})


@pytest.fixture
def data():
    X = np.arange(12.0).reshape(6, 2)
    return X, np.array(["a", "b"] * 3)


@pytest.mark.parametrize("model", [LogisticRegression, RidgeClassifier])
def test_multimetric_scorer_shares_one_cache_dict_with_base_scorers(data, model):
    # _MultimetricScorer calls _score(partial(_cached_call, cache), ...) on _BaseScorer
    # subclasses, one dict for all of a dict's scorers; the first method of a
    # _response_method tuple that the estimator has decides that a cache is worth it
    # (RidgeClassifier has no predict_proba: "predict" is used, without an error).
    X, y = data
    clf = model().fit(X, y)
    seen = []
    check_scoring(clf, {"one": _Probe(seen), "two": _Probe(seen)})(clf, X, y)
    (first, _), (second, _) = seen
    assert isinstance(first, dict) and first is second
    assert first["probe"] == [1, 2]


def test_direct_call_of_base_scorer_has_no_cache(data):
    X, y = data
    clf = LogisticRegression().fit(X, y)
    seen = []
    assert _Probe(seen)(clf, X, y) == 0.0
    assert seen == [(None, {})]


def test_base_scorer_routes_sample_weight(data):
    X, y = data
    clf = LogisticRegression().fit(X, y)
    w = np.arange(1.0, 7.0)
    # Without routing, sample_weight goes to scorers whose function accepts it.
    scores = check_scoring(clf, {"one": _Probe([]), "two": _Probe([])})(
        clf, X, y, sample_weight=w
    )
    assert scores == {"one": 21.0, "two": 21.0}
    # With routing, once requested through set_score_request.
    with config_context(enable_metadata_routing=True):
        one = _Probe([]).set_score_request(sample_weight=True)
        two = _Probe([]).set_score_request(sample_weight=False)
        scores = check_scoring(clf, {"one": one, "two": two})(
            clf, X, y, sample_weight=w
        )
    assert scores == {"one": 21.0, "two": 0.0}


def test_base_scorer_attributes_and_overlap_warning():
    probe = _Probe([])
    assert (probe._score_func, probe._sign, probe._kwargs) == (_score_func, 1, {})
    assert probe._response_method == ("predict_proba", "predict")
    probe._kwargs = {"sample_weight": None}
    with pytest.warns(UserWarning, match="Overlapping parameters"):
        probe._warn_overlap("overlap", {"sample_weight": 1})


# -- scikit-learn: indexing, fit-parameter slicing and feature names -------------------------


def test_sklearn_indexing_and_fit_params_helpers_still_work():
    import numpy as np

    from sklearn_audio._compat.sklearn import check_method_params, safe_indexing

    X = np.arange(5) * 10
    assert safe_indexing(X, [4, 0]).tolist() == [40, 0]
    params = check_method_params(X, {"sample_weight": np.arange(5.0), "flag": 1}, [1, 2])
    assert params["sample_weight"].tolist() == [1.0, 2.0] and params["flag"] == 1


def test_sklearn_feature_names_check_still_rejects_other_names():
    import numpy as np
    import pytest
    from sklearn.preprocessing import StandardScaler

    from sklearn_audio._compat.sklearn import check_feature_names_in

    est = StandardScaler().fit(np.ones((2, 2)))
    assert check_feature_names_in(est).tolist() == ["x0", "x1"]
    with pytest.raises(ValueError):
        check_feature_names_in(est, ["a", "b", "c"])


# -- Keras: the optimizer's all-reduce and the softmax's logits ---------------------------


def test_keras_optimizer_still_has_the_all_reduce_we_replace():
    import keras

    from sklearn_audio._compat.keras import ALL_REDUCE, replace_all_reduce

    # The attribute is on Keras's TensorFlow optimizer class: if Keras renames
    # it, the leak fix would silently do nothing, so this fails instead.
    assert callable(getattr(type(keras.optimizers.Adam()), ALL_REDUCE))
    seen = []
    optimizer = replace_all_reduce(
        keras.optimizers.Adam(), lambda original, gv: seen.append(original) or list(gv)
    )
    assert optimizer._all_reduce_sum_gradients([("g", "v")]) == [("g", "v")]
    assert callable(seen[0])


def test_keras_all_reduce_replacement_fails_loudly_when_it_is_gone():
    import pytest

    from sklearn_audio._compat.keras import replace_all_reduce

    class RenamedUpstream:
        pass

    with pytest.raises(RuntimeError, match="_all_reduce_sum_gradients"):
        replace_all_reduce(RenamedUpstream(), lambda original, gv: gv)


def test_keras_softmax_output_still_carries_its_logits():
    import keras
    import numpy as np
    import pytest

    from sklearn_audio._compat.keras import logits_of_softmax

    layer = keras.layers.Dense(2, activation="softmax")
    x = np.array([[50.0, -50.0, 1.0]], dtype="float32")
    output = layer(x)
    logits = keras.ops.convert_to_numpy(logits_of_softmax(output))
    expected = x @ keras.ops.convert_to_numpy(layer.kernel) + keras.ops.convert_to_numpy(layer.bias)
    np.testing.assert_allclose(logits, expected, rtol=1e-5)
    with pytest.raises(RuntimeError, match="_keras_logits"):
        logits_of_softmax(keras.ops.convert_to_tensor(np.ones((1, 2), "float32")))
