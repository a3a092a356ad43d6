"""cross_validate_report: splitter choice, summaries and presentation."""

import json

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_validate,
)

from sklearn_audio.metrics import SCORING, CrossValidationReport, cross_validate_report


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(120, n_features=6, n_informative=4, n_classes=3, random_state=0)
    # Four clips per "speaker": group-aware folds must keep them together.
    groups = np.repeat(np.arange(30), 4)
    return X, np.array(["zero", "one", "two"])[y], groups


def _assert_same(report, results):
    for name in SCORING:
        np.testing.assert_allclose(report.test_scores[name], results[f"test_{name}"])


def test_int_cv_uses_stratified_kfold(data):
    X, y, _ = data
    report = cross_validate_report(LogisticRegression(), X, y, cv=3)
    assert report.cv.startswith("StratifiedKFold(n_splits=3")
    assert report.n_splits == 3 and list(report.test_scores) == list(SCORING)
    expected = cross_validate(LogisticRegression(), X, y, cv=StratifiedKFold(3), scoring=SCORING)
    _assert_same(report, expected)
    for name in SCORING:
        assert report.mean[name] == pytest.approx(np.mean(report.test_scores[name]))
        assert report.std[name] == pytest.approx(np.std(report.test_scores[name]))


def test_groups_use_stratified_group_kfold(data):
    X, y, groups = data
    report = cross_validate_report(
        LogisticRegression(), X, y, cv=3, groups=groups, shuffle=True, random_state=0
    )
    splitter = StratifiedGroupKFold(3, shuffle=True, random_state=0)
    assert report.cv == repr(splitter)
    for train, test in splitter.split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
    _assert_same(
        report,
        cross_validate(LogisticRegression(), X, y, groups=groups, cv=splitter, scoring=SCORING),
    )


def test_splitter_objects_pass_through(data):
    X, y, _ = data
    report = cross_validate_report(LogisticRegression(), X, y, cv=KFold(4))
    assert report.n_splits == 4 and report.cv.startswith("KFold")


def test_custom_scoring_and_train_scores(data):
    X, y, _ = data
    scoring = {"accuracy": SCORING["accuracy"]}
    report = cross_validate_report(
        LogisticRegression(), X, y, cv=3, scoring=scoring, return_train_score=True
    )
    assert list(report.test_scores) == list(report.train_scores) == ["accuracy"]
    expected = cross_validate(
        LogisticRegression(), X, y, cv=StratifiedKFold(3), scoring=scoring,
        return_train_score=True,
    )
    np.testing.assert_allclose(report.train_scores["accuracy"], expected["train_accuracy"])
    np.testing.assert_allclose(report.test_scores["accuracy"], expected["test_accuracy"])
    assert "train" in str(report).splitlines()[2]


def test_str_and_json(data):
    X, y, _ = data
    report = cross_validate_report(LogisticRegression(), X, y, cv=3)
    text = str(report)
    assert "3 folds" in text and "fit_time (s)" in text
    for name in SCORING:
        line = next(line for line in text.splitlines() if line.startswith(name))
        assert f"{report.mean[name]:.3f} ± {report.std[name]:.3f}" in line
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["n_splits"] == 3
    assert data["test"]["accuracy"]["mean"] == pytest.approx(report.mean["accuracy"])
    assert len(data["fit_time"]["folds"]) == 3
    assert "3 folds" in repr(report)


def test_a_failed_fold_is_not_averaged_away():
    report = CrossValidationReport(
        test_scores={"accuracy": np.array([0.9, np.nan])},
        fit_time=np.ones(2),
        score_time=np.ones(2),
    )
    assert np.isnan(report.mean["accuracy"])
    assert report.to_dict()["test"]["accuracy"]["folds"] == [0.9, None]
    assert "-" in str(report)
