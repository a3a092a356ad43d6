"""SCORING: the scorer dict for multi-metric GridSearchCV and cross_validate."""

import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    get_scorer,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_audio.metrics import SCORING

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
        # Only the majority class is ever predicted: its precision is its share of y.
        expected = np.max(np.unique(y, return_counts=True)[1]) / len(y) / 3
        assert SCORING["precision_macro"](clf, X, y) == pytest.approx(expected)
        assert SCORING["f1_macro"](clf, X, y) > 0


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
        LogisticRegression(), X, y, scoring=SCORING, cv=StratifiedKFold(3), error_score="raise"
    )
    for name in NAMES:
        assert np.all(np.isfinite(results[f"test_{name}"])), name
    assert np.all(results["test_neg_log_loss"] < 0)
    assert np.all((results["test_roc_auc_ovr"] > 0.5) & (results["test_roc_auc_ovr"] <= 1))


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
