"""What a fitted pipeline computes, read from its steps: the one place that knows them.

:func:`describe_pipeline` walks the steps of a fitted pipeline and returns a
plain description (sampling rate, segmentation, feature settings, classifier)
that the graph builder turns into TensorFlow ops. Nothing here imports
TensorFlow. Unsupported settings are refused here, naming the parameter, so
that an export fails before any conversion work.
"""

import dataclasses
import numbers

import numpy as np

__all__ = ["ExportSpec", "UnsupportedPipelineError", "describe_pipeline"]


class UnsupportedPipelineError(ValueError):
    """The fitted pipeline uses a step or a setting the exporter cannot put in a graph.

    The message names the step and the parameter. A subclass of
    :class:`ValueError`.

    Examples
    --------
    >>> from sklearn_audio.export import UnsupportedPipelineError
    >>> issubclass(UnsupportedPipelineError, ValueError)
    True
    """


@dataclasses.dataclass(frozen=True)
class ExportSpec:
    """Everything the exported graph needs, as plain values.

    Attributes
    ----------
    sr : int
        Sampling rate the model expects.
    segment : tuple of int or None
        ``(segment_samples, hop_samples, n_segments)`` of the
        :class:`~sklearn_audio.RawSegmenter`, or None for whole clips.
    features : dict
        ``sr, n_fft, hop_length, n_mels, fmin, fmax, top_db, n_mfcc`` (None
        for log-mel), ``output`` and ``n_frames`` (fitted frame count, None
        with ``output="stats"``).
    classifier : KerasAudioClassifier
        The fitted classifier (its ``model_`` holds the input standardisation).
    aggregate : {"mean", "vote"}
        How segment probabilities become clip probabilities.
    classes : list
        Class labels as plain Python values, in column order.

    Examples
    --------
    >>> import dataclasses
    >>> from sklearn_audio.export import ExportSpec
    >>> [field.name for field in dataclasses.fields(ExportSpec)]
    ['sr', 'segment', 'features', 'classifier', 'aggregate', 'classes']
    """

    sr: int
    segment: tuple | None
    features: dict
    classifier: object
    aggregate: str
    classes: list


def _unwrap(step):
    """The estimators a step stands for, in order, through known wrappers.

    Pipelines (anything with ``steps``) are flattened and a
    :class:`~sklearn_audio.tuning.CachedTransformer` stands for its fitted
    transformer, so a pipeline whose front end is cached or wrapped exports
    like the plain one. A :class:`~sklearn_audio.StreamingPipeline`
    (what ``sklearn-audio train`` fits) is a Pipeline whose ``steps`` hold
    its fitted steps, so it flattens the same way, nested or not.
    """
    if step is None or step == "passthrough":
        return []
    if hasattr(step, "steps"):
        return [inner for _, sub in step.steps for inner in _unwrap(sub)]
    if type(step).__name__ == "CachedTransformer":
        return _unwrap(getattr(step, "transformer_", step.transformer))
    return [step]


def _refuse(step, param, value, why):
    raise UnsupportedPipelineError(
        f"Cannot export {type(step).__name__}({param}={value!r}): {why}"
    )


def _loader_sr(loader):
    if not loader.mono:
        _refuse(loader, "mono", loader.mono, "the exported model takes one mono waveform.")
    if loader.offset:
        _refuse(loader, "offset", loader.offset,
                "the exported model reads files from their start; trim the audio instead.")
    if loader.duration is not None:
        _refuse(loader, "duration", loader.duration,
                "the exported model reads whole files; trim the audio instead.")
    if loader.sr is None:
        _refuse(loader, "sr", None,
                "the exported model needs one sampling rate to resample every file to.")
    return int(loader.sr)


def _feature_settings(step, sr):
    from ..features import MFCCTransformer

    if not hasattr(step, "n_frames_"):
        raise UnsupportedPipelineError(f"{type(step).__name__} is not fitted.")
    if step.delta != 0:
        _refuse(step, "delta", step.delta,
                "delta features are not supported by the exporter; use delta=0.")
    if getattr(step, "normalize", None) is not None:
        _refuse(step, "normalize", step.normalize,
                "per-clip mean normalisation is not supported by the exporter; "
                "use normalize=None.")
    if step.sr != sr:
        _refuse(step, "sr", step.sr, f"it differs from the loader's sampling rate {sr}.")
    is_mfcc = isinstance(step, MFCCTransformer)
    return {
        "sr": int(step.sr),
        "n_fft": int(step.n_fft),
        "hop_length": int(step.hop_length),
        "n_mels": int(step.n_mels),
        "fmin": float(step.fmin),
        "fmax": None if step.fmax is None else float(step.fmax),
        "top_db": 80.0 if is_mfcc else float(step.top_db),
        "n_mfcc": int(step.n_mfcc) if is_mfcc else None,
        "output": step.output,
        "n_frames": None if step.n_frames_ is None else int(step.n_frames_),
    }


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def describe_pipeline(pipeline):
    """Read a fitted pipeline into an :class:`ExportSpec`.

    The supported pipeline is the one ``sklearn-audio train`` builds:
    :class:`~sklearn_audio.AudioLoader`, an optional
    :class:`~sklearn_audio.RawSegmenter`, an optional
    :class:`~sklearn_audio.WaveformAugmenter` (it changes nothing at
    predict time), :class:`~sklearn_audio.MFCCTransformer` or
    :class:`~sklearn_audio.MelSpectrogramTransformer`, and a CNN, LSTM or
    dense classifier of :mod:`sklearn_audio.models`.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted.

    Returns
    -------
    spec : ExportSpec

    Raises
    ------
    UnsupportedPipelineError
        Naming the step and the parameter the exporter cannot reproduce.

    Examples
    --------
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_audio import AudioLoader
    >>> from sklearn_audio.export import describe_pipeline
    >>> describe_pipeline(Pipeline([("load", AudioLoader(sr=8000)),
    ...                             ("scale", StandardScaler())]))
    Traceback (most recent call last):
    ...
    sklearn_audio.export._spec.UnsupportedPipelineError: Cannot export a pipeline of steps ['AudioLoader', 'StandardScaler']: ...
    """
    from ..augment import WaveformAugmenter
    from ..features import MelSpectrogramTransformer, MFCCTransformer
    from ..io import AudioLoader
    from ..segment import RawSegmenter

    steps = [s for s in _unwrap(pipeline) if not isinstance(s, WaveformAugmenter)]
    names = [type(s).__name__ for s in steps]
    expected = (
        "AudioLoader, optional RawSegmenter, MFCCTransformer or MelSpectrogramTransformer, "
        "then a CNNClassifier, LSTMClassifier or DenseClassifier"
    )
    if len(steps) < 3 or not isinstance(steps[0], AudioLoader):
        raise UnsupportedPipelineError(
            f"Cannot export a pipeline of steps {names}: expected {expected}."
        )
    sr = _loader_sr(steps[0])
    rest = steps[1:]
    segment = None
    if isinstance(rest[0], RawSegmenter):
        seg = rest.pop(0)
        if not hasattr(seg, "n_segments_"):
            raise UnsupportedPipelineError("RawSegmenter is not fitted.")
        if seg.sr != sr:
            _refuse(seg, "sr", seg.sr, f"it differs from the loader's sampling rate {sr}.")
        segment = (int(seg.segment_samples_), int(seg.hop_samples_), int(seg.n_segments_))
    if len(rest) != 2 or not isinstance(rest[0], (MFCCTransformer, MelSpectrogramTransformer)):
        raise UnsupportedPipelineError(
            f"Cannot export a pipeline of steps {names}: expected {expected}."
        )
    features = _feature_settings(rest[0], sr)
    classifier = rest[1]
    from ..models import CNNClassifier, DenseClassifier, LSTMClassifier

    if not isinstance(classifier, (CNNClassifier, DenseClassifier, LSTMClassifier)):
        raise UnsupportedPipelineError(
            f"Cannot export classifier {type(classifier).__name__}: expected {expected}."
        )
    if not hasattr(classifier, "model_"):
        raise UnsupportedPipelineError(f"{type(classifier).__name__} is not fitted.")
    if getattr(classifier, "conv", "2d") == "1d":
        _refuse(classifier, "conv", "1d", "the exporter supports networks on features only.")
    stats = features["output"] == "stats"
    if stats != (classifier._example_ndim() == 1):
        raise UnsupportedPipelineError(
            f"{type(classifier).__name__} expects examples of shape "
            f"{classifier.example_shape_}, which output={features['output']!r} does not give."
        )
    aggregate = classifier.aggregate
    if aggregate not in ("mean", "vote"):
        _refuse(classifier, "aggregate", aggregate, "expected 'mean' or 'vote'.")
    return ExportSpec(
        sr=sr,
        segment=segment,
        features=features,
        classifier=classifier,
        aggregate=aggregate,
        classes=[_plain(c) for c in classifier.classes_],
    )
