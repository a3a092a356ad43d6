"""The exported Keras model: raw waveform in, clip probabilities out."""

import json

import numpy as np

__all__ = ["build_keras_model", "metadata_json", "model_metadata"]

#: Written in every exported file; the runtime checks it.
FORMAT = "sklearn-audio exported model"
FORMAT_VERSION = 1
#: Name of the last layer, whose config holds the metadata JSON.
AGGREGATE_NAME = "clip_probabilities"


def _constants(features):
    """Window, mel filterbank and DCT matrix exactly as ``sklearn_audio._spectral``."""
    from .._spectral import LogMelEngine

    engine = LogMelEngine(
        features["sr"], features["n_fft"], features["hop_length"], features["n_mels"],
        features["fmin"], features["fmax"], top_db=features["top_db"],
        n_mfcc=features["n_mfcc"],
    )  # fmt: skip
    n_bins = features["n_fft"] // 2 + 1
    mel_t = np.zeros((n_bins, features["n_mels"]), dtype=np.float32)
    for low, high, first, last, weights in engine.mel_blocks:
        mel_t[low:high, first:last] = weights
    weights = [engine.window, mel_t]
    if engine.dct_t is not None:
        weights.append(engine.dct_t)
    return weights


def model_metadata(spec):
    """The JSON-friendly description stored inside every exported file."""
    from .. import __version__

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklearn_audio_version": __version__,
        "sr": spec.sr,
        "classes": spec.classes,
        "input": "waveform: float32 (1, n_samples), mono, at sr Hz, any length",
        "output": "probabilities: float32 (1, n_classes), columns in the order of classes",
        "segment_samples": None if spec.segment is None else spec.segment[0],
        "classifier": type(spec.classifier).__name__,
        "features": dict(spec.features),
    }


def build_keras_model(spec):
    """A Keras model from one waveform ``(1, n_samples)`` to probabilities ``(1, n_classes)``.

    The classifier's own fitted network (input standardisation included) is
    nested unchanged between the feature layer and the aggregation layer.
    The metadata JSON is kept in the config of the last layer,
    ``AGGREGATE_NAME``.
    """
    import keras

    from ._layers import ClipAggregate, WaveformFeatures

    f = spec.features
    segmented_input = spec.segment is not None and f["output"] == "frames"
    front = WaveformFeatures(
        f["n_fft"], f["hop_length"], f["n_mels"], f["n_mfcc"], f["top_db"], f["output"],
        f["n_frames"], segment=spec.segment, name="waveform_features",
    )  # fmt: skip
    waveform = keras.Input(shape=(None,), batch_size=1, name="waveform")
    features, mask = front(waveform)
    proba = spec.classifier.model_(features, training=False)
    # Whole clips and statistics give one row per clip: no aggregate to take.
    how = spec.aggregate if segmented_input else "mean"
    outputs = ClipAggregate(how, metadata_json(spec), name=AGGREGATE_NAME)(proba, mask)
    model = keras.Model(waveform, outputs, name="sklearn_audio_exported")
    front.set_weights(_constants(f))
    return model


def metadata_json(spec):
    """:func:`model_metadata` as a JSON string."""
    return json.dumps(model_metadata(spec), sort_keys=True)
