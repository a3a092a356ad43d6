"""Behaviour of the Keras classifiers: shapes, segments, labels, errors, seeding.

Networks are tiny and data small so that every fit takes about a second.
Fits shared by several tests live in module-scoped fixtures.
"""

import subprocess
import sys

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import get_scorer, roc_auc_score

from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier
from sklearn_audio.models import _trainers
from sklearn_audio.models._data import aggregate, real_segments, stratified_split
from sklearn_audio.models._validation_logs import ValidationLogs

FAMILY_TINY = {
    "cnn": lambda **kw: CNNClassifier(**{"filters": (4,), "dense_units": 8, **kw}),
    "cnn1d": lambda **kw: CNNClassifier(**{"conv": "1d", "filters": (4,), "dense_units": 8, **kw}),
    "lstm": lambda **kw: LSTMClassifier(**{"units": (4,), "dense_units": 8, **kw}),
    "dense": lambda **kw: DenseClassifier(**{"hidden_layer_sizes": (8,), **kw}),
}
QUICK = dict(epochs=2, batch_size=16, validation_fraction=0.0, random_state=0)


def make_data(example_shape, n_per_class=10, classes=("a", "b", "c"), segments=None, seed=0):
    """Separable float32 data: class k shifts feature k of every example."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.asarray(classes), n_per_class)
    lead = (len(y),) if segments is None else (len(y), segments)
    X = rng.normal(size=lead + tuple(example_shape)).astype(np.float32)
    for k, cls in enumerate(classes):
        X[y == cls, ..., k % example_shape[-1]] += 3.0
    return X, y


def with_padding(X, rng):
    """Zero (pad) a random suffix of segments in about half of the clips."""
    X = X.copy()
    for i in range(len(X)):
        if rng.random() < 0.5:
            X[i, rng.integers(1, X.shape[1]) :] = 0.0
    return X


@pytest.fixture(scope="module")
def fitted_cnn():
    """A CNN fitted on segmented MFCC-like data with padding segments."""
    X, y = make_data((6, 5), segments=3, n_per_class=15)
    X = with_padding(X, np.random.default_rng(1))
    # 3 validation clips per class: the fewest that early stopping judges on.
    est = FAMILY_TINY["cnn"](**dict(QUICK, validation_fraction=0.2)).fit(X, y)
    return est, X, y


# -- scikit-learn identity -----------------------------------------------------


@pytest.mark.parametrize("family", sorted(FAMILY_TINY))
def test_is_a_classifier(family):
    est = FAMILY_TINY[family]()
    assert is_classifier(est)
    assert est.__sklearn_tags__().estimator_type == "classifier"


def test_roc_auc_scorers_work():
    # scikeras 0.13 alone: is_classifier() False, roc_auc "y should be a 1d array".
    X, y = make_data((4,), classes=("no", "yes"))
    est = FAMILY_TINY["dense"](**QUICK).fit(X, y)
    # scikit-learn's scorers find the positive class and the columns from the
    # classifier's tags and classes_: the same figures as the metric by hand.
    expected = roc_auc_score(y == est.classes_[1], est.predict_proba(X)[:, 1])
    assert get_scorer("roc_auc")(est, X, y) == pytest.approx(expected)
    X3, y3 = make_data((4,))
    est3 = FAMILY_TINY["dense"](**QUICK).fit(X3, y3)
    expected3 = roc_auc_score(y3, est3.predict_proba(X3), multi_class="ovr")
    assert get_scorer("roc_auc_ovr")(est3, X3, y3) == pytest.approx(expected3)


@pytest.mark.parametrize(
    "classes", [("cat", "dog", "bird"), (0, 1), (7, 3)], ids=["str", "binary-int", "int-unsorted"]
)
def test_labels_of_any_type(classes):
    X, y = make_data((4,), classes=classes)
    est = FAMILY_TINY["dense"](**QUICK).fit(X, y)
    assert_array_equal(est.classes_, np.unique(y))
    assert est.n_classes_ == len(classes)
    pred = est.predict(X)
    assert pred.dtype.kind == y.dtype.kind and set(pred) <= set(y)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), len(classes)) and proba.dtype == np.float64
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert_array_equal(pred, est.classes_[proba.argmax(axis=1)])


def test_clone_gives_unfitted_copy_with_same_params(fitted_cnn):
    est = fitted_cnn[0]
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")
    with pytest.raises(NotFittedError):
        copy.predict(fitted_cnn[1])


# -- shapes ----------------------------------------------------------------------

SHAPES = {
    "cnn": (6, 5),
    "cnn1d": (40,),
    "lstm": (6, 5),
    "dense": (7,),
}


@pytest.mark.parametrize("family", sorted(FAMILY_TINY))
def test_segmented_fit_predicts_segmented_and_unsegmented(family):
    X, y = make_data(SHAPES[family], segments=2)
    est = FAMILY_TINY[family](**QUICK).fit(X, y)
    assert est.example_shape_ == SHAPES[family]
    assert est.n_features_in_ == SHAPES[family][-1]
    assert est.predict_proba(X).shape == (len(X), 3)
    # The per-example network also takes unsegmented input, and any segment count.
    assert est.predict_proba(X[:, 0]).shape == (len(X), 3)
    assert est.predict(np.concatenate([X, X], axis=1)).shape == (len(X),)
    norm_mean = est.model_.get_layer("input_normalization").get_weights()[0]
    # Raw waveforms share one scalar mean; features get one per coefficient.
    assert norm_mean.shape == ((1,) if family == "cnn1d" else (SHAPES[family][-1],))


@pytest.mark.parametrize(
    "family, shape, expected",
    [
        ("cnn", (10, 5), r"\(n_clips, n_frames, n_coeffs\) or segmented input of shape "
                         r"\(n_clips, n_segments, n_frames, n_coeffs\).*\(10, 5\).*conv='1d'"),
        ("cnn", (2, 2, 2, 2, 2), r"got an array of shape \(2, 2, 2, 2, 2\)"),
        ("cnn1d", (10, 2, 3, 4), r"\(n_clips, n_samples\) or segmented.*\(n_clips, n_segments, "
                                 r"n_samples\)"),
        ("lstm", (6, 5), r"\(n_clips, n_frames, n_coeffs\).*Reshape your data"),
        ("dense", (10, 3, 4, 5), r"\(n_clips, n_features\).*output='stats'"),
    ],
)  # fmt: skip
def test_wrong_number_of_dimensions(family, shape, expected):
    X = np.ones(shape, dtype=np.float32)
    with pytest.raises(ValueError, match=expected):
        FAMILY_TINY[family]().fit(X, np.arange(shape[0]) % 2)


def test_predict_with_other_frames_or_coefficients(fitted_cnn):
    est, X, _ = fitted_cnn
    more_frames = np.ones((2, 3, 7, 5), dtype=np.float32)
    with pytest.raises(ValueError, match=r"fitted on examples of shape \(n_frames, n_coeffs\) "
                                         r"= \(6, 5\), got \(7, 5\)"):  # fmt: skip
        est.predict(more_frames)
    other_coeffs = np.ones((2, 6, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="X has 4 features, but CNNClassifier is expecting 5"):
        est.predict_proba(other_coeffs)
    with pytest.raises(ValueError, match="Reshape your data"):
        est.predict(X[0, 0])


# -- bad input --------------------------------------------------------------------


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinite")])
def test_non_finite_values_name_the_sample(fitted_cnn, bad, word):
    est, X, y = fitted_cnn
    X = X.copy()
    X[4, 1, 2, 3] = bad
    with pytest.raises(ValueError, match=f"sample 4 contains {word}"):
        clone(est).fit(X, y)
    with pytest.raises(ValueError, match=f"sample 4 contains {word}"):
        est.predict(X)


def test_one_class_only():
    X, _ = make_data((4,))
    with pytest.raises(ValueError, match="only one class"):
        FAMILY_TINY["dense"]().fit(X, np.full(len(X), "a"))
    # Zero weights can leave a single class too.
    y = np.repeat(["a", "b"], len(X) // 2)
    with pytest.raises(ValueError, match="only one class"):
        FAMILY_TINY["dense"]().fit(X, y, sample_weight=(y == "a").astype(float))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_not_fitted(method):
    X, y = make_data((6, 5))
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError):
        getattr(FAMILY_TINY["cnn"](), method)(*args)


@pytest.mark.parametrize(
    "family, params, match",
    [
        ("cnn", {"epochs": 0}, "epochs must be an integer >= 1"),
        ("cnn", {"batch_size": 2.5}, "batch_size must be an integer"),
        ("cnn", {"learning_rate": -1.0}, r"learning_rate must be a number in \(0"),
        ("cnn", {"validation_fraction": 1.0}, r"validation_fraction must be a number in \[0, 1\)"),
        ("cnn", {"dropout": 1.5}, "dropout must be"),
        ("cnn", {"input_noise": -0.1}, "input_noise must be"),
        ("cnn", {"l2": -0.1}, "l2 must be"),
        ("cnn", {"patience": 0}, "patience must be"),
        ("cnn", {"early_stopping": "yes"}, "early_stopping must be True or False"),
        ("cnn", {"aggregate": "median"}, "aggregate must be one of"),
        ("cnn", {"optimizer": "sgdx"}, "optimizer must be the name of a Keras optimizer"),
        ("cnn", {"conv": "3d"}, "conv must be one of"),
        ("cnn", {"filters": ()}, "filters must be a positive integer or a sequence"),
        ("cnn", {"kernel_size": (3, 3, 3)}, "kernel_size must be a positive integer or a tuple"),
        ("cnn", {"pool_size": 0}, "pool_size must be"),
        ("cnn", {"dense_units": 0}, "dense_units must be"),
        ("cnn", {"random_state": "seed"}, "random_state must be"),
        ("cnn", {"verbose": 5}, "verbose must be"),
        ("cnn", {"callbacks": ["not a callback"]}, "callbacks must be None or a list"),
        ("lstm", {"cell": "rnn"}, "cell must be one of"),
        ("lstm", {"units": (8, -1)}, "units must be"),
        ("lstm", {"bidirectional": 1}, "bidirectional must be True or False"),
        ("lstm", {"pooling": "attention"}, "pooling must be one of"),
        ("dense", {"hidden_layer_sizes": "big"}, "hidden_layer_sizes must be"),
        ("dense", {"activation": "wiggle"}, "activation must be the name of a Keras activation"),
        ("dense", {"class_weight": {"zzz": 2.0}}, "class_weight has keys"),
        ("dense", {"class_weight": "even"}, "class_weight must be None, 'balanced' or a dict"),
    ],
)
def test_invalid_parameters_are_reported_at_fit(family, params, match):
    shape = {"cnn": (6, 5), "lstm": (6, 5), "dense": (4,)}[family]
    X, y = make_data(shape)
    est = FAMILY_TINY[family](**params)  # storing a bad value never raises
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


# -- segments ------------------------------------------------------------------------


def test_padding_segments_take_no_part_in_training():
    X, y = make_data((3,), segments=4, n_per_class=8)
    X += 10.0  # real values far from 0: a padding row in the stats would pull the mean down
    X = with_padding(X, np.random.default_rng(2))
    est = FAMILY_TINY["dense"](epochs=1, validation_fraction=0.0, random_state=0).fit(X, y)
    mask = real_segments(X, 1)
    layer = est.model_.get_layer("input_normalization")
    assert_allclose(layer.get_weights()[0], X[mask].mean(axis=0), rtol=1e-5)
    assert set(est.history_) == {"loss", "accuracy", "learning_rate"}  # no validation split


def test_padding_segments_take_no_part_in_the_aggregate(fitted_cnn):
    est, X, _ = fitted_cnn
    clip = X[:1].copy()
    clip[0, 1:] = 0.0  # one real segment, two padding
    one_real = est.predict_proba(clip)
    assert_allclose(one_real, est.predict_proba(clip[:, 0]), rtol=1e-6)
    two_real = X[:1].copy()
    two_real[0, 2] = 0.0
    per_segment = est.predict_proba(two_real[0, :2])
    assert_allclose(est.predict_proba(two_real), per_segment.mean(axis=0, keepdims=True),
                    rtol=1e-6)  # fmt: skip


def test_vote_aggregate_counts_segment_winners(fitted_cnn):
    est, X, _ = fitted_cnn
    mask = real_segments(X, 2)
    per_segment = est.predict_proba(X[mask])
    votes = np.zeros_like(per_segment)
    votes[np.arange(len(votes)), per_segment.argmax(axis=1)] = 1.0
    est.set_params(aggregate="vote")  # read at predict time: no refit needed
    try:
        proba = est.predict_proba(X)
    finally:
        est.set_params(aggregate="mean")
    assert_allclose(proba, aggregate(votes, mask, "mean"))
    assert_allclose(proba.sum(axis=1), 1.0)


def test_clip_made_only_of_padding_still_gets_a_prediction(fitted_cnn):
    est, X, _ = fitted_cnn
    silent = np.zeros((1,) + X.shape[1:], dtype=np.float32)
    proba = est.predict_proba(np.concatenate([X[:2], silent]))
    assert np.all(np.isfinite(proba))
    assert_allclose(proba[2], est.predict_proba(silent[:, 0])[0], rtol=1e-6)


def test_aggregate_helper():
    mask = np.array([[True, True, False], [True, True, True]])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.6, 0.4], [0.1, 0.9]])
    assert_allclose(aggregate(proba, mask, "mean"), [[0.55, 0.45], [0.433333, 0.566667]],
                    rtol=1e-5)  # fmt: skip
    assert_allclose(aggregate(proba, mask, "vote"), [[0.5, 0.5], [2 / 3, 1 / 3]])


# -- validation split and history ---------------------------------------------------------


def test_stratified_split_on_a_class_sorted_folder():
    y = np.repeat(np.arange(4), [20, 20, 10, 1])  # sorted, as listing a folder gives
    train, val = stratified_split(y, 0.2, np.random.RandomState(0))
    assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == len(y)
    assert len(val) == round(0.2 * len(y))
    counts = np.bincount(y[val], minlength=4)
    assert counts[0] == 4 and counts[1] == 4 and counts[2] == 2
    assert counts[3] == 0  # a class with one clip keeps it for training
    assert not np.array_equal(val, np.arange(len(y))[-len(val) :])  # not the last rows
    again = stratified_split(y, 0.2, np.random.RandomState(0))[1]
    assert_array_equal(val, again)
    assert len(stratified_split(y, 0.0, np.random.RandomState(0))[1]) == 0


def test_segments_of_a_clip_stay_on_one_side():
    est = FAMILY_TINY["dense"]()
    X = np.repeat(np.arange(1, 9, dtype=np.float32)[:, None, None], 3, axis=1)  # clip id
    X = np.repeat(X, 2, axis=2)  # (8 clips, 3 segments, 2 features)
    y = np.repeat([0, 1], 4)
    train, val = stratified_split(y, 0.25, np.random.RandomState(0))
    rows_train, y_train, _ = est._examples(X, y, None, train, True)
    rows_val, _, _ = est._examples(X, y, None, val, True)
    assert set(rows_train[:, 0]).isdisjoint(rows_val[:, 0])
    assert len(rows_train) == 3 * len(train) and len(y_train) == len(rows_train)


def test_history_is_a_plain_dict_per_epoch(fitted_cnn):
    history = fitted_cnn[0].history_
    assert type(history) is dict
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    lengths = {len(v) for v in history.values()}
    assert lengths == {2}
    assert all(isinstance(v, float) for values in history.values() for v in values)


def test_early_stopping_stops_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = rng.integers(0, 2, 60)  # noise: validation loss soon stops improving
    with pytest.warns(ConvergenceWarning):  # noise: nothing learned, and it says so
        est = FAMILY_TINY["dense"](epochs=40, batch_size=60, patience=2, learning_rate=0.05,
                                   min_epochs=0, lr_schedule="constant",
                                   random_state=0).fit(X, y)  # fmt: skip
    assert est.n_epochs_ == len(est.history_["loss"]) < 40
    # The weights kept are the best epoch's: the same as training that long.
    best_epoch = int(np.argmin(est.history_["val_loss"]))
    assert est.best_epoch_ == best_epoch + 1
    shorter = clone(est).set_params(epochs=best_epoch + 1, early_stopping=False).fit(X, y)
    assert_allclose(est.predict_proba(X), shorter.predict_proba(X), rtol=1e-5)


def test_early_stopping_neither_stops_nor_restores_before_min_epochs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = rng.integers(0, 2, 60)
    kw = dict(epochs=40, batch_size=60, patience=2, learning_rate=0.05, lr_schedule="constant",
              random_state=0)  # fmt: skip
    # Without a warm-up this fit stops within a few epochs (previous test).
    est = FAMILY_TINY["dense"](min_epochs=12, **kw).fit(X, y)
    assert est.n_epochs_ >= 12 + 1
    assert est.best_epoch_ >= 12 + 1
    best = 12 + int(np.argmin(est.history_["val_loss"][12:]))
    assert est.best_epoch_ == best + 1


@pytest.mark.parametrize("weighted, saturated", [(False, False), (True, False), (True, True)])
def test_validation_logs_equal_keras_evaluate(weighted, saturated):
    # Validation runs as one forward pass per epoch instead of Keras's
    # evaluate(): the figures must be evaluate's, penalties and weights included,
    # and exact for confidently wrong predictions (cross-entropy from the logits).
    X, y = make_data((6, 5), n_per_class=12)
    est = FAMILY_TINY["cnn"](l2=0.01, **QUICK).fit(X, y)
    if saturated:
        head = est.model_.get_layer("proba")
        kernel, bias = head.get_weights()
        head.set_weights([kernel * 300.0, bias])
    y_encoded = np.searchsorted(est.classes_, y)
    weights = np.linspace(0.2, 3.0, len(y)) if weighted else None
    logs = {}
    monitor = ValidationLogs(X, y_encoded, weights, batch_size=7)
    monitor.set_model(est.model_)
    monitor.on_epoch_end(0, logs)
    expected = est.model_.evaluate(X, y_encoded, sample_weight=weights, batch_size=7,
                                   verbose=0, return_dict=True)  # fmt: skip
    assert est.model_.losses  # the l2 penalty is part of val_loss
    assert logs["val_loss"] == pytest.approx(expected["loss"], rel=1e-5)
    if saturated:  # beyond what probabilities clipped at 1e-7 could give
        assert expected["loss"] > 20
    assert logs["val_accuracy"] == pytest.approx(expected["accuracy"], rel=1e-6)


class _SeesValidation(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(logs.get("val_loss"))


def test_user_callbacks_see_the_validation_loss():
    seer = _SeesValidation()
    X, y = make_data((4,), n_per_class=30)
    est = FAMILY_TINY["dense"](callbacks=[seer], **dict(QUICK, validation_fraction=0.1)).fit(X, y)
    assert seer.seen == est.history_["val_loss"] and None not in seer.seen


# -- reproducibility and Keras state ---------------------------------------------------------


@pytest.mark.parametrize("family", ["cnn", "lstm", "dense"])
def test_same_random_state_same_predictions(family):
    shape = SHAPES[family]
    X, y = make_data(shape, n_per_class=20)
    # 14 steps per epoch x 3 epochs is past the eager-step limit: the traced
    # training graph is what runs.
    kw = dict(epochs=3, batch_size=4, validation_fraction=0.0, random_state=3)
    # The first fit builds and traces a trainer, the second reuses it.
    _trainers.clear_trainer_cache()
    np_state = np.random.get_state()
    first = FAMILY_TINY[family](**kw).fit(X, y)
    assert first.model_.run_eagerly is False
    p1 = first.predict_proba(X)
    p2 = FAMILY_TINY[family](**kw).fit(X, y).predict_proba(X)
    assert_array_equal(p1, p2)
    # Fitting neither reseeds nor advances the caller's global NumPy generator.
    assert_array_equal(np.random.get_state()[1], np_state[1])
    if family == "dense":
        p3 = FAMILY_TINY[family](**dict(kw, random_state=4)).fit(X, y).predict_proba(X)
        assert not np.array_equal(p1, p3)
    # Later fits leave earlier fitted models unaffected.
    assert_array_equal(first.predict_proba(X), p1)


def test_traced_fits_reuse_one_trainer_per_configuration():
    # Tracing costs more than training a small network: identical
    # configurations train on one cached trainer and keep their own model_.
    _trainers.clear_trainer_cache()
    X, y = make_data((4,), n_per_class=20)
    kw = dict(epochs=3, batch_size=4, validation_fraction=0.0, random_state=0)
    first = FAMILY_TINY["dense"](**kw).fit(X, y)
    # Another seed and another learning rate (a variable): the same graphs.
    second = FAMILY_TINY["dense"](**dict(kw, random_state=1, learning_rate=0.01)).fit(X, y)
    assert _trainers.cached_trainer_count() == 1
    (trainer,) = _trainers._trainers.values()
    assert trainer is not first.model_ and trainer is not second.model_
    assert not np.array_equal(first.predict_proba(X), second.predict_proba(X))
    FAMILY_TINY["dense"](**dict(kw, hidden_layer_sizes=(5,))).fit(X, y)
    assert _trainers.cached_trainer_count() == 2


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_callbacks_run_in_every_fit_and_clone_copies_them():
    counter = _EpochCounter()
    X, y = make_data((4,))
    est = FAMILY_TINY["dense"](callbacks=[counter], **QUICK).fit(X, y)
    assert counter.epochs == len(est.history_["loss"]) == 2
    est.fit(X, y)
    assert counter.epochs == 4
    copy = clone(est)
    assert copy.callbacks[0] is not counter and isinstance(copy.callbacks[0], _EpochCounter)
    assert est.callbacks == [counter]  # the parameter is left untouched


def test_zero_sample_weight_equals_leaving_the_clips_out():
    X, y = make_data((4,), classes=("a", "b"))
    weights = np.ones(len(X))
    weights[::4] = 0.0
    kw = dict(QUICK, validation_fraction=0.0)
    weighted = FAMILY_TINY["dense"](**kw).fit(X, y, sample_weight=weights)
    subset = FAMILY_TINY["dense"](**kw).fit(X[weights > 0], y[weights > 0])
    assert_allclose(weighted.predict_proba(X), subset.predict_proba(X), rtol=1e-5)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(20,\)"):
        weighted.fit(X, y, sample_weight=np.ones(3))


def test_sample_weight_and_class_weight_shift_predictions_toward_the_heavy_class():
    # Labels independent of the input: the network can only learn the prior,
    # which the weights set. Class "a" weighs 9 times "b".
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = np.tile(["a", "b"], 30)
    kw = dict(epochs=30, batch_size=16, validation_fraction=0.0, random_state=0, l2=0.0)
    plain = FAMILY_TINY["dense"](**kw).fit(X, y).predict_proba(X)[:, 0].mean()
    by_class = FAMILY_TINY["dense"](class_weight={"a": 9.0, "b": 1.0}, **kw).fit(X, y)
    by_sample = FAMILY_TINY["dense"](**kw).fit(X, y, sample_weight=np.where(y == "a", 9.0, 1.0))
    for est in (by_class, by_sample):
        share_a = est.predict_proba(X)[:, 0].mean()
        # The weighted prior of "a" is 0.9; unweighted it is 0.5. Thirty
        # epochs move the output most of the way (0.71 and 0.53 measured).
        assert share_a > 0.65 and share_a - plain > 0.12, (share_a, plain)


def test_importing_the_package_does_not_import_tensorflow():
    code = (
        "import sys, sklearn_audio, sklearn_audio.segment; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_probabilities_do_not_depend_on_row_order():
    # oneDNN's batched kernels may round a row differently by its position in
    # a batch; simulate that with a network whose output drifts by position,
    # and check that a permutation of the rows permutes the probabilities exactly.
    X, y = make_data((4,))
    est = FAMILY_TINY["dense"](**QUICK).fit(X, y)
    network = est.model_

    def position_dependent(rows, training=False):
        out = keras.ops.convert_to_numpy(network(rows, training=training))
        drift = 1e-6 * np.arange(len(out))[:, None]
        return (out + drift) / (out + drift).sum(axis=1, keepdims=True)

    est.model_ = position_dependent
    try:
        proba = est.predict_proba(X)
        for seed in range(5):
            idx = np.random.default_rng(seed).permutation(len(X))
            assert_array_equal(est.predict_proba(X[idx]), proba[idx])
    finally:
        est.model_ = network
