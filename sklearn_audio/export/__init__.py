"""Export a fitted pipeline as one self-contained model: raw waveform to probabilities.

:func:`export_model` writes a ``.keras``, LiteRT (``.tflite``) or ONNX file whose
graph holds everything ``pipeline.predict_proba`` does after decoding:
segmentation, MFCC or log-mel features, the network with its input
standardisation, and the clip aggregate. Such a file is predicted with
:func:`sklearn_audio.runtime.load_exported`, which does not import
TensorFlow for ``.tflite`` and ``.onnx`` files.

Importing this package is cheap; TensorFlow is imported by
:func:`export_model` itself.
"""

from ._spec import ExportSpec, UnsupportedPipelineError, describe_pipeline

__all__ = ["FORMATS", "ExportSpec", "UnsupportedPipelineError", "describe_pipeline", "export_model"]

#: File formats by suffix.
FORMATS = {".keras": "keras", ".tflite": "tflite", ".onnx": "onnx"}


def _format(path, format):
    from pathlib import Path

    if format is not None:
        if format not in FORMATS.values():
            raise ValueError(
                f"format must be one of {sorted(FORMATS.values())} or None, got {format!r}."
            )
        return format
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"Cannot tell the export format from {str(path)!r}: use a file name ending in "
            f"{' or '.join(FORMATS)}, or pass format=."
        )
    return FORMATS[suffix]


def export_model(pipeline, path, *, format=None):
    """Write a fitted pipeline as one model from raw mono waveform to class probabilities.

    The exported graph takes one clip, a float32 array of shape
    ``(1, n_samples)`` at the pipeline's sampling rate (any length), and
    returns its class probabilities ``(1, n_classes)``, equal to
    ``pipeline.predict_proba`` on the same file (within 1e-4; about 1e-7
    measured). Segmentation follows the fitted
    :class:`~sklearn_audio.RawSegmenter` (its segment count caps long clips,
    as in the pipeline), and features are computed inside the graph. The
    classes, the sampling rate and a description are stored inside the
    file: in the flatbuffer metadata (entry ``"sklearn_audio"``) of a
    ``.tflite`` file, in ``metadata_props`` (key ``"sklearn_audio"``) of an
    ``.onnx`` file, in the config of the last layer of a ``.keras`` one.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted: :class:`~sklearn_audio.AudioLoader` (mono, fixed ``sr``), an
        optional :class:`~sklearn_audio.RawSegmenter`,
        :class:`~sklearn_audio.MFCCTransformer` or
        :class:`~sklearn_audio.MelSpectrogramTransformer` (``delta=0``), and a
        :class:`~sklearn_audio.CNNClassifier` (2-D),
        :class:`~sklearn_audio.LSTMClassifier` or
        :class:`~sklearn_audio.DenseClassifier`. A
        :class:`~sklearn_audio.WaveformAugmenter` is skipped (it does
        nothing at predict time).
    path : str or os.PathLike
        Destination, written atomically.
    format : {"keras", "tflite", "onnx"} or None, default=None
        None chooses from the suffix of ``path`` (``.keras``, ``.tflite``,
        ``.onnx``). ONNX needs ``tf2onnx`` (the ``export`` extra).

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    UnsupportedPipelineError
        A step or a setting the exporter cannot reproduce, named.
    ValueError
        An unknown format or suffix.

    See Also
    --------
    sklearn_audio.runtime.load_exported : Predict with the exported file.

    Examples
    --------
    >>> from sklearn_audio.export import export_model
    >>> export_model(object(), "model.pt")
    Traceback (most recent call last):
    ...
    ValueError: Cannot tell the export format from 'model.pt': use a file name ending in .keras or .tflite or .onnx, or pass format=.
    """
    from pathlib import Path

    from .._atomic import atomic_path, atomic_write_bytes

    fmt = _format(path, format)
    spec = describe_pipeline(pipeline)
    from ._graph import build_keras_model, metadata_json

    model = build_keras_model(spec)
    path = Path(path)
    if fmt == "keras":
        with atomic_path(path) as tmp:
            model.save(tmp)
    elif fmt == "tflite":
        from ._tflite import to_tflite

        atomic_write_bytes(path, to_tflite(model, metadata_json(spec)))
    else:
        from ._onnx import to_onnx

        atomic_write_bytes(path, to_onnx(model, metadata_json(spec)))
    return path
