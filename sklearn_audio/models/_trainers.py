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
least recently used first out. A trainer leaves the cache while a fit
uses it, so a fit in another thread never shares it (it builds its own), and
goes back only when its fit ended normally.
"""

import collections
import contextlib
import json
import threading

import numpy as np

from ._training import seeded_build

__all__ = ["reusable_trainer", "clear_trainer_cache", "cached_trainer_count"]

_MAX_TRAINERS = 8
_lock = threading.Lock()
_trainers = collections.OrderedDict()  # key -> idle trainer


def clear_trainer_cache():
    """Drop every cached trainer, freeing what they hold.

    Classifiers train on a cached, already traced copy of their network per
    architecture (the last eight architectures are kept), so that a sweep
    traces each once. Clearing frees their memory; the next fit of each
    architecture traces again. To turn the cache off altogether, use
    ``sklearn_audio.set_config(reuse_trainers=False)`` or
    ``sklearn_audio.config_context(reuse_trainers=False)``.

    Returns
    -------
    n_cleared : int
        How many trainers were dropped.

    Examples
    --------
    >>> from sklearn_audio.models import clear_trainer_cache
    >>> n = clear_trainer_cache()
    >>> clear_trainer_cache()
    0
    """
    with _lock:
        n = len(_trainers)
        _trainers.clear()
    return n


def cached_trainer_count():
    """How many trainers the cache holds (for tests and diagnostics)."""
    with _lock:
        return len(_trainers)


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
    text = json.dumps(config, sort_keys=True)
    # Keras numbers unnamed layers per process ("conv2d_7"), so two builds of
    # one architecture differ only in those names: key on their positions.
    for position, layer in enumerate(config["config"]["layers"]):
        text = text.replace(json.dumps(layer["name"]), json.dumps(f"#layer{position}"))
    return (text, bool(weighted))


def _new_trainer(build):
    """A second copy of the network, built without consuming anyone's random draws.

    Building draws initial weights and seed-generator seeds from Python's
    ``random``; ``seeded_build`` (unseeded here) builds under the lock that
    seeded builds in other threads hold, and restores the state, so that a
    first fit (which builds a trainer) and a later one (which reuses it) run
    on the same random sequence. The values drawn do not matter:
    ``_load_state`` overwrites them.
    """
    return seeded_build(build, None)


def _load_state(source, trainer):
    """Give ``trainer`` the state of the untrained ``source``, in place.

    Weights, normalisation statistics and seed-generator states come from
    ``source``; the optimizer state (step 0, ``source``'s learning rate,
    initial slot values: zeros for Adam, the initial accumulator for
    Adagrad...) from a fresh copy of ``source``'s optimizer, copied into the
    variables the traced graph captured. The trainer's optimizer is built
    first if it is not yet, so that nothing of an earlier fit (its learning
    rate above all) survives in it, however that fit ended.
    """
    for src, dst in zip(source.variables, trainer.variables, strict=True):
        dst.assign(src)
    optimizer = trainer.optimizer
    if not optimizer.built:
        optimizer.build(trainer.trainable_variables)
    fresh = type(source.optimizer).from_config(source.optimizer.get_config())
    fresh.build(trainer.trainable_variables)
    for src, dst in zip(fresh.variables, optimizer.variables, strict=True):
        dst.assign(src)


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
        weights and optimizer state are copied into ``model`` and it goes
        (back) into the cache. On any error it is dropped: a trainer whose
        fit died half-way is never trained on again.
    """
    key = _key(model, weighted=weighted)
    with _lock:
        entry = _trainers.pop(key, None)  # in use: no other fit may take it
    trainer = _new_trainer(build) if entry is None else entry
    _load_state(model, trainer)
    yield trainer
    _copy_trained_state(trainer, model)
    with _lock:
        # A fit in another thread may have cached its own trainer for this
        # key meanwhile; keep the most recent one.
        _trainers[key] = trainer
        _trainers.move_to_end(key)
        while len(_trainers) > _MAX_TRAINERS:
            _trainers.popitem(last=False)
