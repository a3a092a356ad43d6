"""Reuse traced training graphs across fits of the same network.

Keras traces a model's training step into a TensorFlow graph
on its first ``fit``: about a second for a small network, more than a few
epochs of training it. A grid search or an Optuna study fits the same
architecture for every learning rate and every fold, each on a new model,
and so traces again and again.

So training runs on a cached *trainer*: a compiled copy of the network that
has already traced its training graph. Before each fit the
trainer takes the new model's state (initial weights, normalisation
statistics, random-seed states) and a freshly initialised optimizer state;
after the fit the trained weights and optimizer state are copied back into
the new model, which the estimator keeps. Identical configuration means identical graphs, so
nothing is traced again; results are the same as training the new model
itself.

The cache is keyed by the model's full Keras configuration, its optimizer's
configuration except the learning rate (a variable, set before each fit), and
whether sample weights are passed (they change the traced signature).
Validation runs outside Keras's loop (see ``_validation_logs``), so no
evaluation graph is traced. It holds at most ``_MAX_TRAINERS`` trainers,
least recently used first out. A trainer in use by another thread is never
shared: that fit gets a trainer of its own.
"""

import collections
import contextlib
import json
import random
import threading

import keras
import numpy as np

__all__ = ["reusable_trainer", "clear_trainers"]

_MAX_TRAINERS = 8
_lock = threading.Lock()
_trainers = collections.OrderedDict()  # key -> [model, busy]


def clear_trainers():
    """Drop every cached trainer (their memory is TensorFlow's to release)."""
    with _lock:
        _trainers.clear()


def _key(model, *, weighted):
    # The learning rate lives in a variable that _load_state sets, so a sweep
    # over learning rates shares one trainer; everything else in the two
    # configurations (layer sizes, dropout rates, penalties) is baked into
    # the traced graphs.
    config = json.loads(model.to_json())
    optimizer = config["compile_config"]["optimizer"]["config"]
    optimizer.pop("learning_rate", None)
    optimizer.pop("name", None)
    # run_eagerly is set per fit; the trainer always runs its graphs.
    config["compile_config"].pop("run_eagerly", None)
    return (json.dumps(config, sort_keys=True), bool(weighted))


def _new_trainer(build):
    """A second copy of the network, built without consuming the seeded RNG.

    Building draws initial weights and seed-generator seeds from Python's
    ``random``; restoring its state keeps a first fit (which builds a
    trainer) and a later one (which reuses it) on the same random sequence.
    Their values do not matter: ``_load_state`` overwrites them.
    """
    state = random.getstate()
    try:
        return build()
    finally:
        random.setstate(state)


def _load_state(source, trainer):
    """Give ``trainer`` the state of the untrained ``source``, in place."""
    for src, dst in zip(source.variables, trainer.variables, strict=True):
        dst.assign(src)
    optimizer = trainer.optimizer
    if optimizer.built:
        # A fresh copy of the source's optimizer gives the initial state: step
        # 0, the source's learning rate, initial slot values (zeros for Adam,
        # the initial accumulator for Adagrad...). It is copied into the
        # variables the traced graph captured.
        fresh = type(source.optimizer).from_config(source.optimizer.get_config())
        fresh.build(trainer.trainable_variables)
        for src, dst in zip(fresh.variables, optimizer.variables, strict=True):
            dst.assign(src)
    # An unbuilt optimizer belongs to a trainer just built from the same
    # estimator: its state, learning rate included, is already the initial one.


def _copy_trained_state(trainer, model):
    """Give ``model`` the trained weights and optimizer state of ``trainer``.

    The optimizer state matters beyond training on: Keras saves it with the
    model, and loading a model whose saved optimizer was never built warns
    that the optimizer's variables were skipped.
    """
    model.set_weights([np.asarray(w) for w in trainer.get_weights()])
    if trainer.optimizer.built:
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        for src, dst in zip(trainer.optimizer.variables, model.optimizer.variables, strict=True):
            dst.assign(src)


@contextlib.contextmanager
def reusable_trainer(model, build, *, weighted):
    """Yield a compiled network to train in place of ``model``.

    Parameters
    ----------
    model : keras.Model
        The compiled, untrained model the estimator will keep.
    build : callable
        Returns a new compiled model of the same configuration.
    weighted : bool
        Whether ``fit`` gets sample weights.

    Yields
    ------
    trainer : keras.Model
        Holds ``model``'s state on entry; on a normal exit its trained
        weights and optimizer state are copied into ``model``.
    """
    key = _key(model, weighted=weighted)
    with _lock:
        entry = _trainers.get(key)
        if entry is not None and not entry[1]:
            entry[1] = True
            _trainers.move_to_end(key)
        else:
            entry = None
    if entry is None:
        entry = [_new_trainer(build), True]
    trainer = entry[0]
    try:
        _load_state(model, trainer)
        yield trainer
        _copy_trained_state(trainer, model)
    finally:
        with _lock:
            entry[1] = False
            if _trainers.get(key) is None:
                _trainers[key] = entry
            while len(_trainers) > _MAX_TRAINERS:
                _trainers.popitem(last=False)
