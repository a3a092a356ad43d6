"""Search spaces: the default Optuna distributions per classifier, and their validation.

Optuna stores categorical choices only as None, bool, int, float or str, so a
tuple of layer sizes such as ``(64, 32)`` travels as the string ``"64-32"``
and is turned back into a tuple before it reaches the estimator.
"""

import difflib
import numbers
import re

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
)
from sklearn.pipeline import Pipeline

__all__ = ["search_space", "check_search_space", "decode_params", "encode_choice", "sample_params"]

_SIZES = re.compile(r"^\d+(-\d+)*$")


def _common():
    return {
        "learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
        "dropout": FloatDistribution(0.0, 0.5),
        "batch_size": CategoricalDistribution([16, 32, 64]),
    }


# Layer sizes: a few shapes that stay small enough for one-second clips on a CPU.
# Two or three pooled conv blocks keep a 13-coefficient MFCC image at least 1 wide.
_DEFAULTS = {
    "cnn": lambda: {
        **_common(),
        "filters": [(16, 16), (32, 32), (16, 32, 64), (32, 32, 32), (32, 64, 64)],
        "dense_units": CategoricalDistribution([32, 64, 128]),
    },
    "lstm": lambda: {
        **_common(),
        "units": [(32,), (64,), (128,), (32, 32), (64, 64)],
        "dense_units": CategoricalDistribution([32, 64, 128]),
    },
    "dense": lambda: {
        **_common(),
        "hidden_layer_sizes": [(64,), (128,), (256,), (128, 64), (256, 128)],
    },
}

_CLASS_KINDS = {"CNNClassifier": "cnn", "LSTMClassifier": "lstm", "DenseClassifier": "dense"}


def encode_choice(value):
    """An Optuna-storable form of one categorical choice (tuples of ints become "64-32")."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, numbers.Integral, float, str)):
        return value
    if (
        isinstance(value, (tuple, list))
        and value
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        return "-".join(str(int(v)) for v in value)
    raise ValueError(
        f"Categorical choice {value!r} cannot be stored by Optuna: use None, bool, int, "
        "float, str, or a non-empty tuple of ints (layer sizes)."
    )


def _decode_sizes(value):
    return tuple(int(part) for part in value.split("-"))


def _as_distribution(name, value):
    if isinstance(value, BaseDistribution):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0:
        return CategoricalDistribution([encode_choice(v) for v in value])
    raise ValueError(
        f"The search space entry {name!r} must be an optuna distribution or a non-empty "
        f"list of choices, got {value!r}."
    )


def _classifier_step(estimator):
    """``(prefix, classifier)``: the final step of (nested) pipelines and its parameter prefix."""
    prefix = ""
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        prefix += f"{name}__"
    return prefix, estimator


def _kind_of(estimator):
    # By class name within sklearn_audio.models, so asking never imports TensorFlow.
    for klass in type(estimator).__mro__:
        if klass.__module__.startswith("sklearn_audio.models") and klass.__name__ in _CLASS_KINDS:
            return _CLASS_KINDS[klass.__name__]
    return None


def search_space(model, prefix=None):
    """The default Optuna search space of one of our classifiers.

    Learning rate (log-uniform), dropout, batch size and the layer sizes of
    the network. Tuple-valued layer sizes are categorical over a few shapes,
    encoded as strings such as ``"64-32"`` (Optuna stores no tuples);
    :func:`tune` and :class:`AudioOptunaSearchCV` turn them back into tuples.
    The number of epochs is not searched: it is the budget, which early
    stopping and pruning spend.

    Parameters
    ----------
    model : {"cnn", "lstm", "dense"} or estimator
        A classifier name, an instance of :class:`~sklearn_audio.CNNClassifier`,
        :class:`~sklearn_audio.LSTMClassifier` or
        :class:`~sklearn_audio.DenseClassifier` (or a subclass), or a
        :class:`~sklearn.pipeline.Pipeline` whose final step is one of them
        (nested pipelines are followed to their last step).
    prefix : str, default=None
        Put in front of every parameter name. ``None`` means ``"clf__"`` for a
        name, ``""`` for a classifier, and ``"<final step name>__"`` for a
        pipeline, so the names fit ``set_params`` of what was passed.

    Returns
    -------
    space : dict of str to optuna.distributions.BaseDistribution
        A fresh dict: edit it freely and pass it as ``param_distributions``.

    Raises
    ------
    ValueError
        For an unknown name, or an estimator that has no default space (pass
        your own ``param_distributions`` for it).

    See Also
    --------
    tune : Run a cross-validated Optuna study.
    AudioOptunaSearchCV : The same search as a scikit-learn estimator.

    Examples
    --------
    >>> from sklearn_audio.tuning import search_space
    >>> space = search_space("dense")
    >>> sorted(space)  # doctest: +NORMALIZE_WHITESPACE
    ['clf__batch_size', 'clf__dropout', 'clf__hidden_layer_sizes', 'clf__learning_rate']
    >>> space["clf__hidden_layer_sizes"].choices
    ('64', '128', '256', '128-64', '256-128')
    >>> space["clf__learning_rate"]
    FloatDistribution(high=0.01, log=True, low=0.0001, step=None)
    """
    if isinstance(model, str):
        kind, default_prefix = model.lower(), "clf__"
        if kind not in _DEFAULTS:
            raise ValueError(f"Unknown classifier {model!r}; choose one of {sorted(_DEFAULTS)}.")
    else:
        default_prefix, classifier = _classifier_step(model)
        kind = _kind_of(classifier)
        if kind is None:
            raise ValueError(
                f"No default search space for {type(classifier).__name__}; defaults exist for "
                f"{sorted(_CLASS_KINDS)}. Pass param_distributions, e.g. "
                "{'clf__alpha': optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True)}."
            )
    prefix = default_prefix if prefix is None else prefix
    defaults = _DEFAULTS[kind]()
    return {f"{prefix}{name}": _as_distribution(name, value) for name, value in defaults.items()}


def check_search_space(estimator, param_distributions):
    """Validate a search space against ``estimator``; return it as Optuna distributions.

    Every name must be a parameter of ``estimator``, as ``get_params(deep=True)``
    lists them, so that a misspelt or unsupported name fails before the study
    starts rather than in every trial. Our classifiers take no routed
    ``optimizer__*`` arguments: their optimiser is set by ``optimizer`` and
    ``learning_rate``. Lists of choices become categorical distributions,
    tuples encoded.

    Parameters
    ----------
    estimator : estimator
        What the parameters are set on.
    param_distributions : dict
        Parameter name to an optuna distribution or a list of choices.

    Returns
    -------
    space : dict of str to optuna.distributions.BaseDistribution

    Raises
    ------
    ValueError
        For an empty space, an entry that is neither a distribution nor a
        non-empty list, or unknown names (all listed, with close matches and
        the valid names).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_audio.tuning import check_search_space
    >>> check_search_space(LogisticRegression(), {"C": [0.1, 1.0]})
    {'C': CategoricalDistribution(choices=(0.1, 1.0))}
    >>> check_search_space(LogisticRegression(), {"c": [0.1, 1.0]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown parameter 'c' (did you mean 'C'?) for LogisticRegression. Valid names: ...
    """
    if not isinstance(param_distributions, dict):
        raise TypeError(
            "param_distributions must be a dict of parameter name to optuna distribution "
            f"or list of choices, got {type(param_distributions).__name__}."
        )
    if not param_distributions:
        raise ValueError(
            "The search space is empty: give at least one parameter to search, e.g. "
            "{'clf__learning_rate': FloatDistribution(1e-4, 1e-2, log=True)}, or "
            "param_distributions=None for the default space of our classifiers."
        )
    params = estimator.get_params(deep=True)
    unknown = [name for name in param_distributions if name not in params]
    if unknown:
        hints = []
        lowered = {name.lower(): name for name in params}
        for name in unknown:
            close = difflib.get_close_matches(name.lower(), lowered, n=1)
            hint = f" (did you mean {lowered[close[0]]!r}?)" if close else ""
            hints.append(f"{name!r}{hint}")
        plural = "s" if len(unknown) > 1 else ""
        raise ValueError(
            f"Unknown parameter{plural} {', '.join(hints)} for {type(estimator).__name__}. "
            f"Valid names: {sorted(params)}."
        )
    return {name: _as_distribution(name, value) for name, value in param_distributions.items()}


def decode_params(estimator, params):
    """Turn encoded layer sizes ("64-32") back into tuples where ``estimator`` holds a tuple.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> from sklearn_audio.tuning._spaces import decode_params
    >>> decode_params(MLPClassifier(), {"hidden_layer_sizes": "64-32", "alpha": 0.1})
    {'hidden_layer_sizes': (64, 32), 'alpha': 0.1}
    """
    current = estimator.get_params(deep=True)
    return {
        name: _decode_sizes(value)
        if isinstance(value, str)
        and _SIZES.match(value)
        and isinstance(current.get(name), (tuple, list))
        else value
        for name, value in params.items()
    }


def sample_params(trial, space):
    """Suggest every parameter of ``space`` on ``trial`` (values still encoded)."""
    out = {}
    for name, dist in space.items():
        if isinstance(dist, CategoricalDistribution):
            out[name] = trial.suggest_categorical(name, dist.choices)
        elif isinstance(dist, FloatDistribution):
            out[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
        else:  # IntDistribution
            out[name] = trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    return out
