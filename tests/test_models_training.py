"""Training that cannot silently collapse: validation, schedules, warnings, augmentation.

Tiny networks on synthetic data; the end-to-end check on real audio is in
``test_models_small_data.py``.
"""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, cross_validate

from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier


def separable(n_per_class=20, shape=(4,), seed=0, classes=("a", "b", "c")):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.asarray(classes), n_per_class)
    X = rng.normal(size=(len(y),) + shape).astype(np.float32)
    for k, cls in enumerate(classes):
        X[y == cls, ..., k] += 3.0
    return X, y


def dense(**kw):
    return DenseClassifier(**{"hidden_layer_sizes": (16,), "random_state": 0, **kw})


# -- the collapse warning ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_unlearnable_labels_give_a_convergence_warning(seed):
    X, y = separable(n_per_class=30)
    shuffled = np.random.default_rng(seed).permutation(y)
    with pytest.warns(ConvergenceWarning, match="not better than always answering"):
        dense(epochs=40, patience=5, min_epochs=2).fit(X, shuffled)


def test_a_network_that_learned_on_a_tiny_validation_split_gives_no_warning():
    # 3 validation clips per class, the fewest early stopping judges on.
    X, y = separable(n_per_class=15)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = dense(epochs=60, validation_fraction=0.2).fit(X, y)
    assert est.best_epoch_ is not None  # early stopping judged the 9 validation clips
    assert np.mean(est.predict(X) == y) >= 0.75


def test_a_network_that_learns_gives_no_convergence_warning():
    X, y = separable(n_per_class=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = dense(epochs=40, patience=5, min_epochs=2).fit(X, y)
    assert np.mean(est.predict(X) == y) > 0.85


def test_a_constant_predictor_is_named_in_the_warning():
    # Identical inputs: whatever the network learns, it answers one class.
    X = np.ones((60, 4), dtype=np.float32)
    y = np.repeat(["a", "b"], 30)
    est = dense(epochs=3, validation_fraction=0.0)
    with pytest.warns(ConvergenceWarning, match=r"predicts class '[ab]' for \d+% of the clips it was trained on"):
        est.fit(X, y)


# -- the validation split and its fallback ------------------------------------------------


def test_too_few_validation_clips_train_a_fixed_budget_on_every_clip():
    X, y = separable(n_per_class=10)  # validation_fraction=0.1: 1 clip per class
    with pytest.warns(UserWarning, match=r"holds out only 1 clip\(s\) of class 'a' .*fewer than 3"):
        est = dense(epochs=7).fit(X, y)
    assert "val_loss" not in est.history_
    assert est.n_epochs_ == 7 and est.best_epoch_ is None
    # Without a validation loss to watch, the schedule is a cosine decay to 0.
    lr = np.asarray(est.history_["learning_rate"])
    expected = 1e-3 * (1 + np.cos(np.pi * np.arange(7) / 7)) / 2
    np.testing.assert_allclose(lr, expected, rtol=1e-5)


def test_plateau_schedule_halves_the_learning_rate_when_validation_stalls():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = np.repeat(["a", "b", "c"], 30)  # noise: the validation loss stalls
    est = dense(epochs=30, patience=4, min_epochs=0, early_stopping=True, learning_rate=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    lr = np.asarray(est.history_["learning_rate"])
    halvings = np.log2(0.05 / lr)
    assert lr[0] == pytest.approx(0.05) and halvings.max() >= 1
    np.testing.assert_allclose(halvings, np.round(halvings), atol=1e-6)  # only ever halved
    assert np.all(np.diff(lr) <= 0)


def test_groups_hold_out_whole_groups():
    X, y = separable(n_per_class=20)
    groups = np.tile(np.arange(10), 6)
    est = dense(validation_fraction=0.2)
    rng = np.random.RandomState(0)
    train, val = est._validation_split(np.searchsorted(["a", "b", "c"], y), groups,
                                       np.array(["a", "b", "c"]), 0.2, rng)  # fmt: skip
    assert len(val) and not set(groups[train]) & set(groups[val])
    # Without groups the same split mixes groups across the sides.
    train, val = est._validation_split(np.searchsorted(["a", "b", "c"], y), None,
                                       np.array(["a", "b", "c"]), 0.2, rng)  # fmt: skip
    assert set(groups[train]) & set(groups[val])


class _GroupSpy(DenseClassifier):
    """Records the groups each fit receives."""

    seen = []

    def fit(self, X, y, sample_weight=None, groups=None):
        type(self).seen.append(None if groups is None else np.asarray(groups).copy())
        return super().fit(X, y, sample_weight=sample_weight, groups=groups)


def test_groups_reach_fit_through_metadata_routing():
    X, y = separable(n_per_class=20)
    groups = np.tile(np.arange(4), 15)
    _GroupSpy.seen = []
    with sklearn.config_context(enable_metadata_routing=True):
        est = _GroupSpy(hidden_layer_sizes=(4,), epochs=2, validation_fraction=0.0,
                        random_state=0).set_fit_request(groups=True)  # fmt: skip
        cross_validate(est, X, y, cv=GroupKFold(2), params={"groups": groups})
    assert len(_GroupSpy.seen) == 2
    for seen in _GroupSpy.seen:
        # Each fit gets the groups of its training fold: two of the four.
        assert seen is not None and len(set(seen)) == 2


# -- augmentation inside the training graph ------------------------------------------------


@pytest.mark.parametrize(
    "make, shape, aug",
    [
        (dense, (4,), dict(mixup=0.4)),
        (lambda **kw: CNNClassifier(**{"filters": (4,), "dense_units": 8, "random_state": 0, **kw}), (8, 5),
         dict(time_masks=2, freq_masks=1, mask_fraction=0.3)),
        (lambda **kw: LSTMClassifier(**{"units": (4,), "dense_units": 8, "random_state": 0, **kw}), (8, 5),
         dict(time_masks=1, freq_masks=1, mixup=0.2)),
    ],
)  # fmt: skip
def test_feature_augmentation_is_seeded_and_training_only(make, shape, aug):
    X, y = separable(n_per_class=20, shape=shape)
    kw = dict(epochs=4, batch_size=8, validation_fraction=0.0)
    plain = make(**kw).fit(X, y).predict_proba(X)
    first = make(**kw, **aug).fit(X, y)
    again = make(**kw, **aug).fit(X, y)
    p = first.predict_proba(X)
    assert_array_equal(p, again.predict_proba(X))  # seeded by random_state
    assert not np.allclose(p, plain)  # it changed training
    assert_array_equal(p, first.predict_proba(X))  # prediction draws nothing
    other = make(**{**kw, **aug, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.array_equal(p, other)


def test_spec_augment_masks_bands_in_training_and_passes_through_at_predict():
    X, y = separable(n_per_class=10, shape=(20, 10))
    est = CNNClassifier(filters=(4,), dense_units=8, epochs=1, validation_fraction=0.0,
                        time_masks=2, freq_masks=2, mask_fraction=0.3, random_state=0)  # fmt: skip
    est.fit(X, y)
    layer = est.model_.get_layer("spec_augment")
    x = np.ones((4, 20, 10), dtype=np.float32)
    assert_array_equal(np.asarray(layer(x, training=False)), x)
    masked = np.asarray(layer(x, training=True))
    zero_frames = (masked == 0).all(axis=2).sum(axis=1)
    zero_coeffs = (masked == 0).all(axis=1).sum(axis=1)
    # Bands of at most 6 frames and 3 coefficients, 2 of each per example.
    assert zero_frames.max() <= 12 and zero_coeffs.max() <= 6
    assert (masked == 0).any()


def test_feature_masks_are_refused_for_raw_waveforms():
    X, y = separable(n_per_class=5, shape=(64,))
    with pytest.raises(ValueError, match="conv='1d' takes raw waveforms"):
        CNNClassifier(conv="1d", time_masks=1).fit(X, y)


def test_mixup_draws_new_weights_every_epoch_and_the_same_ones_under_a_seed():
    from sklearn_audio.models._training import training_batches

    X, y = np.arange(8, dtype=np.float32)[:, None], np.arange(8)

    def two_epochs():
        batches = training_batches(X, y, None, 4, seed=0, mixup=0.4)
        return [[b[2].numpy() for b in batches] for _ in range(2)]

    first, second = two_epochs()
    assert not np.allclose(first[0], second[0])  # afresh each epoch
    again = two_epochs()
    assert_array_equal(np.concatenate(first), np.concatenate(again[0]))  # seeded


def test_one_group_cannot_be_held_out_and_the_warning_says_so():
    X, y = separable(n_per_class=20)
    with pytest.warns(UserWarning, match="every clip is in one group"):
        est = dense(epochs=3).fit(X, y, groups=np.zeros(len(y)))
    assert "val_loss" not in est.history_ and est.n_epochs_ == 3
