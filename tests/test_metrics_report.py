"""ClassificationReport and evaluate: numbers checked against scikit-learn."""

import json
import sys
import types
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

from sklearn_audio.metrics import ClassificationReport, evaluate

LABELS = np.array(["bird", "cat", "dog"])


@pytest.fixture
def predictions():
    """Fixed multiclass predictions with string labels: every class present, some errors."""
    rng = np.random.default_rng(0)
    y_true = LABELS[rng.integers(0, 3, size=60)]
    logits = rng.normal(size=(60, 3)) + 1.5 * (y_true[:, None] == LABELS[None, :])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, LABELS[proba.argmax(axis=1)], proba


def test_multiclass_numbers_match_sklearn(predictions):
    y_true, y_pred, proba = predictions
    report = ClassificationReport.from_predictions(y_true, y_pred, y_proba=proba)
    assert report.labels.tolist() == LABELS.tolist()
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    np.testing.assert_allclose(report.per_class["precision"], p)
    np.testing.assert_allclose(report.per_class["recall"], r)
    np.testing.assert_allclose(report.per_class["f1"], f)
    np.testing.assert_array_equal(report.per_class["support"], s)
    for average in ["macro", "weighted"]:
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=LABELS, average=average, zero_division=0
        )
        averages = getattr(report, f"{average}_avg")
        assert (averages["precision"], averages["recall"], averages["f1"]) == pytest.approx(
            (p, r, f)
        )
        assert averages["roc_auc"] == pytest.approx(
            roc_auc_score(y_true, proba, multi_class="ovr", average=average)
        )
        assert averages["support"] == 60
    assert report.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(
        report.confusion_matrix, confusion_matrix(y_true, y_pred, labels=LABELS)
    )
    expected_auc = [roc_auc_score(y_true == label, proba[:, k]) for k, label in enumerate(LABELS)]
    np.testing.assert_allclose(report.per_class["roc_auc"], expected_auc)
    assert report.log_loss == pytest.approx(log_loss(y_true, proba, labels=LABELS))
    assert report.n_samples == 60


def test_binary_numbers_match_sklearn():
    X, y = make_classification(80, n_features=5, random_state=1)
    y = np.where(y == 1, "speech", "music")
    clf = LogisticRegression().fit(X, y)
    report = evaluate(clf, X, y)
    proba = clf.predict_proba(X)
    expected_auc = roc_auc_score(y == "speech", proba[:, 1])
    np.testing.assert_allclose(report.per_class["roc_auc"], [expected_auc, expected_auc])
    assert report.macro_avg["roc_auc"] == pytest.approx(expected_auc)
    assert report.log_loss == pytest.approx(log_loss(y, proba))
    assert report.accuracy == pytest.approx(clf.score(X, y))
    # A 1-D probability of the positive class gives the same report.
    one_column = ClassificationReport.from_predictions(
        y, clf.predict(X), y_proba=proba[:, 1], labels=clf.classes_
    )
    assert one_column.to_dict() == report.to_dict()


def test_hand_checked_specificity_and_npv():
    # a: TP 2, FN 1, FP 0, TN 3 | b: TP 1, FN 1, FP 1, TN 3 | c: TP 1, FN 0, FP 1, TN 4
    report = ClassificationReport.from_predictions(
        ["a", "a", "a", "b", "b", "c"], ["a", "a", "b", "b", "c", "c"]
    )
    per_class = report.per_class
    np.testing.assert_allclose(per_class["specificity"], [3 / 3, 3 / 4, 4 / 5])
    np.testing.assert_allclose(per_class["npv"], [3 / 4, 3 / 4, 4 / 4])
    np.testing.assert_allclose(per_class["fpr"], [0 / 3, 1 / 4, 1 / 5])
    np.testing.assert_allclose(per_class["fnr"], [1 / 3, 1 / 2, 0 / 1])
    assert report.macro_avg["specificity"] == pytest.approx((1 + 0.75 + 0.8) / 3)
    assert report.weighted_avg["npv"] == pytest.approx((3 * 0.75 + 2 * 0.75 + 1 * 1.0) / 6)


def test_undefined_ratios_are_zero_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # "d" never occurs and "b" is never predicted: several 0/0 ratios.
        report = ClassificationReport.from_predictions(
            ["a", "a", "b"], ["a", "a", "a"], labels=["a", "b", "d"]
        )
        # Every sample is "a": TN + FP = 0 for "a".
        only_a = ClassificationReport.from_predictions(["a", "a"], ["a", "a"], labels=["a", "b"])
    d = {name: values[2] for name, values in report.per_class.items() if values is not None}
    expected = dict(precision=0, recall=0, f1=0, specificity=1, fpr=0, fnr=0, npv=1, support=0)
    assert d == expected
    assert report.per_class["precision"][1] == 0.0
    assert only_a.per_class["specificity"][0] == 0.0
    assert only_a.per_class["fpr"][0] == 0.0


def test_undefined_roc_auc_is_left_out_of_the_averages(predictions):
    y_true, y_pred, proba = predictions
    keep = y_true != "dog"
    with pytest.warns(UndefinedMetricWarning, match="dog"):
        report = ClassificationReport.from_predictions(
            y_true[keep], y_pred[keep], y_proba=proba[keep], labels=LABELS
        )
    aucs = report.per_class["roc_auc"]
    assert np.isnan(aucs[2]) and not np.isnan(aucs[:2]).any()
    assert report.macro_avg["roc_auc"] == pytest.approx(aucs[:2].mean())
    assert report.to_dict()["per_class"]["roc_auc"][2] is None
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.parametrize("labels", [["bird", "cat", "dog"], [3, 1, 2]])
def test_json_round_trip(predictions, labels):
    y_true, y_pred, proba = predictions
    mapping = dict(zip(LABELS, labels))
    y_true, y_pred = [mapping[y] for y in y_true], [mapping[y] for y in y_pred]
    report = ClassificationReport.from_predictions(y_true, y_pred, y_proba=proba, labels=labels)
    data = report.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    restored = ClassificationReport.from_dict(json.loads(text))
    assert restored.to_dict() == data
    assert str(restored) == str(report)
    assert restored.labels.tolist() == labels


def test_labels_order_is_respected(predictions):
    y_true, y_pred, proba = predictions
    order = [2, 0, 1]
    report = ClassificationReport.from_predictions(y_true, y_pred, y_proba=proba)
    shuffled = ClassificationReport.from_predictions(
        y_true, y_pred, y_proba=proba[:, order], labels=LABELS[order]
    )
    for name in ["precision", "npv", "roc_auc"]:
        np.testing.assert_allclose(shuffled.per_class[name], report.per_class[name][order])
    assert shuffled.log_loss == pytest.approx(report.log_loss)
    assert shuffled.macro_avg == pytest.approx(report.macro_avg)


def test_without_probabilities():
    report = ClassificationReport.from_predictions([0, 1, 1, 0], [0, 1, 0, 0])
    assert report.per_class["roc_auc"] is None
    assert report.macro_avg["roc_auc"] is None and report.log_loss is None
    text = str(report)
    assert "no probabilities" in text and "roc_auc" not in text.splitlines()[2]
    json.dumps(report.to_dict(), allow_nan=False)


def test_evaluate_matches_from_predictions():
    X, y = make_classification(90, n_features=6, n_informative=4, n_classes=3, random_state=0)
    y = LABELS[y]
    clf = LogisticRegression().fit(X, y)
    report = evaluate(clf, X, y)
    expected = ClassificationReport.from_predictions(
        y, clf.predict(X), y_proba=clf.predict_proba(X), labels=clf.classes_
    )
    assert report.to_dict() == expected.to_dict()
    no_proba = evaluate(RidgeClassifier().fit(X, y), X, y)
    assert no_proba.log_loss is None and no_proba.per_class["roc_auc"] is None


def test_str_is_readable(predictions):
    y_true, y_pred, proba = predictions
    text = str(ClassificationReport.from_predictions(y_true, y_pred, y_proba=proba))
    expected = "precision specificity npv roc_auc avg accuracy: log_loss: confusion".split()
    assert all(word in text for word in expected)
    assert all(label in text for label in LABELS)
    assert "60 samples" in repr(ClassificationReport.from_predictions(y_true, y_pred))


def test_to_records():
    report = ClassificationReport.from_predictions(["a", "b", "b"], ["a", "a", "b"])
    records = report.to_records()
    assert [row["label"] for row in records] == ["a", "b", "macro avg", "weighted avg"]
    assert records[1]["recall"] == 0.5 and records[1]["support"] == 2
    assert records[2]["f1"] == report.macro_avg["f1"]
    json.dumps(records, allow_nan=False)


def test_to_frame_without_pandas_says_what_to_do(monkeypatch):
    report = ClassificationReport.from_predictions(["a", "b"], ["a", "a"])
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes "import pandas" fail
    with pytest.raises(ImportError, match="to_records"):
        report.to_frame()


def test_to_frame_builds_a_frame_indexed_by_label(monkeypatch):
    # Built before faking pandas: scikit-learn looks for pandas in sys.modules.
    report = ClassificationReport.from_predictions(["a", "b"], ["a", "a"])
    calls = []
    fake = types.SimpleNamespace(
        DataFrame=types.SimpleNamespace(
            from_records=lambda records, index: calls.append((records, index)) or "frame"
        )
    )
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert report.to_frame() == "frame"
    assert calls == [(report.to_records(), "label")]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_pred": ["a", "b"]}, "different lengths: 3 and 2"),
        ({"y_proba": np.full((3, 3), 1 / 3)}, "3 columns but there are 2 classes"),
        ({"y_proba": np.full((3, 3), 1 / 3), "labels": ["a", "b"]}, "columns must follow"),
        ({"y_proba": np.full((2, 2), 0.5)}, "2 rows but y_true has 3"),
        ({"y_proba": [[0.5, 0.5], [np.nan, 1], [1, 0]]}, "NaN"),
        ({"labels": ["a"]}, r"not in labels=\['a'\]: \['b'\]"),
        ({"labels": ["a", "a", "b"]}, "unique"),
        ({"labels": [0, 1]}, "not in labels"),
        ({"y_pred": [["a", "b", "b"]]}, "1-D"),
    ],
)
def test_bad_input_raises_clear_value_errors(kwargs, match):
    arguments = {"y_pred": ["a", "b", "b"], **kwargs}
    with pytest.raises(ValueError, match=match):
        ClassificationReport.from_predictions(["a", "a", "b"], **arguments)


def test_empty_and_unfitted_input():
    with pytest.raises(ValueError, match="empty"):
        ClassificationReport.from_predictions([], [])
    with pytest.raises(ValueError, match="fitted classifier"):
        evaluate(LogisticRegression(), np.zeros((2, 2)), [0, 1])
