"""What a fit shares with the rest of the process, and what it must not.

The trainer cache (``_trainers``) and the graph-leak fix (``_single_replica``)
change how a fit runs, never its result; a fit leaves the caller's Keras,
TensorFlow, Python and NumPy global state as it found it.
"""

import random
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf
from numpy.testing import assert_array_equal

import sklearn_audio
from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier
from sklearn_audio.models import _trainers, clear_trainer_cache
from sklearn_audio.models._training import MODEL_FREE

# Past the eager-step limit (14 steps x 3 epochs): the traced graphs run,
# so the trainer cache and the leak fix take part.
TRACED = dict(epochs=3, batch_size=4, validation_fraction=0.0, random_state=3)
FAMILIES = {
    "cnn": (lambda **kw: CNNClassifier(filters=(4,), dense_units=8, **kw), (6, 4)),
    "lstm": (lambda **kw: LSTMClassifier(units=(4,), dense_units=8, **kw), (5, 4)),
    "dense": (lambda **kw: DenseClassifier(hidden_layer_sizes=(8,), **kw), (4,)),
}


def make_data(shape, n_per_class=20, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["a", "b", "c"]), n_per_class)
    X = rng.normal(size=(len(y),) + shape).astype(np.float32)
    for k, cls in enumerate("abc"):
        X[y == cls, ..., k] += 3.0
    return X, y


class _Interrupt(keras.callbacks.Callback):
    """Raises at the first training batch: the fit dies before its first step."""

    def on_train_batch_begin(self, batch, logs=None):
        raise KeyboardInterrupt


class _ModelFreeInterrupt(_Interrupt):
    """The same, declaring it never touches the model, so the fit keeps the cache."""


setattr(_ModelFreeInterrupt, MODEL_FREE, True)


class _InterruptAfterSteps(keras.callbacks.Callback):
    """Raises after the third training step: the optimizer has moved."""

    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            raise KeyboardInterrupt


setattr(_InterruptAfterSteps, MODEL_FREE, True)


# -- the trainer cache ---------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_predictions_identical_with_the_trainer_cache_on_and_off(family):
    make, shape = FAMILIES[family]
    X, y = make_data(shape)
    with sklearn_audio.config_context(reuse_trainers=False):
        clear_trainer_cache()
        off = make(**TRACED).fit(X, y).predict_proba(X)
        assert _trainers.cached_trainer_count() == 0
    clear_trainer_cache()
    # A first fit at another learning rate and seed leaves a trained trainer behind...
    make(**dict(TRACED, learning_rate=0.3, random_state=9)).fit(X, y)
    assert _trainers.cached_trainer_count() == 1
    # ...which the next fit reuses: the result is bit-for-bit the one without the cache.
    on = make(**TRACED).fit(X, y).predict_proba(X)
    assert_array_equal(on, off)


def test_an_interrupted_fit_leaves_nothing_for_the_next_one():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    with sklearn_audio.config_context(reuse_trainers=False):
        expected = make(**dict(TRACED, learning_rate=1e-4)).fit(X, y).predict_proba(X)
    clear_trainer_cache()
    dying = make(**dict(TRACED, learning_rate=0.5, callbacks=[_ModelFreeInterrupt()]))
    with pytest.raises(KeyboardInterrupt):
        dying.fit(X, y)
    # The trainer of the fit that died is dropped, not cached for the next fit.
    assert _trainers.cached_trainer_count() == 0
    # A fit that dies after some steps, with a trainer taken from the cache, drops it too.
    make(**TRACED).fit(X, y)
    assert _trainers.cached_trainer_count() == 1
    with pytest.raises(KeyboardInterrupt):
        make(**dict(TRACED, learning_rate=0.5, callbacks=[_InterruptAfterSteps()])).fit(X, y)
    assert _trainers.cached_trainer_count() == 0
    got = make(**dict(TRACED, learning_rate=1e-4)).fit(X, y).predict_proba(X)
    assert_array_equal(got, expected)


class _SeesModel(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seen = self.model


def test_user_callbacks_see_the_estimators_own_model():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    clear_trainer_cache()
    make(**TRACED).fit(X, y)  # a trainer is cached for this configuration
    spy = _SeesModel()
    est = make(**dict(TRACED, callbacks=[spy])).fit(X, y)
    assert spy.seen is est.model_


def test_clear_trainer_cache_and_switching_it_off():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    clear_trainer_cache()
    make(**TRACED).fit(X, y)
    DenseClassifier(hidden_layer_sizes=(5,), **TRACED).fit(X, y)
    assert clear_trainer_cache() == 2
    assert _trainers.cached_trainer_count() == 0
    with sklearn_audio.config_context(reuse_trainers=False):
        make(**TRACED).fit(X, y)
    assert _trainers.cached_trainer_count() == 0
    assert sklearn_audio.get_config()["reuse_trainers"] is True


# -- the training-graph leak -----------------------------------------------------------------


def _registry_growth(n_fits):
    """Entries added to TensorFlow's gradient registry by traced fits that each trace."""
    from tensorflow.python.framework import ops

    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    make(**TRACED).fit(X, y)
    before = set(ops._gradient_registry.list())
    for seed in range(n_fits):
        est = make(**dict(TRACED, random_state=seed)).fit(X, y)
        assert est.model_.run_eagerly is False
    return len(set(ops._gradient_registry.list()) - before)


def test_traced_fits_leave_no_training_graph_behind():
    # Every fit traces its own graphs (no trainer reuse), so the fix is what
    # keeps TensorFlow's process-wide gradient registry from growing.
    with sklearn_audio.config_context(reuse_trainers=False):
        assert _registry_growth(3) == 0
        # The check can fail: with the fix off each traced fit leaves its graph.
        with sklearn_audio.config_context(avoid_graph_leak=False):
            assert _registry_growth(3) >= 3


# -- the caller's global state ---------------------------------------------------------------


def test_a_fit_keeps_the_users_dtype_policy():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    before = keras.config.dtype_policy().name
    keras.config.set_dtype_policy("mixed_float16")
    try:
        est = make(**dict(TRACED, epochs=1)).fit(X, y)
        assert keras.config.dtype_policy().name == "mixed_float16"
        proba = est.predict_proba(X)
        assert proba.dtype == np.float64 and np.allclose(proba.sum(axis=1), 1.0)
    finally:
        keras.config.set_dtype_policy(before)


def test_a_fit_leaves_the_random_generators_as_found():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    tf.random.set_seed(123)
    expected_tf = tf.random.uniform([3]).numpy()
    random.seed(5)
    expected_py = random.random()
    np.random.seed(7)
    expected_np = np.random.random()

    tf.random.set_seed(123)
    random.seed(5)
    np.random.seed(7)
    try:
        make(**TRACED).fit(X, y)
        # TensorFlow's global seed is neither reset to the estimator's seed nor
        # advanced; Python's and NumPy's generators neither.
        assert_array_equal(tf.random.uniform([3]).numpy(), expected_tf)
        assert random.random() == expected_py
        assert np.random.random() == expected_np
    finally:
        tf.random.set_seed(None)


def test_a_seeded_fit_does_not_depend_on_the_users_tensorflow_seed():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    results = []
    try:
        for user_seed in (1, 2):
            tf.random.set_seed(user_seed)
            results.append(make(**dict(TRACED, mixup=0.2)).fit(X, y).predict_proba(X))
    finally:
        tf.random.set_seed(None)
    assert_array_equal(results[0], results[1])


def test_fits_in_two_threads_equal_fits_in_one():
    make, shape = FAMILIES["dense"]
    X, y = make_data(shape)
    seeds = (1, 2)
    serial = [make(**dict(TRACED, random_state=s)).fit(X, y).predict_proba(X) for s in seeds]
    results = {}

    def fit(seed):
        results[seed] = make(**dict(TRACED, random_state=seed)).fit(X, y).predict_proba(X)

    # Both threads build a trainer (cache empty) and a network at once: the
    # builds draw from Python's random, which must not mix their sequences.
    clear_trainer_cache()
    start = threading.Barrier(len(seeds))

    def fit_together(seed):
        start.wait()
        fit(seed)

    threads = [threading.Thread(target=fit_together, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed, expected in zip(seeds, serial):
        assert_array_equal(results[seed], expected)


# -- parameters ------------------------------------------------------------------------------


def test_routed_optimizer_parameters_are_rejected_clearly():
    est = FAMILIES["dense"][0]()
    with pytest.raises(ValueError, match=r"no routed parameters such as 'optimizer__momentum'"):
        est.set_params(optimizer__momentum=0.9)
    assert est.set_params(optimizer="sgd").optimizer == "sgd"
