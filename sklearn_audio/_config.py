"""sklearn-audio's global switches: visible, settable, and scoped.

Two Keras workarounds in :mod:`sklearn_audio.models` change how a fit runs,
never what it computes. Each is on by default and can be switched off here,
for the whole process (:func:`set_config`) or for a block
(:func:`config_context`), for example to rule one out when debugging:

``reuse_trainers``
    Train on a cached, already traced copy of the network per architecture
    (see :func:`sklearn_audio.models.clear_trainer_cache`), so that a sweep
    over learning rates and folds traces each architecture once. Off: every
    fit trains its own ``model_`` and traces its own graphs.
``avoid_graph_leak``
    Skip the gradient all-reduce of Keras's TensorFlow optimizer when there
    is one replica; otherwise each traced fit leaves its whole training graph
    in TensorFlow's process-wide gradient registry (about 17 MB per fit of a
    small CNN).
"""

import contextlib
import threading

__all__ = ["get_config", "set_config", "config_context"]

_DEFAULTS = {"reuse_trainers": True, "avoid_graph_leak": True}
_config = dict(_DEFAULTS)
_lock = threading.Lock()


def get_config():
    """The current values of sklearn-audio's global switches.

    Returns
    -------
    config : dict
        A copy: changing it changes nothing; use :func:`set_config`.

    Examples
    --------
    >>> import sklearn_audio
    >>> sklearn_audio.get_config()
    {'reuse_trainers': True, 'avoid_graph_leak': True}
    """
    with _lock:
        return dict(_config)


def set_config(*, reuse_trainers=None, avoid_graph_leak=None):
    """Set sklearn-audio's global switches for the whole process.

    Parameters
    ----------
    reuse_trainers : bool, default=None
        Train on a cached, already traced network per architecture.
    avoid_graph_leak : bool, default=None
        Skip the one-replica gradient all-reduce that leaks a graph per fit.

    ``None`` leaves a switch as it is. The switches change speed and memory,
    never results (the tests compare predictions with each on and off).

    Examples
    --------
    >>> import sklearn_audio
    >>> sklearn_audio.set_config(reuse_trainers=False)
    >>> sklearn_audio.get_config()["reuse_trainers"]
    False
    >>> sklearn_audio.set_config(reuse_trainers=True)
    """
    given = {
        "reuse_trainers": reuse_trainers,
        "avoid_graph_leak": avoid_graph_leak,
    }
    for name, value in given.items():
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{name} must be True, False or None, got {value!r}.")
    with _lock:
        _config.update({k: v for k, v in given.items() if v is not None})


@contextlib.contextmanager
def config_context(**switches):
    """Set sklearn-audio's switches inside a ``with`` block, restoring them after.

    Parameters
    ----------
    **switches : bool
        As for :func:`set_config`.

    Examples
    --------
    >>> import sklearn_audio
    >>> with sklearn_audio.config_context(reuse_trainers=False):
    ...     sklearn_audio.get_config()["reuse_trainers"]
    False
    >>> sklearn_audio.get_config()["reuse_trainers"]
    True
    """
    before = get_config()
    set_config(**switches)
    try:
        yield
    finally:
        set_config(**before)
