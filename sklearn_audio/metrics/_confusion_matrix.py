"""``ConfusionMatrixDisplay``: scikit-learn's display on a pyplot-free figure."""

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay as _SklearnConfusionMatrixDisplay

from ._plotting import new_figure

__all__ = ["ConfusionMatrixDisplay"]

_NORMALIZE_AXIS = {"true": 1, "pred": 0, "all": None}


class ConfusionMatrixDisplay(_SklearnConfusionMatrixDisplay):
    """Confusion matrix plot: :class:`sklearn.metrics.ConfusionMatrixDisplay`, headless.

    The same API as scikit-learn's display (``from_estimator``,
    ``from_predictions`` with ``normalize=None | "true" | "pred" | "all"``,
    ``plot``), with two differences: without ``ax``, it draws on a new
    pyplot-free figure sized to the number of classes, and
    :meth:`from_report` plots the matrix of a :class:`ClassificationReport`
    without predicting again.

    Parameters
    ----------
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Counts or fractions; rows are true labels, columns predicted ones.

    display_labels : ndarray of shape (n_classes,), default=None
        Tick labels; None means ``0 .. n_classes - 1``.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The matrix image.

    text_ : ndarray of matplotlib Text, or None
        The cell annotations.

    ax_ : matplotlib Axes
        Axes drawn on.

    figure_ : matplotlib Figure
        Figure holding the axes.

    Examples
    --------
    >>> from sklearn_audio.metrics import ConfusionMatrixDisplay
    >>> display = ConfusionMatrixDisplay.from_predictions(
    ...     ["cat", "dog", "dog", "cat"], ["cat", "dog", "cat", "cat"], normalize="true")
    >>> display.confusion_matrix.tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    >>> display.ax_.get_xlabel()
    'Predicted label'
    """

    def plot(self, *, ax=None, **kwargs):
        """Draw the matrix on ``ax``, or on a new figure.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a pyplot-free figure whose size
            grows with the number of classes.

        **kwargs : dict
            ``include_values``, ``cmap``, ``xticks_rotation``,
            ``values_format``, ``colorbar``, ``im_kw`` and ``text_kw``, as in
            :meth:`sklearn.metrics.ConfusionMatrixDisplay.plot`.

        Returns
        -------
        display : ConfusionMatrixDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_audio.metrics import ConfusionMatrixDisplay
        >>> display = ConfusionMatrixDisplay(np.array([[3, 1], [0, 4]]), display_labels=["a", "b"])
        >>> display.plot(cmap="Blues").figure_.get_size_inches().tolist()
        [6.0, 5.0]
        """
        if ax is None:
            side = min(4.0 + 0.5 * len(self.confusion_matrix), 12.0)
            _, (ax,) = new_figure(figsize=(side + 1.0, side))
        return super().plot(ax=ax, **kwargs)

    @classmethod
    def from_report(cls, report, *, normalize=None, ax=None, **kwargs):
        """Plot the confusion matrix of a :class:`ClassificationReport`.

        Parameters
        ----------
        report : ClassificationReport
            For example from :func:`evaluate`.

        normalize : {"true", "pred", "all"}, default=None
            Divide the counts by the row sums (recall on the diagonal), the
            column sums (precision on the diagonal) or the total; a row or
            column without samples stays 0, as in scikit-learn.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConfusionMatrixDisplay

        Examples
        --------
        >>> from sklearn_audio.metrics import ClassificationReport, ConfusionMatrixDisplay
        >>> report = ClassificationReport.from_predictions(["a", "b", "b"], ["a", "a", "b"])
        >>> display = ConfusionMatrixDisplay.from_report(report, normalize="pred")
        >>> display.confusion_matrix.tolist()
        [[0.5, 0.0], [0.5, 1.0]]
        """
        if normalize not in _NORMALIZE_AXIS and normalize is not None:
            raise ValueError(
                f"normalize must be one of 'true', 'pred', 'all' or None, got {normalize!r}."
            )
        cm = np.asarray(report.confusion_matrix, dtype=float if normalize else int)
        if normalize:
            totals = cm.sum(axis=_NORMALIZE_AXIS[normalize], keepdims=True)
            cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
        display = cls(confusion_matrix=cm, display_labels=report.labels)
        return display.plot(ax=ax, **kwargs)
