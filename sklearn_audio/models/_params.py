"""Parameter checks run at ``fit``: one clear ValueError per bad value.

Parameters are stored untouched by ``__init__`` (scikit-learn convention, so
``clone`` and ``set_params`` work) and validated here.
"""

import numbers

import numpy as np

__all__ = [
    "check_int",
    "check_real",
    "check_bool",
    "check_choice",
    "check_layer_sizes",
    "check_class_weight",
    "check_feature_masks",
]


def _name(estimator, param):
    return f"{type(estimator).__name__}.{param}"


def check_int(estimator, param, low, *, allow_none=False):
    """An integer >= ``low`` (bools are refused: ``True`` is not a count)."""
    value = getattr(estimator, param)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        extra = " or None" if allow_none else ""
        raise ValueError(
            f"{_name(estimator, param)} must be an integer >= {low}{extra}, got {value!r}."
        )
    return int(value)


def check_real(estimator, param, low, high=None, *, low_open=False, high_open=True):
    """A real number in the interval [low, high) (bounds as given)."""
    value = getattr(estimator, param)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        upper = "inf" if high is None else high
        raise ValueError(
            f"{_name(estimator, param)} must be a number in {left}{low}, {upper}{right}, "
            f"got {value!r}."
        )
    return float(value)


def check_bool(estimator, param):
    value = getattr(estimator, param)
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{_name(estimator, param)} must be True or False, got {value!r}.")
    return bool(value)


def check_choice(estimator, param, choices):
    value = getattr(estimator, param)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{_name(estimator, param)} must be one of {sorted(choices)}, got {value!r}."
        )
    return value


def check_layer_sizes(estimator, param, *, allow_empty=False):
    """A positive int or a sequence of positive ints, returned as a tuple."""
    value = getattr(estimator, param)
    sizes = (value,) if isinstance(value, numbers.Integral) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    valid = sizes is not None and all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
    )
    if not valid or (not sizes and not allow_empty):
        what = "a positive integer or a sequence of positive integers"
        if allow_empty:
            what += " (possibly empty)"
        raise ValueError(f"{_name(estimator, param)} must be {what}, got {value!r}.")
    return tuple(int(s) for s in sizes)


def check_class_weight(estimator, classes):
    """``None``, ``"balanced"`` or a dict whose keys are known classes."""
    value = estimator.class_weight
    if value is None or (isinstance(value, str) and value == "balanced"):
        return value
    if not isinstance(value, dict):
        raise ValueError(
            f"{_name(estimator, 'class_weight')} must be None, 'balanced' or a dict "
            f"{{class: weight}}, got {value!r}."
        )
    unknown = [key for key in value if key not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"{_name(estimator, 'class_weight')} has keys {unknown!r} that are not classes "
            f"in y; classes are {classes.tolist()!r}."
        )
    return value


def check_feature_masks(estimator):
    """``(time_masks, freq_masks, mask_fraction)``: SpecAugment's checked parameters."""
    return (
        check_int(estimator, "time_masks", 0),
        check_int(estimator, "freq_masks", 0),
        check_real(estimator, "mask_fraction", 0, 1, low_open=True, high_open=False),
    )
