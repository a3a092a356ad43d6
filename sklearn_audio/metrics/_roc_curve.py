"""``MulticlassRocCurveDisplay``: one-vs-rest ROC curves with micro and macro averages."""

import numpy as np
from sklearn.metrics import auc, roc_curve

from ._checks import check_fitted_classifier, check_targets
from ._plotting import new_figure
from ._scoring import ovr_roc_auc, warn_undefined_auc

__all__ = ["MulticlassRocCurveDisplay"]

_AVERAGES = ("micro", "macro")


def _curves(y_true, y_proba, labels, average):
    aucs = ovr_roc_auc(y_true, y_proba, labels)
    warn_undefined_auc(labels, aucs)
    fpr, tpr, roc_auc = {}, {}, {}
    # A binary problem has a single curve: its two one-vs-rest curves are mirror images.
    candidates = [1] if len(labels) == 2 else range(len(labels))
    shown = [k for k in candidates if not np.isnan(aucs[k])]
    for k in shown:
        name = str(labels[k])
        fpr[name], tpr[name], _ = roc_curve(y_true == labels[k], y_proba[:, k])
        roc_auc[name] = float(aucs[k])
    if len(labels) == 2 or len(shown) == 0:
        return fpr, tpr, roc_auc
    if "micro" in average:
        onehot = y_true[:, None] == labels[None, :]
        name = "micro-average"
        fpr[name], tpr[name], _ = roc_curve(onehot.ravel(), y_proba.ravel())
        roc_auc[name] = float(auc(fpr[name], tpr[name]))
    if "macro" in average:
        names = [str(labels[k]) for k in shown]
        grid = np.unique(np.concatenate([fpr[name] for name in names]))
        name = "macro-average"
        fpr[name] = grid
        tpr[name] = np.mean([np.interp(grid, fpr[n], tpr[n]) for n in names], axis=0)
        # The mean of the per-class AUCs: the number the report and SCORING give.
        roc_auc[name] = float(np.mean([roc_auc[n] for n in names]))
    return fpr, tpr, roc_auc


class MulticlassRocCurveDisplay:
    """ROC curves of a classifier: one per class (one-vs-rest), plus micro and macro averages.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`. For a
    binary problem only the positive class (the second label) is drawn, as
    its two one-vs-rest curves carry the same information. A class that has
    no positive or no negative sample has no curve and is left out, with an
    :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    The micro-average pools every (sample, class) decision; the macro-average
    curve is the mean true-positive rate of the class curves, and its AUC the
    mean of the per-class AUCs, as in :class:`ClassificationReport` and
    ``SCORING["roc_auc_ovr"]``.

    Parameters
    ----------
    fpr, tpr : dict of str to ndarray
        False- and true-positive rates of each curve, keyed by curve name (a
        class label as str, ``"micro-average"`` or ``"macro-average"``).

    roc_auc : dict of str to float
        Area under each curve.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curves.

    chance_line_ : matplotlib Line2D
        The diagonal of a random classifier.

    ax_ : matplotlib Axes
        Axes drawn on.

    figure_ : matplotlib Figure
        Figure holding the axes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_audio.metrics import MulticlassRocCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
    >>> display = MulticlassRocCurveDisplay.from_estimator(clf, X, y)
    >>> list(display.roc_auc)
    ['0', '1', '2', 'micro-average', 'macro-average']
    """

    def __init__(self, *, fpr, tpr, roc_auc):
        self.fpr = fpr
        self.tpr = tpr
        self.roc_auc = roc_auc

    def plot(self, ax=None, *, chance_level=True):
        """Draw the curves on ``ax``, or on a new figure.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a pyplot-free figure.

        chance_level : bool, default=True
            Draw the diagonal of a classifier that guesses.

        Returns
        -------
        display : MulticlassRocCurveDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_audio.metrics import MulticlassRocCurveDisplay
        >>> display = MulticlassRocCurveDisplay(
        ...     fpr={"yes": np.array([0, 0, 1])}, tpr={"yes": np.array([0, 1, 1])},
        ...     roc_auc={"yes": 1.0})
        >>> display.plot().lines_["yes"].get_label()
        'yes (AUC = 1.000)'
        """
        if ax is None:
            _, (ax,) = new_figure(figsize=(6.0, 5.5))
        averages = {"micro-average": ":", "macro-average": "--"}
        self.lines_ = {}
        for name in self.fpr:
            style = {"color": "black", "linestyle": averages[name]} if name in averages else {}
            (self.lines_[name],) = ax.plot(
                self.fpr[name],
                self.tpr[name],
                label=f"{name} (AUC = {self.roc_auc[name]:.3f})",
                **style,
            )
        self.chance_line_ = None
        if chance_level:
            (self.chance_line_,) = ax.plot([0, 1], [0, 1], color="0.6", lw=1, label="chance")
        ax.set(
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
            xlabel="False positive rate",
            ylabel="True positive rate",
            aspect="equal",
        )
        ax.legend(loc="lower right", fontsize="small" if len(self.lines_) > 6 else None)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_predictions(
        cls, y_true, y_proba, *, labels=None, average=_AVERAGES, ax=None, chance_level=True
    ):
        """Compute and plot the ROC curves from true labels and probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.

        y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
            Probabilities (or any scores), columns in the order of ``labels``;
            a 1-D array on a binary problem scores ``labels[1]``.

        labels : array-like of shape (n_classes,), default=None
            Class of each column; defaults to the sorted labels of ``y_true``.

        average : tuple of {"micro", "macro"}, default=("micro", "macro")
            Which averaged curves to add (multiclass only).

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        chance_level : bool, default=True
            Draw the diagonal of a classifier that guesses.

        Returns
        -------
        display : MulticlassRocCurveDisplay

        Examples
        --------
        >>> from sklearn_audio.metrics import MulticlassRocCurveDisplay
        >>> display = MulticlassRocCurveDisplay.from_predictions(
        ...     ["no", "yes", "yes", "no"], [0.2, 0.9, 0.4, 0.6])
        >>> display.roc_auc
        {'yes': 0.75}
        """
        unknown = set(average) - set(_AVERAGES)
        if unknown or isinstance(average, str):
            raise ValueError(
                f"average must be a tuple drawn from {_AVERAGES}, got {average!r}."
            )
        y_true, _, y_proba, labels = check_targets(y_true, y_proba=y_proba, labels=labels)
        if y_proba is None:
            raise ValueError("y_proba is required.")
        fpr, tpr, roc_auc = _curves(y_true, y_proba, labels, average)
        return cls(fpr=fpr, tpr=tpr, roc_auc=roc_auc).plot(ax=ax, chance_level=chance_level)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, average=_AVERAGES, ax=None, chance_level=True):
        """Plot the ROC curves of a fitted classifier's ``predict_proba`` on ``X`` and ``y``.

        Parameters
        ----------
        estimator : fitted classifier
            Must have ``predict_proba`` and ``classes_``.

        X : array-like
            Input accepted by the estimator.

        y : array-like of shape (n_samples,)
            True labels.

        average : tuple of {"micro", "macro"}, default=("micro", "macro")
            Which averaged curves to add (multiclass only).

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        chance_level : bool, default=True
            Draw the diagonal of a classifier that guesses.

        Returns
        -------
        display : MulticlassRocCurveDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_audio.metrics import MulticlassRocCurveDisplay
        >>> X, y = make_classification(random_state=0)
        >>> y = np.where(y == 1, "speech", "music")
        >>> clf = LogisticRegression().fit(X, y)
        >>> display = MulticlassRocCurveDisplay.from_estimator(clf, X, y)
        >>> list(display.lines_)
        ['speech']
        """
        labels = check_fitted_classifier(estimator, "MulticlassRocCurveDisplay.from_estimator")
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(f"{type(estimator).__name__} has no predict_proba.")
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            labels=labels,
            average=average,
            ax=ax,
            chance_level=chance_level,
        )
