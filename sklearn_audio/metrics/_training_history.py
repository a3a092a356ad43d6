"""``TrainingHistoryDisplay``: loss and metrics per epoch, training versus validation."""

from collections.abc import Mapping

import numpy as np

from ._plotting import as_axes_array, new_figure

__all__ = ["TrainingHistoryDisplay"]


def _check_history(history):
    # A keras.callbacks.History keeps its dict in .history.
    history = getattr(history, "history", history)
    if not isinstance(history, Mapping) or not history:
        raise ValueError(
            "history must be a non-empty dict of per-epoch values such as "
            "{'loss': [...], 'val_loss': [...]}, got "
            f"{type(history).__name__}."
        )
    checked = {}
    for key, values in history.items():
        try:
            values = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"history[{key!r}] is not a sequence of numbers.") from exc
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"history[{key!r}] must be a non-empty 1-D sequence.")
        checked[str(key)] = values
    return checked


def _panels(history):
    """Metric names, loss first; the panel of ``name`` also shows ``val_name``."""
    names = []
    for key in history:
        name = key.removeprefix("val_")
        if name not in names:
            names.append(name)
    return sorted(names, key=lambda name: name != "loss")


class TrainingHistoryDisplay:
    """Training curves: one panel per metric (loss first), training versus validation.

    Build it with :meth:`from_estimator` (any estimator with a ``history_``
    dict, such as sklearn-audio's Keras classifiers) or :meth:`from_history`.
    Keys follow Keras: ``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy`` and any other metric with its ``val_`` twin. Epochs are
    numbered from 1.

    Parameters
    ----------
    history : dict of str to sequence of float
        Per-epoch values by metric name.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curve of each history key.

    ax_ : ndarray of matplotlib Axes
        One panel per metric.

    figure_ : matplotlib Figure
        Figure holding the panels.

    Examples
    --------
    >>> from sklearn_audio.metrics import TrainingHistoryDisplay
    >>> history = {"loss": [1.2, 0.8, 0.6], "val_loss": [1.3, 0.9, 1.0],
    ...            "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.6]}
    >>> display = TrainingHistoryDisplay.from_history(history, loss_scale="log")
    >>> [ax.get_title() for ax in display.ax_]
    ['loss', 'accuracy']
    >>> display.best_epoch
    2
    """

    def __init__(self, history):
        self.history = _check_history(history)

    @property
    def best_epoch(self):
        """int or None: epoch (from 1) with the lowest ``val_loss``; None without one."""
        val_loss = self.history.get("val_loss")
        if val_loss is None or np.isnan(val_loss).all():
            return None
        return int(np.nanargmin(val_loss)) + 1

    def plot(self, ax=None, *, loss_scale="linear", mark_best=True):
        """Draw one panel per metric on ``ax``, or on a new figure.

        Parameters
        ----------
        ax : sequence of matplotlib Axes, default=None
            One Axes per metric (a single Axes when there is one metric);
            None creates a pyplot-free figure with the panels side by side.

        loss_scale : {"linear", "log"}, default="linear"
            Y scale of the loss panels; "log" shows late, small improvements.

        mark_best : bool, default=True
            Draw a vertical line at :attr:`best_epoch`, the epoch early
            stopping with ``restore_best_weights`` would keep.

        Returns
        -------
        display : TrainingHistoryDisplay

        Examples
        --------
        >>> from sklearn_audio.metrics import TrainingHistoryDisplay
        >>> display = TrainingHistoryDisplay({"loss": [0.9, 0.5]}).plot()
        >>> list(display.lines_)
        ['loss']
        """
        if loss_scale not in ("linear", "log"):
            raise ValueError(f"loss_scale must be 'linear' or 'log', got {loss_scale!r}.")
        from matplotlib.ticker import MaxNLocator

        panels = _panels(self.history)
        if ax is None:
            _, axes = new_figure(len(panels), figsize=(4.5 * len(panels), 3.8))
        else:
            axes = as_axes_array(ax, len(panels), "TrainingHistoryDisplay")
        best = self.best_epoch if mark_best else None
        self.lines_ = {}
        for axis, name in zip(axes, panels):
            curves = [(name, "training", "-"), (f"val_{name}", "validation", "--")]
            for key, label, style in curves:
                if key in self.history:
                    values = self.history[key]
                    epochs = np.arange(1, len(values) + 1)
                    (self.lines_[key],) = axis.plot(epochs, values, style, label=label)
            if best is not None:
                axis.axvline(best, color="0.5", lw=1, ls=":", label=f"best epoch ({best})")
            if loss_scale == "log" and name.endswith("loss"):
                axis.set_yscale("log")
            axis.set(title=name, xlabel="epoch", ylabel=name)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.legend(fontsize="small")
        self.ax_ = axes
        self.figure_ = axes[0].figure
        return self

    @classmethod
    def from_history(cls, history, *, ax=None, loss_scale="linear", mark_best=True):
        """Plot a history dict (or a ``keras.callbacks.History``).

        Parameters
        ----------
        history : dict of str to sequence of float, or keras History
            Per-epoch values by metric name.

        ax : sequence of matplotlib Axes, default=None
            One Axes per metric; None creates a new figure.

        loss_scale : {"linear", "log"}, default="linear"
            Y scale of the loss panels.

        mark_best : bool, default=True
            Mark the epoch with the lowest ``val_loss``.

        Returns
        -------
        display : TrainingHistoryDisplay

        Examples
        --------
        >>> from sklearn_audio.metrics import TrainingHistoryDisplay
        >>> display = TrainingHistoryDisplay.from_history({"loss": [0.9, 0.5, 0.4]})
        >>> display.lines_["loss"].get_xdata().tolist()
        [1, 2, 3]
        """
        return cls(history).plot(ax=ax, loss_scale=loss_scale, mark_best=mark_best)

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, loss_scale="linear", mark_best=True):
        """Plot the ``history_`` of a fitted estimator, or of a Pipeline's last step.

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
            Has (or ends in a step that has) a ``history_`` dict, as
            sklearn-audio's Keras classifiers do after ``fit``.

        ax : sequence of matplotlib Axes, default=None
            One Axes per metric; None creates a new figure.

        loss_scale : {"linear", "log"}, default="linear"
            Y scale of the loss panels.

        mark_best : bool, default=True
            Mark the epoch with the lowest ``val_loss``.

        Returns
        -------
        display : TrainingHistoryDisplay

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from sklearn_audio.metrics import TrainingHistoryDisplay
        >>> fitted = SimpleNamespace(history_={"loss": [0.7, 0.4], "accuracy": [0.6, 0.9]})
        >>> len(TrainingHistoryDisplay.from_estimator(fitted).ax_)
        2
        """
        if not hasattr(estimator, "history_") and hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        if not hasattr(estimator, "history_"):
            raise ValueError(
                f"{type(estimator).__name__} has no history_: fit it first (Keras "
                "classifiers record one), or pass the dict to from_history."
            )
        return cls.from_history(
            estimator.history_, ax=ax, loss_scale=loss_scale, mark_best=mark_best
        )
