"""TensorFlow imported without its start-up lines on stderr, unless the user asked for them.

At import TensorFlow's C++ side prints lines a command-line user cannot act on
(``WARNING: All log messages before absl::InitializeLog() ...``, ``Could not
find cuda drivers``) and, at the first operation on a machine without a GPU,
``failed call to cuInit: ... UNKNOWN ERROR (303)``. The first two are written
before any log level is read, so the only way to hide them is to point file
descriptor 2 elsewhere while ``import tensorflow`` runs; the third is an
ERROR-level log that ``TF_CPP_MIN_LOG_LEVEL=3`` filters.

A user who sets ``TF_CPP_MIN_LOG_LEVEL`` themselves gets exactly what they
asked for: nothing is redirected then, and their level is kept.
"""

import contextlib
import os
import sys

_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
# Whether the user set the level before the command ran; None outside a command.
_user_level = None
# absl's verbosity before the command lowered it; None when it did not.
_absl_before = None


def configure_logging():
    """Default ``TF_CPP_MIN_LOG_LEVEL`` to 3 (errors too) unless the user set it.

    Must run before TensorFlow is imported: the level is read once, at import.
    """
    global _user_level
    if _user_level is None:
        _user_level = _LEVEL in os.environ
    os.environ.setdefault(_LEVEL, "3")


@contextlib.contextmanager
def quiet_logging():
    """:func:`configure_logging` for the length of one command, then the caller's state back.

    ``main`` may run inside a notebook or a test: the environment variable and
    absl's verbosity are restored when the command ends.
    """
    global _user_level, _absl_before
    saved_level, saved_user = os.environ.get(_LEVEL), _user_level
    _user_level = None
    configure_logging()
    try:
        yield
    finally:
        if saved_level is None:
            os.environ.pop(_LEVEL, None)
        else:
            os.environ[_LEVEL] = saved_level
        _user_level = saved_user
        if _absl_before is not None:
            from absl import logging as absl_logging

            absl_logging.set_verbosity(_absl_before)
            _absl_before = None


@contextlib.contextmanager
def stderr_fd_silenced():
    """Point file descriptor 2 at the null device; Python's own errors still surface.

    Only the C++ lines are lost: an exception raised inside the block is
    printed by the caller after the descriptor is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def import_tensorflow_quietly():
    """Import TensorFlow and Keras now, silencing their start-up lines (see the module doc).

    Call it just before the first use of a Keras model (training, loading a
    saved pipeline), after every quick check of the command's input, so that
    a mistake is reported without paying TensorFlow's start-up.
    """
    if "tensorflow" in sys.modules:
        return
    configure_logging()
    if _user_level:
        import keras  # noqa: F401  (the user asked for TensorFlow's own logging)

        return
    with stderr_fd_silenced():
        import keras  # noqa: F401
    try:
        from absl import logging as absl_logging
    except ImportError:  # pragma: no cover - absl comes with TensorFlow
        return
    # absl's Python logger repeats warnings meant for TensorFlow developers.
    global _absl_before
    if _absl_before is None:
        _absl_before = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
