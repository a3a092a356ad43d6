"""Predict with an exported model without importing TensorFlow.

A ``.tflite`` or ``.onnx`` file written by
:func:`sklearn_audio.export.export_model` runs on the light LiteRT
interpreter or ONNX Runtime (``pip install "sklearn-audio[runtime]"``,
packages ``ai-edge-litert`` and ``onnxruntime``): starting a prediction costs
a fraction of a second instead of TensorFlow's import. This module imports only NumPy,
soundfile and soxr (decoding and resampling as
:class:`~sklearn_audio.AudioLoader` does) and the interpreter, lazily. A
``.keras`` export is accepted too, through Keras (slow to import).

Run ``python -m sklearn_audio.runtime MODEL.tflite FILE...`` to print each
file's most probable class.
"""

import json
import math
import os
import sys

import numpy as np
import soundfile as sf
import soxr

__all__ = ["ExportedModel", "load_exported"]

_FORMAT = "sklearn-audio exported model"  # as sklearn_audio.export._graph.FORMAT
_FORMAT_VERSION = 1
_METADATA_NAME = "sklearn_audio"  # as sklearn_audio.export._tflite.METADATA_NAME
_AGGREGATE_NAME = "clip_probabilities"  # as sklearn_audio.export._graph.AGGREGATE_NAME
_RESAMPLE_QUALITY = "HQ"  # as sklearn_audio.io.load_audio
_BLOCK_SECONDS = 10.0  # decoded per read when streaming windows


def _tflite_metadata(content, path):
    """The JSON description stored in the flatbuffer's metadata."""
    from ._compat.litert import read_metadata_entry

    try:
        data = read_metadata_entry(content, _METADATA_NAME)
        if data is not None:
            return json.loads(data.decode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a model of ours"
        raise ValueError(
            f"{path} is not a LiteRT model file ({type(exc).__name__}: {exc})."
        ) from None
    raise ValueError(f"{path} is not a sklearn-audio exported model (no {_METADATA_NAME!r} metadata).")


class _LiteRT:
    """One LiteRT interpreter; its input is resized to each clip's length."""

    def __init__(self, path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise ImportError(
                f"Predicting with {path} needs the LiteRT interpreter: "
                'pip install "sklearn-audio[runtime]" (package ai-edge-litert).'
            ) from None
        with open(path, "rb") as f:
            content = f.read()
        self.metadata = _tflite_metadata(content, path)
        self._interpreter = Interpreter(model_content=content)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._length = None

    def __call__(self, waveform):
        if len(waveform) != self._length:
            # Reallocating costs a little; clips of one length share the allocation.
            self._interpreter.resize_tensor_input(self._input, [1, len(waveform)])
            self._interpreter.allocate_tensors()
            self._length = len(waveform)
        self._interpreter.set_tensor(self._input, waveform[np.newaxis])
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0]


class _ONNX:
    """One onnxruntime session."""

    def __init__(self, path):
        try:
            import onnxruntime
        except ImportError:
            raise ImportError(
                f"Predicting with {path} needs ONNX Runtime: "
                'pip install "sklearn-audio[runtime]" (package onnxruntime).'
            ) from None
        try:
            self._session = onnxruntime.InferenceSession(
                os.fspath(path), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - any load failure means "not a model of ours"
            raise ValueError(f"{path} is not an ONNX model file ({exc}).") from None
        text = self._session.get_modelmeta().custom_metadata_map.get(_METADATA_NAME)
        if text is None:
            raise ValueError(
                f"{path} is not a sklearn-audio exported model (no {_METADATA_NAME!r} metadata)."
            )
        self.metadata = json.loads(text)
        self._input = self._session.get_inputs()[0].name

    def __call__(self, waveform):
        return self._session.run(None, {self._input: waveform[np.newaxis]})[0][0]


class _Keras:
    """A ``.keras`` export, through Keras (imports TensorFlow)."""

    def __init__(self, path):
        import keras

        from .export import _layers  # noqa: F401 - registers the exported layers
        from .models import _base  # noqa: F401 - registers the input normalisation layer

        self._model = keras.saving.load_model(path)
        config = self._model.get_layer(_AGGREGATE_NAME).get_config()
        self.metadata = json.loads(config["metadata"])

    def __call__(self, waveform):
        return np.asarray(self._model(waveform[np.newaxis], training=False))[0]


def _mono(block):
    # As load_audio: channels averaged in float32.
    return block.mean(axis=1, dtype=np.float32)


def _decode(path, sr):
    """The file as float32 mono at ``sr``, as ``sklearn_audio.io.load_audio`` decodes it."""
    try:
        data, native_sr = sf.read(path, dtype="float32", always_2d=True)
    except sf.SoundFileError as exc:
        raise ValueError(f"Cannot decode audio file {str(path)!r}: {exc}") from None
    if len(data) == 0:
        raise ValueError(f"Audio file {str(path)!r} decodes to 0 samples.")
    waveform = _mono(data)
    if native_sr != sr:
        waveform = soxr.resample(waveform, native_sr, sr, quality=_RESAMPLE_QUALITY)
    return np.asarray(waveform, dtype=np.float32)


class ExportedModel:
    """An exported model, ready to predict; made by :func:`load_exported`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the probability columns.
    sr : int
        Sampling rate the model expects; files are resampled to it.
    metadata : dict
        The description stored in the file (features, classifier, version).
    path : str
        The file loaded.

    Examples
    --------
    >>> from sklearn_audio.runtime import load_exported
    >>> model = load_exported("model.tflite")                 # doctest: +SKIP
    >>> model.classes_, model.sr                              # doctest: +SKIP
    (array(['music', 'speech'], dtype='<U6'), 22050)
    >>> model.predict_proba_paths(["a.wav", "b.flac"])        # doctest: +SKIP
    array([[0.97, 0.03],
           [0.12, 0.88]])
    """

    def __init__(self, path, backend):
        self.path = str(path)
        self._backend = backend
        self.metadata = backend.metadata
        if self.metadata.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a sklearn-audio exported model.")
        if self.metadata.get("format_version", 0) > _FORMAT_VERSION:
            raise ValueError(
                f"{path} was exported by a newer sklearn-audio "
                f"({self.metadata.get('sklearn_audio_version')}); upgrade to read it."
            )
        self.classes_ = np.asarray(self.metadata["classes"])
        self.sr = int(self.metadata["sr"])

    def __repr__(self):
        return f"ExportedModel({self.path!r}, sr={self.sr}, classes={self.classes_.tolist()})"

    def _proba(self, waveform, name):
        waveform = np.ascontiguousarray(waveform, dtype=np.float32)
        if waveform.ndim != 1 or len(waveform) == 0:
            raise ValueError(
                f"Waveform {name} must be a non-empty 1-D mono array, got shape {waveform.shape}."
            )
        if not np.isfinite(waveform).all():
            raise ValueError(f"Waveform {name} holds NaN or infinite values.")
        return self._backend(waveform).astype(np.float64)

    def predict_proba(self, waveforms):
        """Class probabilities of mono waveforms at ``sr``.

        Parameters
        ----------
        waveforms : list of 1-D array-like
            Clips of any lengths, at ``sr`` Hz.

        Returns
        -------
        proba : ndarray of float64, shape (n_clips, n_classes)
            Columns follow ``classes_``; as ``pipeline.predict_proba``.
        """
        rows = [self._proba(w, i) for i, w in enumerate(waveforms)]
        return np.array(rows).reshape(len(rows), len(self.classes_))

    def predict_proba_paths(self, paths, batch_size=16):
        """Decode, resample and predict files, ``batch_size`` decoded at a time.

        Parameters
        ----------
        paths : iterable of str or os.PathLike
        batch_size : int, default=16
            Files whose audio is held at once.

        Returns
        -------
        proba : ndarray of float64, shape (n_files, n_classes)
        """
        paths = [os.fspath(p) for p in paths]
        rows = []
        for start in range(0, len(paths), batch_size):
            chunk = paths[start : start + batch_size]
            waveforms = [_decode(p, self.sr) for p in chunk]
            rows += [self._proba(w, repr(p)) for w, p in zip(waveforms, chunk)]
        return np.array(rows).reshape(len(rows), len(self.classes_))

    def predict_proba_windows(self, path, window_seconds):
        """Probabilities of consecutive windows of one file, read block by block.

        The file is decoded and resampled (a streaming soxr resampler, which
        gives the same samples as resampling the whole file) in blocks, so a
        long recording is never in memory whole. Each window is predicted as
        a clip of its own; the last one may be shorter.

        Parameters
        ----------
        path : str or os.PathLike
        window_seconds : float
            Window length; windows do not overlap.

        Yields
        ------
        start_s, end_s : float
            The window's span in seconds.
        proba : ndarray of float64, shape (n_classes,)
        """
        if not (isinstance(window_seconds, (int, float)) and math.isfinite(window_seconds)
                and window_seconds > 0):
            raise ValueError(f"window_seconds must be a positive number, got {window_seconds!r}.")
        size = max(1, int(round(window_seconds * self.sr)))
        path = os.fspath(path)
        pending = np.zeros(0, dtype=np.float32)
        start = 0
        for waveform in self._stream(path):
            pending = np.concatenate([pending, waveform])
            while len(pending) >= size:
                window, pending = pending[:size], pending[size:]
                yield start / self.sr, (start + size) / self.sr, self._proba(window, repr(path))
                start += size
        if len(pending):
            yield start / self.sr, (start + len(pending)) / self.sr, self._proba(
                pending, repr(path)
            )

    def _stream(self, path):
        """Mono blocks of the file at ``sr``."""
        try:
            f = sf.SoundFile(path)
        except sf.SoundFileError as exc:
            raise ValueError(f"Cannot decode audio file {path!r}: {exc}") from None
        with f:
            native_sr = f.samplerate
            resampler = None
            if native_sr != self.sr:
                resampler = soxr.ResampleStream(
                    native_sr, self.sr, 1, dtype="float32", quality=_RESAMPLE_QUALITY
                )
            block = max(1, int(_BLOCK_SECONDS * native_sr))
            while True:
                data = f.read(block, dtype="float32", always_2d=True)
                last = len(data) < block
                mono = _mono(data)
                if resampler is not None:
                    mono = resampler.resample_chunk(mono, last=last)
                if len(mono):
                    yield np.asarray(mono, dtype=np.float32)
                if last:
                    return


def load_exported(path):
    """Load a file written by :func:`sklearn_audio.export.export_model`.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.tflite`` file (LiteRT interpreter), an ``.onnx`` file (ONNX
        Runtime), neither importing TensorFlow, or a ``.keras`` file
        (imports Keras and TensorFlow).

    Returns
    -------
    model : ExportedModel

    Examples
    --------
    >>> from sklearn_audio.runtime import load_exported
    >>> load_exported("model.pt")
    Traceback (most recent call last):
    ...
    ValueError: Cannot load 'model.pt': exported models end in .tflite, .onnx or .keras.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    backends = {".tflite": _LiteRT, ".onnx": _ONNX, ".keras": _Keras}
    if suffix not in backends:
        raise ValueError(
            f"Cannot load {path!r}: exported models end in .tflite, .onnx or .keras."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Exported model not found: {path}")
    return ExportedModel(path, backends[suffix](path))


def main(argv=None):
    """``python -m sklearn_audio.runtime MODEL FILE...``: print each file's class."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print("usage: python -m sklearn_audio.runtime MODEL.tflite FILE...", file=sys.stderr)
        return 2
    model = load_exported(argv[0])
    proba = model.predict_proba_paths(argv[1:])
    for path, row in zip(argv[1:], proba):
        print(f"{path}\t{model.classes_[row.argmax()]}\t{row.max():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
