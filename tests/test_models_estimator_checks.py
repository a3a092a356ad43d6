"""scikit-learn's estimator checks on each Keras classifier, with tiny networks.

The checks feed 2-D ``(n_samples, n_features)`` data. ``DenseClassifier``
and ``CNNClassifier(conv="1d")`` take that natively. ``LSTMClassifier``
needs ``(n_frames, n_coeffs)`` examples, so it is checked through a thin
test subclass that reads each 2-D row as a one-frame example: everything
but the input rank (validation, splitting, normalisation, training, the
recurrent layers, pickling) is the real estimator. ``CNNClassifier`` with
2-D convolutions differs from the 1-D CNN checked here only in its layers,
which ``test_models_base.py`` exercises; checking it a second time would
double the cost of this file for little.

Every check fits a network (about a second each), so the settings are tiny.
"""

import keras
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier

# Tiny and quick: no validation split (saves tracing an evaluation graph),
# two epochs of two steps (an eager step costs ~50 ms, each epoch ~40 ms
# more), a step size large enough to learn the check data (accuracy > 0.83)
# anyway, and no input noise: these networks need every one of those steps.
TINY = dict(
    epochs=2, batch_size=150, learning_rate=0.1, validation_fraction=0.0,
    early_stopping=False, input_noise=0.0, dropout=0.0, l2=0.0, random_state=0,
)  # fmt: skip


class _OneFrame:
    """Read a 2-D row ``(n_features,)`` as a one-frame example ``(1, n_features)``."""

    def _example_axes(self):
        return ("n_features",)

    def _build_hidden(self, x):
        x = keras.layers.Reshape((1, x.shape[-1]))(x)
        return super()._build_hidden(x)


class OneFrameLSTMClassifier(_OneFrame, LSTMClassifier):
    pass


# Shared by every estimator: reasons are scikeras's class layout or what a
# neural network trained by SGD can promise.
EXPECTED_FAILURES = {
    "check_estimator_tags_renamed": (
        "scikeras 0.13's BaseWrapper defines _more_tags without __sklearn_tags__; "
        "our base defines __sklearn_tags__, which is what scikit-learn >= 1.6 reads"
    ),
    "check_mixin_order": (
        "inherited from scikeras: KerasClassifier lists ClassifierMixin after "
        "BaseEstimator; our __sklearn_tags__ sets the classifier tags explicitly"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "a network trained by mini-batch SGD is not exactly equivalent under "
        "weighting a sample 2 and repeating it"
    ),
}

ESTIMATORS = [
    DenseClassifier(hidden_layer_sizes=(8,), **TINY),
    # Batch normalisation's moving statistics need more steps than these fits
    # take to match the training statistics; without it the CNN learns the
    # check data in four steps.
    CNNClassifier(conv="1d", filters=(8,), dense_units=16, batch_norm=False, **TINY),
    OneFrameLSTMClassifier(units=(8,), dense_units=None, **TINY),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)
