"""The pipelines the command line trains: loader, optional segmenter, features, network."""

import math

from sklearn.pipeline import Pipeline

from ..features import MFCCTransformer
from ..io import AudioLoader
from ..segment import RawSegmenter

MODELS = ("cnn", "lstm", "dense")


def spectral_params(sr):
    """FFT size of about 64 ms (a power of two) and a quarter of it as hop, for any rate.

    This gives the usual 2048/512 at 22,050 Hz and 512/128 at 8 kHz.
    """
    n_fft = 2 ** math.ceil(math.log2(sr * 0.064))
    return {"n_fft": n_fft, "hop_length": n_fft // 4}


def build_pipeline(model, *, sr, segment_seconds=None, n_mfcc=13, epochs=None,
                   random_state=0, callbacks=None, verbose=False):
    """Loader, optional segmenter, MFCC features and one of our Keras classifiers.

    Parameters
    ----------
    model : {"cnn", "lstm", "dense"}
        The network family. ``"dense"`` works on MFCC summary statistics.
    sr : int
        Sampling rate every file is resampled to.
    segment_seconds : float or None
        Cut clips into segments of this length (predictions are per clip).
    n_mfcc : int
        MFCC coefficients per frame.
    epochs : int or None
        Training epochs; None keeps the classifier's default.
    random_state : int
        Seed of the classifier.
    callbacks : list or None
        Extra Keras callbacks for training (a progress bar, a pruning callback).
    verbose : bool
        Progress bar while decoding files.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``load``, optionally ``seg``, ``mfcc`` and ``clf``.

    Examples
    --------
    >>> from sklearn_audio.cli._pipelines import build_pipeline
    >>> [name for name, _ in build_pipeline("cnn", sr=8000, segment_seconds=1.0).steps]
    ['load', 'seg', 'mfcc', 'clf']
    """
    from .. import models

    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(MODELS)}.")
    classifier_class = {
        "cnn": models.CNNClassifier,
        "lstm": models.LSTMClassifier,
        "dense": models.DenseClassifier,
    }[model]
    classifier_params = {"random_state": random_state}
    if epochs is not None:
        classifier_params["epochs"] = epochs
    if callbacks:
        classifier_params["callbacks"] = callbacks
    steps = [("load", AudioLoader(sr=sr, verbose=verbose))]
    if segment_seconds:
        steps.append(("seg", RawSegmenter(segment_seconds=segment_seconds, sr=sr)))
    output = "stats" if model == "dense" else "frames"
    steps.append(
        ("mfcc", MFCCTransformer(sr=sr, n_mfcc=n_mfcc, output=output, **spectral_params(sr)))
    )
    steps.append(("clf", classifier_class(**classifier_params)))
    return Pipeline(steps)


def cache_features(pipeline, folder):
    """The same pipeline with its feature steps in a :class:`~sklearn_audio.tuning.CachedTransformer`.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Feature steps followed by the classifier, as :func:`build_pipeline` makes.
    folder : str
        The cache folder.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features`` (the cached feature steps) and the classifier's,
        under its own name: ``clf__`` parameters keep their names.

    Examples
    --------
    >>> from sklearn_audio.cli._pipelines import build_pipeline, cache_features
    >>> cached = cache_features(build_pipeline("dense", sr=8000), folder="feature-cache")
    >>> [name for name, _ in cached.steps]
    ['features', 'clf']
    """
    from ..tuning import CachedTransformer

    features = Pipeline(pipeline.steps[:-1])
    return Pipeline([("features", CachedTransformer(features, memory=folder)), pipeline.steps[-1]])
