"""Metrics, reports and plots for audio classifiers.

* :data:`SCORING`: scorers for multi-metric ``GridSearchCV`` and
  ``cross_validate``.
* :func:`evaluate` and :class:`ClassificationReport`: every metric of one
  evaluation, per class and averaged.
* :func:`cross_validate_report`: every metric as mean ± std over folds.
* Displays in scikit-learn's style, drawn on pyplot-free figures (headless):
  :class:`ConfusionMatrixDisplay`, :class:`MulticlassRocCurveDisplay`,
  :class:`TrainingHistoryDisplay`, :class:`ParameterSweepDisplay`, and
  :func:`save_figure`.

matplotlib is imported only when something is drawn.
"""

from ._confusion_matrix import ConfusionMatrixDisplay
from ._cross_validation import CrossValidationReport, cross_validate_report
from ._plotting import save_figure
from ._report import ClassificationReport, evaluate
from ._roc_curve import MulticlassRocCurveDisplay
from ._scoring import SCORING
from ._search_sweep import ParameterSweepDisplay
from ._training_history import TrainingHistoryDisplay

__all__ = [
    "SCORING",
    "ClassificationReport",
    "ConfusionMatrixDisplay",
    "CrossValidationReport",
    "MulticlassRocCurveDisplay",
    "ParameterSweepDisplay",
    "TrainingHistoryDisplay",
    "cross_validate_report",
    "evaluate",
    "save_figure",
]
