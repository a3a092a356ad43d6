"""Keras classifiers for audio, as scikit-learn estimators.

:class:`CNNClassifier`, :class:`LSTMClassifier` and :class:`DenseClassifier`
share one base on scikeras's ``KerasClassifier`` (``_base.py``: segments,
input checks, normalisation, seeding, early stopping, tags). Importing this
package imports TensorFlow; ``sklearn_audio`` itself only does so on first
use of a classifier.
"""

import os

# Set before TensorFlow's first import: silences its C++ start-up chatter
# (oneDNN notices, missing-CUDA messages) without hiding real errors.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .cnn import CNNClassifier  # noqa: E402
from .dense import DenseClassifier  # noqa: E402
from .lstm import LSTMClassifier  # noqa: E402
from ._trainers import clear_trainer_cache  # noqa: E402

__all__ = ["CNNClassifier", "DenseClassifier", "LSTMClassifier", "clear_trainer_cache"]
