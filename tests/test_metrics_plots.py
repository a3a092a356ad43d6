"""Displays: headless figures, the numbers behind them, and PNG output."""

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_audio.metrics import (
    SCORING,
    ClassificationReport,
    ConfusionMatrixDisplay,
    MulticlassRocCurveDisplay,
    ParameterSweepDisplay,
    TrainingHistoryDisplay,
    save_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LEARNING_RATE = "mlpclassifier__learning_rate_init"
HISTORY = {
    "loss": [1.0, 0.7, 0.5, 0.4],
    "accuracy": [0.4, 0.6, 0.7, 0.8],
    "val_loss": [1.1, 0.8, 0.75, 0.9],
    "val_accuracy": [0.3, 0.5, 0.6, 0.55],
}


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 2000


def save_png(display, path):
    """Save at low resolution (fast), check the file is a real PNG, return its path."""
    path = save_figure(display, path, dpi=40)
    assert_png(path)
    return path


def assert_headless(display):
    # A plain Figure, never registered with pyplot (which would need a GUI backend).
    assert isinstance(display.figure_, Figure)
    assert display.figure_.canvas.manager is None


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(90, n_features=6, n_informative=4, n_classes=3, random_state=0)
    y = np.array(["blues", "jazz", "rock"])[y]
    return LogisticRegression().fit(X, y), X, y


@pytest.fixture(scope="module")
def search():
    X, y = make_classification(60, n_features=5, n_informative=3, random_state=0)
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(4,), (8, 8), (4, 4)],
        LEARNING_RATE: [1e-3, 1e-1],
    }
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=15, random_state=0))
    search = GridSearchCV(
        pipe, grid, scoring=SCORING, refit="f1_macro", cv=2, return_train_score=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, np.where(y == 1, "speech", "music"))


def test_confusion_matrix_from_predictions_normalised(tmp_path):
    display = ConfusionMatrixDisplay.from_predictions(
        ["a", "a", "b", "c"], ["a", "b", "b", "c"], normalize="true"
    )
    np.testing.assert_allclose(display.confusion_matrix.sum(axis=1), 1.0)
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["a", "b", "c"]
    assert_headless(display)
    save_png(display, tmp_path / "cm.png")


def test_confusion_matrix_from_estimator_and_report(fitted, tmp_path):
    clf, X, y = fitted
    display = ConfusionMatrixDisplay.from_estimator(clf, X, y)
    report = ClassificationReport.from_estimator(clf, X, y)
    np.testing.assert_array_equal(display.confusion_matrix, report.confusion_matrix)
    from_report = ConfusionMatrixDisplay.from_report(report, normalize="pred")
    np.testing.assert_allclose(from_report.confusion_matrix.sum(axis=0), 1.0)
    assert_headless(from_report)
    save_png(from_report, tmp_path / "cm_report.png")
    with pytest.raises(ValueError, match="normalize"):
        ConfusionMatrixDisplay.from_report(report, normalize="rows")


def test_confusion_matrix_on_given_axes():
    ax = Figure().add_subplot()
    display = ConfusionMatrixDisplay.from_predictions([0, 1], [0, 0], ax=ax, colorbar=False)
    assert display.ax_ is ax


def test_roc_multiclass(fitted, tmp_path):
    clf, X, y = fitted
    display = MulticlassRocCurveDisplay.from_estimator(clf, X, y)
    assert list(display.lines_) == ["blues", "jazz", "rock", "micro-average", "macro-average"]
    proba = clf.predict_proba(X)
    assert display.roc_auc["jazz"] == pytest.approx(roc_auc_score(y == "jazz", proba[:, 1]))
    report = ClassificationReport.from_estimator(clf, X, y)
    assert display.roc_auc["macro-average"] == pytest.approx(report.macro_avg["roc_auc"])
    onehot = y[:, None] == clf.classes_[None, :]
    assert display.roc_auc["micro-average"] == pytest.approx(
        roc_auc_score(onehot.ravel(), proba.ravel())
    )
    # Each class's curve is scikit-learn's one-vs-rest roc_curve.
    for k, label in enumerate(clf.classes_):
        fpr, tpr, _ = roc_curve(y == label, proba[:, k])
        np.testing.assert_array_equal(display.fpr[label], fpr)
        np.testing.assert_array_equal(display.tpr[label], tpr)
    assert display.chance_line_ is not None
    assert_headless(display)
    save_png(display, tmp_path / "roc.png")


def test_roc_binary_draws_the_positive_class():
    proba = [[0.8, 0.2], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]]
    display = MulticlassRocCurveDisplay.from_predictions(
        ["no", "yes", "yes", "no"], proba, chance_level=False
    )
    assert list(display.lines_) == ["yes"] and display.chance_line_ is None
    assert display.roc_auc["yes"] == pytest.approx(0.75)
    # Thresholds 0.9, 0.6, 0.4: the "yes" clips score 0.9 and 0.4, the "no" ones 0.6 and 0.2.
    np.testing.assert_allclose(display.fpr["yes"], [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(display.tpr["yes"], [0, 0.5, 0.5, 1, 1])
    line = display.lines_["yes"]
    np.testing.assert_allclose(line.get_xdata(), display.fpr["yes"])
    np.testing.assert_allclose(line.get_ydata(), display.tpr["yes"])


# Three classes, two clips each; each clip's probability of its own class is highest.
ROC_Y = np.array(["a", "a", "b", "b", "c", "c"])
ROC_PROBA = np.array([
    [0.7, 0.2, 0.1],
    [0.6, 0.3, 0.1],
    [0.2, 0.7, 0.1],
    [0.1, 0.5, 0.4],
    [0.1, 0.2, 0.7],
    [0.3, 0.1, 0.6],
])


def test_roc_perfect_ranking_scores_one_and_reversed_zero():
    display = MulticlassRocCurveDisplay.from_predictions(ROC_Y, ROC_PROBA)
    for name in ["a", "b", "c", "micro-average", "macro-average"]:
        assert display.roc_auc[name] == 1.0, name
    # A perfect ranking's curve reaches the top-left corner: every clip of the class
    # is found before any other clip.
    for label in ["a", "b", "c"]:
        fpr, tpr = display.fpr[label], display.tpr[label]
        assert np.all(tpr[fpr > 0] == 1.0) and (0.0, 1.0) in zip(fpr, tpr), label
    reversed_ = MulticlassRocCurveDisplay.from_predictions(ROC_Y, 1.0 - ROC_PROBA)
    for name in ["a", "b", "c", "macro-average"]:
        assert reversed_.roc_auc[name] == 0.0, name
    # Reversed: every other clip is found before any clip of the class.
    for label in ["a", "b", "c"]:
        fpr, tpr = reversed_.fpr[label], reversed_.tpr[label]
        assert np.all(fpr[tpr > 0] == 1.0) and (1.0, 0.0) in zip(fpr, tpr), label


def test_roc_hand_made_case_with_ties():
    proba = ROC_PROBA.copy()
    proba[0] = [0.45, 0.45, 0.1]
    proba[1] = [0.1, 0.3, 0.6]
    display = MulticlassRocCurveDisplay.from_predictions(ROC_Y, proba)
    # Class "a" scores its clips 0.45 and 0.1, the others 0.2, 0.1, 0.1 and 0.3. Of
    # the 8 (positive, negative) pairs, 0.45 wins 4 and 0.1 ties 2 (half each):
    # AUC 5/8. Thresholds 0.45, 0.3, 0.2, 0.1 give the points (0, 1/2), (1/4, 1/2),
    # (1/2, 1/2), (1, 1); the middle one lies on a straight segment and is dropped.
    assert display.roc_auc["a"] == pytest.approx(5 / 8)
    np.testing.assert_allclose(display.fpr["a"], [0, 0, 0.5, 1])
    np.testing.assert_allclose(display.tpr["a"], [0, 0.5, 0.5, 1])
    expected = [roc_auc_score(ROC_Y == label, proba[:, k]) for k, label in enumerate("abc")]
    assert display.roc_auc["a"] == pytest.approx(expected[0])
    assert display.roc_auc["macro-average"] == pytest.approx(np.mean(expected))
    onehot = ROC_Y[:, None] == np.array(list("abc"))[None, :]
    assert display.roc_auc["micro-average"] == pytest.approx(
        roc_auc_score(onehot.ravel(), proba.ravel())
    )


def test_roc_skips_a_class_without_curve(fitted):
    clf, X, y = fitted
    keep = y != "rock"
    with pytest.warns(UndefinedMetricWarning, match="rock"):
        display = MulticlassRocCurveDisplay.from_estimator(clf, X[keep], y[keep], average=())
    assert list(display.lines_) == ["blues", "jazz"]


def test_roc_bad_input(fitted):
    clf, X, y = fitted
    with pytest.raises(ValueError, match="3 columns but there are 2 classes"):
        keep = y != "rock"
        MulticlassRocCurveDisplay.from_predictions(y[keep], clf.predict_proba(X)[keep])
    with pytest.raises(ValueError, match="average"):
        MulticlassRocCurveDisplay.from_estimator(clf, X, y, average="macro")


def test_training_history_from_dict(tmp_path):
    display = TrainingHistoryDisplay.from_history(HISTORY, loss_scale="log")
    loss_ax, accuracy_ax = display.ax_
    assert (loss_ax.get_yscale(), accuracy_ax.get_yscale()) == ("log", "linear")
    assert [loss_ax.get_title(), accuracy_ax.get_title()] == ["loss", "accuracy"]
    np.testing.assert_array_equal(display.lines_["val_loss"].get_xdata(), [1, 2, 3, 4])
    assert display.best_epoch == 3
    assert_headless(display)
    save_png(display, tmp_path / "history.png")


def test_training_history_from_estimator_and_pipeline():
    fitted = SimpleNamespace(history_={"loss": [0.9, 0.6]})
    display = TrainingHistoryDisplay.from_estimator(fitted, mark_best=False)
    assert len(display.ax_) == 1 and display.best_epoch is None
    pipeline = SimpleNamespace(steps=[("scale", object()), ("clf", fitted)])
    axes = Figure().subplots(1, 1)
    assert TrainingHistoryDisplay.from_estimator(pipeline, ax=axes).ax_[0] is axes


def test_training_history_bad_input():
    with pytest.raises(ValueError, match="no history_"):
        TrainingHistoryDisplay.from_estimator(LogisticRegression())
    with pytest.raises(ValueError, match="non-empty dict"):
        TrainingHistoryDisplay.from_history({})
    with pytest.raises(ValueError, match="'loss'"):
        TrainingHistoryDisplay.from_history({"loss": ["high", "low"]})
    with pytest.raises(ValueError, match="2 axes"):
        TrainingHistoryDisplay.from_history(HISTORY, ax=Figure().add_subplot())
    with pytest.raises(ValueError, match="loss_scale"):
        TrainingHistoryDisplay.from_history(HISTORY, loss_scale="symlog")


def test_sweep_numeric_log_axis_with_band(search, tmp_path):
    display = ParameterSweepDisplay.from_search(search, LEARNING_RATE)
    assert display.score_name == "f1_macro"  # the metric the search refits on
    assert display.ax_.get_xscale() == "log"
    assert display.param_values == [1e-3, 1e-1]
    assert display.other_params == ["mlpclassifier__hidden_layer_sizes"]
    results = search.cv_results_
    for value, mean in zip(display.param_values, display.mean_test_score):
        rows = results["param_mlpclassifier__learning_rate_init"] == value
        assert mean == pytest.approx(results["mean_test_f1_macro"][rows].max())
    assert display.train_line_ is not None
    assert_headless(display)
    save_png(display, tmp_path / "sweep_lr.png")


def test_sweep_tuple_valued_parameter(search, tmp_path):
    display = ParameterSweepDisplay.from_search(
        search, "mlpclassifier__hidden_layer_sizes", scoring="neg_log_loss"
    )
    # Ordered by total units; labelled by value on a categorical axis.
    assert display.param_values == [(4,), (4, 4), (8, 8)]
    labels = [tick.get_text() for tick in display.ax_.get_xticklabels()]
    assert labels == ["(4,)", "(4, 4)", "(8, 8)"]
    assert display.score_name == "neg_log_loss"
    assert np.all(display.mean_test_score < 0)
    assert save_png(display.ax_, tmp_path / "sweep_layers").name == "sweep_layers.png"


def test_sweep_from_json_results():
    results = {
        "param_clf__units": [[16, 16], [32], [16, 16], [32]],
        "param_clf__alpha": [0.1, 0.1, 0.2, 0.2],
        "mean_test_score": [0.7, 0.6, 0.8, 0.65],
        "std_test_score": [0.1, 0.1, 0.05, 0.02],
    }
    restored = json.loads(json.dumps(results))
    display = ParameterSweepDisplay.from_cv_results(restored, "clf__units", scoring="accuracy")
    assert display.param_values == [(32,), (16, 16)]
    np.testing.assert_allclose(display.mean_test_score, [0.65, 0.8])
    assert display.score_name == "accuracy"
    linear = ParameterSweepDisplay.from_cv_results(restored, "clf__alpha", xscale="auto")
    assert linear.ax_.get_xscale() == "linear"


def test_sweep_bad_input(search):
    with pytest.raises(ValueError, match="No metric 'f2'"):
        ParameterSweepDisplay.from_search(search, LEARNING_RATE, scoring="f2")
    with pytest.raises(ValueError, match="not searched"):
        ParameterSweepDisplay.from_search(search, "clf__dropout")
    with pytest.raises(ValueError, match="Several parameters vary"):
        ParameterSweepDisplay.from_search(search)
    results = {"param_a": [1, 2], "mean_test_x": [0.1, 0.2], "mean_test_y": [0.3, 0.4]}
    with pytest.raises(ValueError, match="pass scoring"):
        ParameterSweepDisplay.from_cv_results(results)
    with pytest.raises(ValueError, match="cv_results_"):
        ParameterSweepDisplay.from_search(LogisticRegression())


def test_save_figure_accepts_figures_and_rejects_others(tmp_path):
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    path = save_figure(figure, tmp_path / "nested" / "line.png", dpi=40)
    assert path == tmp_path / "nested" / "line.png"
    assert_png(path)
    with pytest.raises(TypeError, match="Figure"):
        save_figure("not a figure", tmp_path / "x.png")
