"""``sklearn-audio predict``: label files, folders, or long recordings window by window.

Two kinds of model answer the same small interface (``classes_``, ``sr``,
``predict_proba_paths(paths)``, ``predict_proba_windows(path,
window_seconds)``): a pipeline saved by ``train`` (:class:`PipelinePredictor`)
and a model exported by ``export`` (``.tflite``, read by
``_export_commands.load_exported_for_predict``, which needs no TensorFlow).

Memory stays bounded whatever the input: files are decoded ``--batch-size``
at a time, and with ``--window`` a recording is read one window at a time
(``load_audio`` with an offset and a duration seeks in the file and decodes,
then resamples, only that window), so an hour-long file never sits in
memory whole.
"""

import sys
from pathlib import Path

import numpy as np

from .._formats import AUDIO_EXTENSIONS, find_audio_files
from ._errors import UserError
from ._output import row_writer
from ._progress import file_progress_bar

def _as_batch(waveforms):
    """Equal-length waveforms as one 2-D array, ragged ones as a 1-D object array."""
    if len({len(w) for w in waveforms}) == 1:
        return np.stack(waveforms)
    batch = np.empty(len(waveforms), dtype=object)
    batch[:] = waveforms
    return batch


class PipelinePredictor:
    """The predict interface of an exported model, for a pipeline saved by ``train``.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted. Its first step is an :class:`~sklearn_audio.AudioLoader`, or a
        front end that takes paths and waveforms at its ``sr`` parameter
        (:class:`~sklearn_audio.pretrained.MusicnnTransformer`).
    batch_size : int
        Windows classified together by :meth:`predict_proba_windows`.

    Examples
    --------
    >>> import numpy as np, soundfile, tempfile, os
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_audio import AudioLoader
    >>> from sklearn_audio.cli._predict import PipelinePredictor
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> soundfile.write(path, np.zeros(8000 * 5), 8000)
    >>> pipe = Pipeline([("load", AudioLoader(sr=8000)),
    ...                  ("length", FunctionTransformer(lambda w: [[len(x)] for x in w])),
    ...                  ("clf", DummyClassifier())]).fit([path, path], ["a", "b"])
    >>> model = PipelinePredictor(pipe)
    >>> [(start, end) for start, end, _ in model.predict_proba_windows(path, 2.0)]
    [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0)]
    """

    def __init__(self, pipeline, *, batch_size=64):
        from ..io import AudioLoader

        self.pipeline = pipeline
        self.batch_size = batch_size
        first = pipeline.steps[0][1]
        # A model trained with the command keeps its decoding progress bar on:
        # predict shows its own bar, over every file.
        if "verbose" in first.get_params():
            first.set_params(verbose=False)
        # Windows are decoded here, at the rate the first step expects: they skip
        # an AudioLoader, and go to a front end that reads waveforms itself
        # (MusicnnTransformer, at its ``sr``) through the whole pipeline.
        self._after_loading = pipeline[1:] if isinstance(first, AudioLoader) else pipeline
        self._sr = first.sr

    @property
    def classes_(self):
        return self.pipeline.classes_

    @property
    def sr(self):
        return self._sr

    def predict_proba_paths(self, paths):
        """Class probabilities of whole files, shape (n_files, n_classes)."""
        return self.pipeline.predict_proba(np.asarray(paths, dtype=object))

    def predict_proba_windows(self, path, window_seconds):
        """Yield ``(start_s, end_s, probabilities)`` for consecutive windows of one file.

        The last window is shorter when the duration is not a multiple of
        ``window_seconds``. Windows are read from the file one at a time and
        classified ``batch_size`` at a time by the pipeline's steps after
        its loader.
        """
        from ..io import audio_duration, load_audio

        duration = audio_duration(path)
        starts = np.arange(0.0, duration, window_seconds)
        for first in range(0, len(starts), self.batch_size):
            chunk = starts[first:first + self.batch_size]
            spans = [(float(s), float(min(s + window_seconds, duration))) for s in chunk]
            waves = [
                load_audio(path, sr=self.sr, mono=True, offset=start, duration=end - start)
                for start, end in spans
            ]
            proba = self._after_loading.predict_proba(_as_batch(waves))
            yield from ((start, end, row) for (start, end), row in zip(spans, proba))


def audio_paths(arguments):
    """The files to label: files as given, folders searched recursively for audio files.

    Every path is checked here, before any model is loaded: a typo is
    reported at once, not after the seconds a model takes to load.
    """
    paths = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = [str(f) for f in find_audio_files(path)]
            if not found:
                raise UserError(
                    f"no audio files in folder {argument} (searched recursively for "
                    f"{', '.join(sorted(AUDIO_EXTENSIONS))})"
                )
            paths += found
        elif path.is_file():
            paths.append(argument)
        else:
            raise UserError(f"no such file or folder: {argument}")
    return paths


#: Suffixes of exported models, which ``predict`` runs without TensorFlow.
EXPORTED_SUFFIXES = (".tflite", ".onnx")


def load_saved_model(model_file, *, trust=False):
    """The pipeline of a model file written by ``train``, TensorFlow imported quietly.

    A set whose replacement a kill interrupted is completed first
    (:func:`._artifacts.finish_interrupted`).
    """
    from ._artifacts import finish_interrupted
    from ._model_file import load_model
    from ._tensorflow import import_tensorflow_quietly

    finish_interrupted(Path(model_file))
    import_tensorflow_quietly()
    # Trusting is the exception: the default call is the safe one.
    pipeline, _ = load_model(model_file, trust=True) if trust else load_model(model_file)
    return pipeline


def load_predictor(model_file, *, trust=False, batch_size=64):
    """The model of ``model_file``: exported (by suffix) or a pipeline saved by ``train``.

    An exported model is read by the light runtime; nothing on that path
    imports TensorFlow.
    """
    # Cheap to import: the converters are imported only when exporting.
    from . import _export_commands

    if Path(model_file).suffix.lower() in EXPORTED_SUFFIXES:
        return _export_commands.load_exported_for_predict(model_file)
    return PipelinePredictor(load_saved_model(model_file, trust=trust), batch_size=batch_size)


def check_model_file(model_file):
    """A UserError now if ``model_file`` cannot be a model, before any slow loading.

    A replacement of the model's set that a kill interrupted is completed
    first: the model file may be the last of its renames.
    """
    from ._artifacts import finish_interrupted

    path = Path(model_file)
    finish_interrupted(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise UserError(f"model file not found: {path}")


def _label(classes, row):
    value = classes[int(np.argmax(row))]
    return value.item() if isinstance(value, np.generic) else value


def predict(args):
    """``sklearn-audio predict``: each file's label and class probabilities, or a timeline."""
    # Quick checks of every path first: loading a model takes seconds.
    check_model_file(args.model_file)
    files = audio_paths(args.files)
    if args.output is not None:
        folder = Path(args.output).parent
        if not folder.is_dir():
            raise UserError(f"--output {args.output}: folder {folder} does not exist")
    model = load_predictor(args.model_file, trust=args.trust, batch_size=args.batch_size)
    classes = list(model.classes_)
    windowed = args.window is not None
    bar = file_progress_bar(len(files), quiet=args.quiet)
    try:
        with row_writer(args.format, [str(c) for c in classes], output=args.output,
                        windowed=windowed) as rows:
            if windowed:
                for path in files:
                    for start, end, row in model.predict_proba_windows(path, args.window):
                        rows.write(path, str(_label(classes, row)), row, start, end)
                    bar.update(1)
            else:
                for first in range(0, len(files), args.batch_size):
                    batch = files[first:first + args.batch_size]
                    proba = np.asarray(model.predict_proba_paths(batch))
                    for path, row in zip(batch, proba):
                        rows.write(path, str(_label(classes, row)), row)
                    bar.update(len(batch))
    finally:
        bar.close()
    if args.output is not None and not args.quiet:
        print(f"wrote {rows.n_rows} rows to {args.output}", file=sys.stderr, flush=True)
    return 0

