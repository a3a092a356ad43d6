"""SCORING: the scorer dict for multi-metric GridSearchCV and cross_validate."""

import copy
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from optuna.distributions import FloatDistribution
from sklearn import config_context
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    check_scoring,
    f1_score,
    get_scorer,
    log_loss,
    make_scorer,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_audio.metrics import SCORING
from sklearn_audio.tuning import AudioOptunaSearchCV

NAMES = ["accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc_ovr", "neg_log_loss"]


def _data(n_classes, n_samples=90):
    X, y = make_classification(
        n_samples, n_features=6, n_informative=4, n_classes=n_classes, random_state=0
    )
    names = np.array(["music", "speech", "silence", "noise"])[:n_classes]
    return X, names[y]


@pytest.fixture(params=[2, 3], ids=["binary", "multiclass"])
def fitted(request):
    X, y = _data(request.param)
    return LogisticRegression().fit(X, y), X, y


def expected_scores(y, y_pred, proba, classes, sample_weight=None):
    """Every SCORING metric from scikit-learn's functions, columns of proba named by classes."""
    sw = {"sample_weight": sample_weight}
    macro = {"average": "macro", "zero_division": 0, **sw}
    present = [k for k, label in enumerate(classes) if label in set(y)]
    return {
        "accuracy": accuracy_score(y, y_pred, **sw),
        "precision_macro": precision_score(y, y_pred, **macro),
        "recall_macro": recall_score(y, y_pred, **macro),
        "f1_macro": f1_score(y, y_pred, **macro),
        "roc_auc_ovr": np.mean(
            [roc_auc_score(y == classes[k], proba[:, k], **sw) for k in present]
        ),
        "neg_log_loss": -log_loss(y, proba, labels=classes, **sw),
    }


def assert_scores(scores, expected):
    assert set(scores) == set(expected)
    for name, value in expected.items():
        assert scores[name] == pytest.approx(value, rel=1e-12), name


def test_scoring_has_the_documented_metrics():
    assert list(SCORING) == NAMES


def test_scores_match_sklearn_functions(fitted):
    clf, X, y = fitted
    y_pred, proba = clf.predict(X), clf.predict_proba(X)
    expected = {
        "accuracy": accuracy_score(y, y_pred),
        "precision_macro": precision_score(y, y_pred, average="macro"),
        "recall_macro": recall_score(y, y_pred, average="macro"),
        "f1_macro": f1_score(y, y_pred, average="macro"),
        "neg_log_loss": -log_loss(y, proba, labels=clf.classes_),
    }
    if len(clf.classes_) == 2:
        expected["roc_auc_ovr"] = roc_auc_score(y == clf.classes_[1], proba[:, 1])
    else:
        expected["roc_auc_ovr"] = roc_auc_score(y, proba, multi_class="ovr")
    for name in NAMES:
        assert SCORING[name](clf, X, y) == pytest.approx(expected[name]), name
        # And the same as scikit-learn's scorer of that name when every class is present.
        assert SCORING[name](clf, X, y) == pytest.approx(get_scorer(name)(clf, X, y)), name


def test_probability_scorers_survive_a_fold_without_some_class():
    X, y = _data(3)
    clf = LogisticRegression().fit(X, y)
    keep = y != "silence"
    with pytest.raises(ValueError):  # scikit-learn's own scorer infers classes from y
        get_scorer("neg_log_loss")(clf, X[keep], y[keep])
    proba = clf.predict_proba(X[keep])
    expected = -log_loss(y[keep], proba, labels=clf.classes_)
    assert SCORING["neg_log_loss"](clf, X[keep], y[keep]) == pytest.approx(expected)
    present = [k for k, label in enumerate(clf.classes_) if label != "silence"]
    aucs = [roc_auc_score(y[keep] == clf.classes_[k], proba[:, k]) for k in present]
    assert SCORING["roc_auc_ovr"](clf, X[keep], y[keep]) == pytest.approx(np.mean(aucs))


def test_never_predicted_class_does_not_warn():
    X, y = _data(3)
    clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Only the majority class is ever predicted: its precision is its share of y,
        # its recall 1; the other two classes score 0 on both.
        share = np.max(np.unique(y, return_counts=True)[1]) / len(y)
        assert SCORING["precision_macro"](clf, X, y) == pytest.approx(share / 3)
        assert SCORING["recall_macro"](clf, X, y) == pytest.approx(1 / 3)
        assert SCORING["f1_macro"](clf, X, y) == pytest.approx(2 * share / (share + 1) / 3)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_grid_search_refits_on_f1_macro(n_classes):
    X, y = _data(n_classes)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__C": [0.01, 1.0]},
        scoring=SCORING,
        refit="f1_macro",
        cv=3,
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search.fit(X, y)
    for name in NAMES:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.all(np.isfinite(scores)), name
    best = np.argmax(search.cv_results_["mean_test_f1_macro"])
    assert search.best_index_ == best
    assert set(search.predict(X)) <= set(y)


def test_cross_validate_with_scoring():
    X, y = _data(3)
    results = cross_validate(
        LogisticRegression(), X, y, scoring=SCORING, cv=StratifiedKFold(3), error_score="raise",
        return_estimator=True, return_indices=True,
    )
    # Each fold's scores are the metrics of that fold's model on its test clips.
    for fold, (clf, test) in enumerate(zip(results["estimator"], results["indices"]["test"])):
        expected = expected_scores(
            y[test], clf.predict(X[test]), clf.predict_proba(X[test]), clf.classes_
        )
        assert_scores({name: results[f"test_{name}"][fold] for name in NAMES}, expected)


def test_probability_scorer_needs_predict_proba():
    X, y = _data(2)
    clf = RidgeClassifier().fit(X, y)
    with pytest.raises(TypeError, match="predict_proba"):
        SCORING["roc_auc_ovr"](clf, X, y)


def test_probability_scorer_needs_a_fitted_classifier():
    X, y = _data(2)
    with pytest.raises(ValueError, match="fitted classifier"):
        SCORING["neg_log_loss"](LogisticRegression(), X, y)


def test_scoring_pickles_for_parallel_search():
    X, y = _data(3)
    clf = LogisticRegression().fit(X, y)
    restored = pickle.loads(pickle.dumps(SCORING))
    assert restored["roc_auc_ovr"](clf, X, y) == SCORING["roc_auc_ovr"](clf, X, y)
    assert repr(restored["neg_log_loss"]) == "<neg_log_loss scorer>"


def test_import_pulls_in_neither_tensorflow_nor_matplotlib():
    code = (
        "import sys, sklearn_audio.metrics; "
        "print(sorted({'tensorflow', 'keras', 'matplotlib'} & set(sys.modules)))"
    )
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- one inference per test fold ------------------------------------------------------

CALLS = {"transform": 0, "predict": 0, "predict_proba": 0}


@pytest.fixture
def calls():
    for key in CALLS:
        CALLS[key] = 0
    yield CALLS


class CountingTransformer(TransformerMixin, BaseEstimator):
    """Identity that counts ``transform`` calls: the test clips' feature extractions."""

    def fit(self, X, y=None):
        return self

    def fit_transform(self, X, y=None):
        return np.asarray(X)  # the training clips: not counted

    def transform(self, X):
        CALLS["transform"] += 1
        return np.asarray(X)


class CountingLogisticRegression(LogisticRegression):
    def predict(self, X):
        CALLS["predict"] += 1
        return super().predict(X)

    def predict_proba(self, X):
        CALLS["predict_proba"] += 1
        return super().predict_proba(X)


def _counting_pipeline():
    return Pipeline([("features", CountingTransformer()), ("clf", CountingLogisticRegression())])


def _run_cross_validate(X, y):
    cross_validate(_counting_pipeline(), X, y, scoring=SCORING, cv=StratifiedKFold(3))
    return 3


def _run_grid_search(X, y):
    GridSearchCV(
        _counting_pipeline(), {"clf__C": [0.1, 1.0]}, scoring=SCORING, refit="f1_macro",
        cv=StratifiedKFold(3),
    ).fit(X, y)
    return 2 * 3


def _run_optuna_search(X, y):
    AudioOptunaSearchCV(
        _counting_pipeline(), {"clf__C": FloatDistribution(0.1, 1.0, log=True)},
        n_trials=2, cv=3, random_state=0,
    ).fit(X, y)
    return 2 * 3


@pytest.mark.parametrize(
    "run", [_run_cross_validate, _run_grid_search, _run_optuna_search],
    ids=["cross_validate", "GridSearchCV", "AudioOptunaSearchCV"],
)
def test_each_response_computed_once_per_fold(run, calls):
    # For a classifier whose predict need not be the argmax of predict_proba, all the
    # metrics share one predict and one predict_proba per test fold, and the pipeline
    # extracts the test clips' features once for each (not once more per
    # probability metric).
    X, y = _data(3)
    n_fits = run(X, y)
    assert calls == {"transform": 2 * n_fits, "predict": n_fits, "predict_proba": n_fits}


def _keras_data(n_per_class=12):
    """Separable float32 clip features with string labels, binary."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["speech", "music"]), n_per_class)
    X = rng.normal(size=(len(y), 4)).astype(np.float32)
    X[y == "music", 0] += 3.0
    return X, y


def test_one_inference_per_fold_for_sklearn_audio_classifiers(calls):
    from sklearn_audio.models import DenseClassifier

    class CountingDense(DenseClassifier):
        # predict itself calls predict_proba: each call counts one inference.
        def predict_proba(self, X):
            CALLS["predict_proba"] += 1
            return super().predict_proba(X)

    X, y = _keras_data()
    pipe = Pipeline([
        ("features", CountingTransformer()),
        ("clf", CountingDense(hidden_layer_sizes=(8,), epochs=2, batch_size=8, random_state=0)),
    ])
    results = cross_validate(
        pipe, X, y, scoring=SCORING, cv=StratifiedKFold(2), error_score="raise",
        return_estimator=True, return_indices=True,
    )
    assert calls == {"transform": 2, "predict": 0, "predict_proba": 2}
    # The label metrics, derived from the shared predict_proba, equal predict's.
    for fold, (model, test) in enumerate(zip(results["estimator"], results["indices"]["test"])):
        expected = expected_scores(
            y[test], model.predict(X[test]), model.predict_proba(X[test]), model.classes_
        )
        assert_scores({name: results[f"test_{name}"][fold] for name in NAMES}, expected)


def test_label_metrics_follow_an_overridden_predict():
    from sklearn_audio.models import DenseClassifier

    class AlwaysSpeech(DenseClassifier):
        def predict(self, X):
            return np.full(len(X), "speech")

    X, y = _keras_data()
    clf = AlwaysSpeech(hidden_layer_sizes=(8,), epochs=2, batch_size=8, random_state=0)
    clf.fit(X, y)
    scores = check_scoring(clf, SCORING)(clf, X, y)
    assert scores["accuracy"] == pytest.approx(0.5)


def test_label_metrics_use_predict_where_it_is_not_the_most_probable_class():
    X, y = _data(2)
    # Predicts "speech" only when its probability exceeds 0.8: predict and the
    # argmax of predict_proba disagree on some clips.
    clf = FixedThresholdClassifier(
        LogisticRegression(), threshold=0.8, pos_label="speech", response_method="predict_proba"
    ).fit(X, y)
    y_pred, proba = clf.predict(X), clf.predict_proba(X)
    assert np.any(y_pred != clf.classes_[np.argmax(proba, axis=1)])
    assert_scores(
        check_scoring(clf, SCORING)(clf, X, y), expected_scores(y, y_pred, proba, clf.classes_)
    )


def test_multimetric_scores_match_sklearn_functions(fitted):
    # Through scikit-learn's multi-metric scorer and its response cache, which keeps
    # a single column of a binary predict_proba.
    clf, X, y = fitted
    expected = expected_scores(y, clf.predict(X), clf.predict_proba(X), clf.classes_)
    assert_scores(check_scoring(clf, SCORING)(clf, X, y), expected)


def test_scores_right_after_another_scorer_cached_the_negative_column():
    X, y = _data(2)
    clf = LogisticRegression().fit(X, y)
    # Runs first and makes scikit-learn cache the probability of classes_[0] alone.
    brier = make_scorer(
        brier_score_loss, response_method="predict_proba", pos_label=clf.classes_[0],
        greater_is_better=False,
    )
    scores = check_scoring(clf, {"brier": brier, **SCORING})(clf, X, y)
    del scores["brier"]
    assert_scores(scores, expected_scores(y, clf.predict(X), clf.predict_proba(X), clf.classes_))


def test_multimetric_scores_a_fold_without_some_class():
    X, y = _data(3)
    clf = LogisticRegression().fit(X, y)
    keep = y != "silence"
    X, y = X[keep], y[keep]
    expected = expected_scores(y, clf.predict(X), clf.predict_proba(X), clf.classes_)
    assert_scores(check_scoring(clf, SCORING)(clf, X, y), expected)


# -- sample_weight ----------------------------------------------------------------------


def _weights(n):
    return np.random.default_rng(0).uniform(0.0, 3.0, n)


def test_sample_weight_weighs_every_metric(fitted):
    clf, X, y = fitted
    w = _weights(len(y))
    y_pred, proba = clf.predict(X), clf.predict_proba(X)
    weighted = expected_scores(y, y_pred, proba, clf.classes_, sample_weight=w)
    plain = expected_scores(y, y_pred, proba, clf.classes_)
    assert all(weighted[name] != pytest.approx(plain[name]) for name in NAMES)
    # scikit-learn's multi-metric scorer passes sample_weight to scorers that accept it.
    assert_scores(check_scoring(clf, SCORING)(clf, X, y, sample_weight=w), weighted)


def test_sample_weight_routed_with_set_score_request():
    X, y = _data(3)
    w = _weights(len(y))
    with config_context(enable_metadata_routing=True):
        scoring = {
            name: copy.deepcopy(scorer).set_score_request(sample_weight=True)
            for name, scorer in SCORING.items()
        }
        results = cross_validate(
            LogisticRegression().set_fit_request(sample_weight=False), X, y,
            scoring=scoring, cv=KFold(3), params={"sample_weight": w},
            return_estimator=True, return_indices=True, error_score="raise",
        )
    for fold, (clf, test) in enumerate(zip(results["estimator"], results["indices"]["test"])):
        expected = expected_scores(
            y[test], clf.predict(X[test]), clf.predict_proba(X[test]), clf.classes_,
            sample_weight=w[test],
        )
        assert_scores({name: results[f"test_{name}"][fold] for name in NAMES}, expected)


def test_probability_scorers_reject_routed_labels(fitted):
    clf, X, y = fitted
    with config_context(enable_metadata_routing=True):
        scorer = copy.deepcopy(SCORING["neg_log_loss"]).set_score_request(labels=True)
        with pytest.raises(ValueError, match="classes_; labels cannot be passed"):
            check_scoring(clf, {"loss": scorer})(clf, X, y, labels=clf.classes_)


def test_without_predict_proba_only_probability_metrics_fail():
    # With error_score=nan, the label metrics are still computed for a classifier
    # without predict_proba; the probability ones are NaN, with the reason.
    X, y = _data(3)
    with pytest.warns(UserWarning, match="needs predict_proba"):
        results = cross_validate(RidgeClassifier(), X, y, scoring=SCORING, cv=StratifiedKFold(3))
    for name in NAMES[:4]:
        assert np.all(np.isfinite(results[f"test_{name}"])), name
    for name in NAMES[4:]:
        assert np.all(np.isnan(results[f"test_{name}"])), name
