"""Hyperparameter tuning: Optuna search spaces, a cross-validated search, storage and caching.

* :func:`search_space`: default Optuna distributions for
  :class:`~sklearn_audio.CNNClassifier`, :class:`~sklearn_audio.LSTMClassifier`
  and :class:`~sklearn_audio.DenseClassifier` (learning rate, layer sizes,
  dropout, batch size).
* :class:`AudioOptunaSearchCV`: a cross-validated Optuna search that is a
  scikit-learn estimator: every metric of
  :data:`~sklearn_audio.metrics.SCORING` recorded on each trial, epoch-level
  pruning of Keras classifiers, a new study per fit (so it nests in
  ``cross_validate``), or a resumed one.
* :func:`tune`: the search as one call that resumes a study (after a crash,
  or shared by many workers through SQLite or PostgreSQL) and returns a
  :class:`TuneResult`.
* :func:`plot_tuning`: optimisation history and parameter importances as PNGs.
* :class:`CachedTransformer`: each file's features extracted once for a whole
  search, across its folds and candidates (``GridSearchCV`` or Optuna).

TensorFlow is imported only when a Keras classifier is tuned with pruning.
"""

from ._cache import CachedTransformer
from ._plotting import plot_tuning
from ._search import AudioOptunaSearchCV
from ._spaces import check_search_space, search_space
from ._tune import TuneResult, tune

__all__ = [
    "AudioOptunaSearchCV",
    "CachedTransformer",
    "TuneResult",
    "check_search_space",
    "plot_tuning",
    "search_space",
    "tune",
]
