"""``ParameterSweepDisplay``: cross-validated score against one searched parameter."""

import numbers

import numpy as np

from ._plotting import new_figure

__all__ = ["ParameterSweepDisplay"]


def _hashable(value):
    # Lists and arrays (e.g. layer sizes read back from JSON) group like tuples.
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(item) for item in value)
    return value.item() if isinstance(value, np.generic) else value


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _order(value):
    """Sort key: numbers; tuples of numbers by total (e.g. units), then depth; the rest; None."""
    if _is_number(value):
        return (0, float(value), 0, "")
    if isinstance(value, tuple) and all(_is_number(item) for item in value):
        return (1, float(sum(value)), len(value), str(value))
    return (2 if value is not None else 3, 0.0, 0, str(value))


def _metric_names(cv_results):
    return [key.removeprefix("mean_test_") for key in cv_results if key.startswith("mean_test_")]


def _resolve_scoring(cv_results, scoring, refit):
    names = _metric_names(cv_results)
    if scoring is None:
        if names == ["score"]:
            return "score", "score"
        if isinstance(refit, str) and refit in names:
            return refit, refit
        raise ValueError(f"These results hold several metrics; pass scoring, one of {names}.")
    if scoring in names:
        return scoring, scoring
    if names == ["score"]:
        # A single-metric search stores its metric as "score"; keep the given name for the label.
        return "score", scoring
    raise ValueError(f"No metric {scoring!r} in these results; choose one of {names}.")


def _resolve_param(cv_results, param):
    """Return ``(param, other parameters that vary)``."""
    varying = [
        key.removeprefix("param_")
        for key in cv_results
        if key.startswith("param_") and len({repr(v) for v in cv_results[key]}) > 1
    ]
    if param is None:
        if len(varying) != 1:
            raise ValueError(f"Several parameters vary {varying}; pass param, one of them.")
        param = varying[0]
    elif f"param_{param}" not in cv_results:
        searched = [key.removeprefix("param_") for key in cv_results if key.startswith("param_")]
        raise ValueError(f"Parameter {param!r} was not searched; choose one of {searched}.")
    return param, [name for name in varying if name != param]


def _profile(values, mask, means, stds, extra):
    """For each distinct value, the candidate with the best mean score (over other parameters)."""
    best = {}
    for i, value in enumerate(values):
        if mask[i] or np.isnan(means[i]):
            continue
        key = _hashable(value)
        if key not in best or means[i] > means[best[key]]:
            best[key] = i
    keys = sorted(best, key=_order)
    rows = [best[key] for key in keys]
    return keys, means[rows], stds[rows], [None if e is None else e[rows] for e in extra]


class ParameterSweepDisplay:
    """Mean cross-validated score (± one std over folds) against one searched parameter.

    Build it with :meth:`from_search` on a fitted
    :class:`~sklearn.model_selection.GridSearchCV` or
    :class:`~sklearn.model_selection.RandomizedSearchCV`, or with
    :meth:`from_cv_results` on its ``cv_results_`` (also as read back from
    JSON). When other parameters vary too, each value shows the best
    candidate among those that share it, so the curve is the search's
    profile along that parameter.

    Numeric values go on a numeric axis (logarithmic when they are positive
    and span a factor of 10 or more, such as learning rates) with the spread
    as a band. Other values, such as layer sizes ``(32, 32)``, strings or
    None, go on a categorical axis labelled with each value (tuples of
    numbers ordered by their sum, then length, so bigger networks sit
    further right) with error bars.

    Parameters
    ----------
    param_values : list
        The distinct parameter values, in plotting order.

    mean_test_score, std_test_score : ndarray of shape (n_values,)
        Score of the best candidate at each value.

    param_name : str
        Parameter name, such as ``"clf__learning_rate"``; the x label.

    score_name : str
        Metric name; the y label.

    mean_train_score, std_train_score : ndarray of shape (n_values,), default=None
        Training scores of the same candidates, when the search recorded them.

    other_params : list of str, default=()
        The other parameters that varied in the search; when there are any,
        the title says each point is the best over them.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The cross-validation curve.

    spread_ : matplotlib artist
        The ± std band (numeric axis) or error bars (categorical axis).

    train_line_ : matplotlib Line2D or None
        The training curve.

    ax_ : matplotlib Axes
        Axes drawn on.

    figure_ : matplotlib Figure
        Figure holding the axes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_audio.metrics import ParameterSweepDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GridSearchCV(LogisticRegression(max_iter=1000), {"C": [0.01, 0.1, 1.0]}, cv=3)
    >>> display = ParameterSweepDisplay.from_search(search.fit(X, y), "C")
    >>> display.ax_.get_xscale()
    'log'
    """

    def __init__(
        self,
        *,
        param_values,
        mean_test_score,
        std_test_score,
        param_name,
        score_name,
        mean_train_score=None,
        std_train_score=None,
        other_params=(),
    ):
        self.param_values = list(param_values)
        self.mean_test_score = np.asarray(mean_test_score, dtype=float)
        self.std_test_score = np.asarray(std_test_score, dtype=float)
        self.param_name = param_name
        self.score_name = score_name
        self.mean_train_score = mean_train_score
        self.std_train_score = std_train_score
        self.other_params = list(other_params)

    def plot(self, ax=None, *, xscale="auto"):
        """Draw the sweep on ``ax``, or on a new figure.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a pyplot-free figure.

        xscale : {"auto", "linear", "log"}, default="auto"
            Scale of a numeric axis; "auto" picks "log" for positive values
            spanning a factor of 10 or more. Ignored for categorical values.

        Returns
        -------
        display : ParameterSweepDisplay

        Examples
        --------
        >>> from sklearn_audio.metrics import ParameterSweepDisplay
        >>> display = ParameterSweepDisplay(
        ...     param_values=[(32,), (32, 32), (64, 64)], mean_test_score=[0.7, 0.8, 0.75],
        ...     std_test_score=[0.05, 0.02, 0.04], param_name="clf__hidden", score_name="f1_macro")
        >>> [t.get_text() for t in display.plot().ax_.get_xticklabels()]
        ['(32,)', '(32, 32)', '(64, 64)']
        """
        if xscale not in ("auto", "linear", "log"):
            raise ValueError(f"xscale must be 'auto', 'linear' or 'log', got {xscale!r}.")
        if ax is None:
            _, (ax,) = new_figure(figsize=(6.0, 4.0))
        numeric = all(_is_number(value) for value in self.param_values)
        x = (
            np.asarray(self.param_values, dtype=float)
            if numeric
            else np.arange(len(self.param_values))
        )
        mean, std = self.mean_test_score, self.std_test_score
        (self.line_,) = ax.plot(x, mean, "o-", label="cross-validation")
        color = self.line_.get_color()
        if numeric:
            self.spread_ = ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2)
        else:
            self.spread_ = ax.errorbar(x, mean, yerr=std, fmt="none", ecolor=color, capsize=4)
        self.train_line_ = None
        if self.mean_train_score is not None:
            (self.train_line_,) = ax.plot(
                x, self.mean_train_score, "s--", color=color, alpha=0.6, label="training"
            )
        best = int(np.nanargmax(mean))
        ax.plot(x[best], mean[best], "*", ms=14, color="tab:red", label="best", zorder=3)
        if numeric:
            positive = np.all(x > 0)
            if xscale == "log" or (xscale == "auto" and positive and x.max() >= 10 * x.min()):
                ax.set_xscale("log")
        else:
            labels = [str(value) for value in self.param_values]
            rotate = sum(map(len, labels)) > 40
            ax.set_xticks(
                x, labels, rotation=30 if rotate else 0, ha="right" if rotate else "center"
            )
        ax.set(xlabel=self.param_name, ylabel=f"{self.score_name} (mean ± std)")
        if self.other_params:
            ax.set_title(f"best over {', '.join(self.other_params)}", fontsize="small")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_cv_results(
        cls, cv_results, param=None, *, scoring=None, refit=None, ax=None, xscale="auto"
    ):
        """Plot a sweep from a search's ``cv_results_`` dict.

        Parameters
        ----------
        cv_results : dict
            ``cv_results_`` of a fitted search, or the same dict read back
            from JSON.

        param : str, default=None
            Parameter on the x axis, without the ``param_`` prefix (for a
            Pipeline, ``"clf__learning_rate"``). None picks the only parameter
            that varies.

        scoring : str, default=None
            Metric of a multi-metric search (a key of the scoring dict, such
            as ``"f1_macro"``); None means the only metric, or ``refit``.

        refit : str, default=None
            Metric to use when ``scoring`` is None and there are several.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        xscale : {"auto", "linear", "log"}, default="auto"
            Scale of a numeric axis.

        Returns
        -------
        display : ParameterSweepDisplay

        Raises
        ------
        ValueError
            If ``param`` was not searched or ``scoring`` is not in the results.

        Examples
        --------
        >>> from sklearn_audio.metrics import ParameterSweepDisplay
        >>> results = {"param_alpha": [0.1, 1.0, 0.1, 1.0], "param_units": [8, 8, 16, 16],
        ...            "mean_test_score": [0.6, 0.7, 0.8, 0.75],
        ...            "std_test_score": [0.1, 0.1, 0.05, 0.02]}
        >>> display = ParameterSweepDisplay.from_cv_results(results, "alpha")
        >>> display.mean_test_score.tolist()
        [0.8, 0.75]
        """
        param, other_params = _resolve_param(cv_results, param)
        key, score_name = _resolve_scoring(cv_results, scoring, refit)
        values = list(cv_results[f"param_{param}"])
        # scikit-learn masks the candidates that do not set this parameter (list of grids).
        mask = np.ma.getmask(cv_results[f"param_{param}"])
        mask = np.zeros(len(values), dtype=bool) if mask is np.ma.nomask else mask

        def column(name):
            return np.asarray(cv_results[name], dtype=float) if name in cv_results else None

        train = [column(f"mean_train_{key}"), column(f"std_train_{key}")]
        keys, mean, std, (mean_train, std_train) = _profile(
            values, mask, column(f"mean_test_{key}"), column(f"std_test_{key}"), train
        )
        if not keys:
            raise ValueError(f"No candidate with a finite {score_name!r} to plot.")
        display = cls(
            param_values=keys,
            mean_test_score=mean,
            std_test_score=std,
            param_name=param,
            score_name=score_name,
            mean_train_score=mean_train,
            std_train_score=std_train,
            other_params=other_params,
        )
        return display.plot(ax=ax, xscale=xscale)

    @classmethod
    def from_search(cls, search, param=None, *, scoring=None, ax=None, xscale="auto"):
        """Plot a sweep from a fitted GridSearchCV or RandomizedSearchCV.

        Parameters
        ----------
        search : fitted search estimator
            Anything with ``cv_results_`` in scikit-learn's format.

        param : str, default=None
            Parameter on the x axis (``"clf__learning_rate"``); None picks the
            only parameter that varies.

        scoring : str, default=None
            Metric of a multi-metric search; None means the metric the
            search refits on (``refit="f1_macro"``) or its only metric.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        xscale : {"auto", "linear", "log"}, default="auto"
            Scale of a numeric axis.

        Returns
        -------
        display : ParameterSweepDisplay

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.model_selection import GridSearchCV
        >>> from sklearn.neural_network import MLPClassifier
        >>> from sklearn_audio.metrics import SCORING, ParameterSweepDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> grid = {"hidden_layer_sizes": [(4,), (4, 4)], "max_iter": [20]}
        >>> search = GridSearchCV(MLPClassifier(random_state=0), grid, cv=2,
        ...                       scoring=SCORING, refit="f1_macro")
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # 20 epochs of an MLP do not converge
        ...     display = ParameterSweepDisplay.from_search(search.fit(X, y))
        >>> display.param_values, display.score_name
        ([(4,), (4, 4)], 'f1_macro')
        """
        if not hasattr(search, "cv_results_"):
            raise ValueError(
                f"{type(search).__name__} has no cv_results_; pass a fitted GridSearchCV "
                "or RandomizedSearchCV."
            )
        refit = search.refit if isinstance(getattr(search, "refit", None), str) else None
        if scoring is None and refit is None and isinstance(getattr(search, "scoring", None), str):
            scoring = search.scoring
        return cls.from_cv_results(
            search.cv_results_, param, scoring=scoring, refit=refit, ax=ax, xscale=xscale
        )
