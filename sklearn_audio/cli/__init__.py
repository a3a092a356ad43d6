"""The ``sklearn-audio`` command: train, evaluate, predict, tune and demo without writing code.

Examples
--------
.. code-block:: console

    $ sklearn-audio train data/ --out model.skaudio
    $ sklearn-audio train data/ --model cnn --epochs 30 --no-early-stopping --out model.skaudio
    $ sklearn-audio predict model.skaudio clip1.wav clip2.wav --format json
    $ sklearn-audio predict model.skaudio recordings/ --format csv --output labels.csv
    $ sklearn-audio predict model.tflite concert.wav --window 5 --format jsonl
    $ sklearn-audio evaluate model.skaudio held_out/
    $ sklearn-audio export model.skaudio model.tflite
    $ sklearn-audio tags song.mp3 --top 5
    $ sklearn-audio train data/ --features musicnn --out model.skaudio
    $ sklearn-audio tune data/ --model dense --trials 20 --storage sqlite:///study.db
    $ sklearn-audio demo
"""

import argparse
import importlib
import inspect
import os
import sys

from .. import __version__
from ..exceptions import AudioFileError
from . import _tensorflow
from ._errors import UserError
from ._output import FORMATS
from ._pipelines import (
    AUTO_CNN_MIN_CLIPS,
    FEATURES,
    CLASSIFIER_DEFAULTS,
    LR_SCHEDULES,
    MODELS,
    SEGMENT_LONGER_THAN,
    SEGMENT_SECONDS,
    build_pipeline,
)

__all__ = ["main", "build_parser"]


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _fraction_or_zero(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


TRUST_HELP = (
    "load a model file in the older pickle-based format, or a safe model file holding types "
    "outside the trusted list: loading such a file can run any code it holds, so give this "
    "only for files you made or trust; the default safe format needs no trust"
)
SKIP_UNREADABLE_HELP = (
    "skip files that cannot be read as audio (empty, truncated, not audio), list them and "
    "record them in report.json; without it the first one stops the command, naming itself"
)
DATA_DIR_HELP = (
    "folder with one sub-folder per class; every audio file below a class folder, at any "
    "depth, is an example of that class"
)


def _add_model_options(parser, *, epochs_help):
    parser.add_argument("data_dir", metavar="DATA_DIR", help=DATA_DIR_HELP)
    parser.add_argument(
        "--model", choices=("auto", *MODELS), default="auto",
        help=f"network (default: auto: dense on MFCC statistics below {AUTO_CNN_MIN_CLIPS} "
             f"training clips, where it is the most accurate, cnn from {AUTO_CNN_MIN_CLIPS})",
    )
    parser.add_argument("--sr", type=_positive_int, default=22050, metavar="HZ",
                        help="sampling rate files are resampled to; --features musicnn "
                             "always uses its own 16000 (default: 22050)")
    parser.add_argument(
        "--segment-seconds", type=_non_negative_float, default=None, metavar="S",
        help=f"cut clips into segments of S seconds, 0 keeps whole clips; predictions stay per "
             f"clip (default: {SEGMENT_SECONDS:g} when the median clip is longer than "
             f"{SEGMENT_LONGER_THAN:g} s, else whole clips)",
    )
    parser.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                        help=f"{epochs_help} (default: {CLASSIFIER_DEFAULTS['epochs']})")
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED",
                        help="seed of the split, the network and the augmentation (default: 0)")
    parser.add_argument("--skip-unreadable", action="store_true", help=SKIP_UNREADABLE_HELP)


def _add_training_options(parser):
    """The classifier's training knobs; None (not given) keeps the classifier's default."""
    d = CLASSIFIER_DEFAULTS
    group = parser.add_argument_group("training")
    group.add_argument(
        "--early-stopping", action=argparse.BooleanOptionalAction, default=None,
        help="stop when the validation loss stops improving and keep the best epoch's weights "
             "(default: on); --no-early-stopping trains all --epochs, on every clip unless "
             "--validation-fraction is given",
    )
    group.add_argument("--patience", type=_positive_int, default=None, metavar="N",
                       help=f"epochs without improvement before stopping; the plateau schedule "
                            f"halves the rate after half as many (default: {d['patience']})")
    group.add_argument("--min-epochs", type=_non_negative_int, default=None, metavar="N",
                       help="warm-up: early stopping judges, stops and keeps weights only from "
                            f"this epoch on (default: {d['min_epochs']})")
    group.add_argument("--learning-rate", type=_positive_float, default=None, metavar="LR",
                       help=f"step size of the optimizer (default: {d['learning_rate']:g})")
    group.add_argument(
        "--lr-schedule", choices=LR_SCHEDULES, default=None,
        help="learning-rate schedule; auto is plateau with early stopping, cosine without "
             f"(default: {d['lr_schedule']})",
    )
    group.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                       help=f"examples per gradient step (default: {d['batch_size']})")
    group.add_argument(
        "--validation-fraction", type=_fraction_or_zero, default=None, metavar="F",
        help="share of the training clips held out for early stopping; 0 trains on every clip "
             f"without early stopping (default: {d['validation_fraction']:g}, or 0 with "
             "--no-early-stopping)",
    )
    group.add_argument("--mixup", type=_non_negative_float, default=None, metavar="ALPHA",
                       help="mixup strength in training, 0.2 to 0.4 are usual; 0 is off "
                            f"(default: {d['mixup']:g})")
    group.add_argument("--time-masks", type=_non_negative_int, default=None, metavar="N",
                       help="SpecAugment bands of frames masked per example, cnn and lstm only "
                            f"(default: {d['time_masks']})")
    group.add_argument("--freq-masks", type=_non_negative_int, default=None, metavar="N",
                       help="SpecAugment bands of MFCC coefficients masked per example, cnn and "
                            f"lstm only (default: {d['freq_masks']})")
    group.add_argument(
        "--augment", type=_non_negative_int, default=0, metavar="N",
        help="augmented copies of every training segment (gain, noise, time shift; "
             "WaveformAugmenter), cnn and lstm on segmented clips only; 0 is off (default: 0)",
    )
    group.add_argument(
        "--pitch-shift", type=_positive_float, default=None, metavar="SEMITONES",
        help="with --augment, also shift the pitch of half the copies by a random amount up "
             "to SEMITONES either way (2 suits speech from unseen speakers) (default: no "
             "pitch shift)",
    )


def _max_segments_help():
    # The default is build_pipeline's, shown as the number it is.
    parameter = inspect.signature(build_pipeline).parameters.get("max_segments")
    default = None if parameter is None else parameter.default
    shown = "no limit" if default is None else str(default)
    return ("at most N segments per clip, taken from a long clip's start, which bounds the "
            f"memory one clip takes (default: {shown})")


def _export(args):
    # Imported here: exporting needs the converters, no other command does.
    from . import _export_commands
    from ._artifacts import finish_interrupted

    finish_interrupted(args.model_file)
    _tensorflow.import_tensorflow_quietly()
    return _export_commands.export(args)


#: The networks of ``tags``, as sklearn_audio.pretrained names them (not imported
#: here: building the parser imports no TensorFlow).
MUSICNN_MODELS = ("MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg")


def _lazy_handler(module, name):
    """The handler ``module.name``, imported when the command runs.

    Building the parser imports no command module: ``--help`` and a
    ``predict`` with an exported model stay free of scikit-learn and
    TensorFlow, which the training commands import.
    """

    def handler(args):
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)(args)

    handler.__qualname__ = f"{module}.{name}"
    return handler


def _error(message):
    print(f"sklearn-audio: error: {message}", file=sys.stderr, flush=True)


def build_parser():
    """The argument parser of the ``sklearn-audio`` command."""
    parser = argparse.ArgumentParser(
        prog="sklearn-audio",
        description="Train, evaluate and apply audio classifiers on folders of audio files.",
        epilog="Run 'sklearn-audio COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add_command(name, summary, description):
        return commands.add_parser(name, help=summary, description=description)

    train = add_command(
        "train", "train a model on a folder-per-class data set",
        "Train a classifier on DATA_DIR (one sub-folder per class), report it on held-out "
        "files (or by cross-validation), and write the model, <stem>.report.json and PNG "
        "plots. The set replaces a previous one as a whole: a kill at any moment leaves the "
        "previous set or the new one.",
    )
    _add_model_options(train, epochs_help="maximum training epochs")
    split = train.add_mutually_exclusive_group()
    split.add_argument("--test-size", type=_fraction, default=0.2, metavar="F",
                       help="fraction of files held out for the report (default: 0.2)")
    split.add_argument("--cv", type=_positive_int, default=None, metavar="K",
                       help="report K-fold cross-validation instead, then fit on all files")
    train.add_argument("--out", required=True, metavar="MODEL_FILE",
                       help="model file to write, e.g. model.skaudio (a safe archive: loading "
                            "it runs no code); <stem>.report.json and PNG plots go beside it")
    train.add_argument(
        "--features", choices=FEATURES, default="mfcc",
        help="front end: mfcc (computed from the audio; the networks learn from scratch) or "
             "musicnn (an embedding pretrained on a million songs, best with few clips of "
             "music; the dense network only) (default: mfcc)",
    )
    train.add_argument("--max-segments", type=_positive_int, default=None, metavar="N",
                       help=_max_segments_help())
    train.add_argument(
        "--normalize", choices=("none", "mean"), default="none",
        help="mean: centre each clip's (or segment's) MFCC frames on their own mean, which "
             "removes its level and the colouring of microphone, room and voice; for speech "
             "tested on unseen speakers or recording set-ups, not for instruments; cnn and "
             "lstm only (default: none)",
    )
    _add_training_options(train)
    train.set_defaults(handler=_lazy_handler("_commands", "train"))

    evaluate = add_command(
        "evaluate", "report a saved model on labelled data",
        "Predict every file of DATA_DIR with a model written by train and print the "
        "classification report; classes the data lacks are named and left out of "
        "'macro avg (present)'.",
    )
    evaluate.add_argument("model_file", metavar="MODEL_FILE",
                          help="model file written by 'sklearn-audio train'")
    evaluate.add_argument("data_dir", metavar="DATA_DIR", help=DATA_DIR_HELP)
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--skip-unreadable", action="store_true", help=SKIP_UNREADABLE_HELP)
    evaluate.add_argument("--trust", action="store_true", help=TRUST_HELP)
    evaluate.set_defaults(handler=_lazy_handler("_commands", "evaluate"))

    predict = add_command(
        "predict", "label audio files with a saved or exported model",
        "Label files, or folders searched recursively, with a model written by train "
        "or by export (.tflite or .onnx: no TensorFlow needed). Rows are written as "
        "they are made; --window labels long recordings window by window, reading one "
        "window at a time.",
    )
    predict.add_argument("model_file", metavar="MODEL",
                         help="model file written by 'train', or by 'export' (.tflite, "
                              ".onnx: predicted without TensorFlow)")
    predict.add_argument("files", nargs="+", metavar="PATH",
                         help="audio files, or folders searched recursively for audio files")
    predict.add_argument("--format", choices=FORMATS, default="text",
                         help="text: tab-separated lines; csv: a header and a p_<class> "
                              "column per class; jsonl: one JSON object per line; json: one "
                              "JSON list (default: text)")
    predict.add_argument("--json", dest="format", action="store_const", const="json",
                         help="the same as --format json")
    predict.add_argument("--output", default=None, metavar="FILE",
                         help="write the rows to FILE, which appears complete or not at all "
                              "(default: standard output)")
    predict.add_argument("--window", type=_positive_float, default=None, metavar="SECONDS",
                         help="label consecutive windows of SECONDS of each file (a timeline: "
                              "file, start, end, label, probabilities), reading one window at "
                              "a time (default: one label per file)")
    predict.add_argument("--batch-size", type=_positive_int, default=64, metavar="N",
                         help="files (or windows) decoded and classified together; bounds "
                              "the memory used (default: 64)")
    predict.add_argument("--quiet", action="store_true",
                         help="no progress bar (there is none either when stderr is not a "
                              "terminal)")
    predict.add_argument("--trust", action="store_true", help=TRUST_HELP)
    predict.set_defaults(handler=_lazy_handler("_predict", "predict"))

    export = add_command(
        "export", "export a saved model for inference without TensorFlow",
        "Write MODEL_FILE as one self-contained file from raw waveform to class "
        "probabilities, features computed inside the graph, its format chosen by "
        "OUT_FILE's suffix: .tflite (LiteRT) or .onnx (ONNX, needs tf2onnx), which "
        "'sklearn-audio predict' runs without TensorFlow, or .keras.",
    )
    export.add_argument("model_file", metavar="MODEL_FILE",
                        help="model file written by 'sklearn-audio train'")
    export.add_argument("out_file", metavar="OUT_FILE",
                        help="file to write: .tflite, .onnx or .keras")
    export.add_argument("--trust", action="store_true", help=TRUST_HELP)
    export.set_defaults(handler=_export)

    tags = add_command(
        "tags", "print the top music tags of audio files (pretrained musicnn)",
        "Print each file's most probable tags according to a pretrained musicnn network: "
        "Last.fm tags (genres, decades, moods) for the MSD models, MagnaTagATune tags "
        "(instruments, moods, vocals) for the MTT ones. The weights ship with the package "
        "(ISC license; Pons & Serra, ISMIR 2019).",
    )
    tags.add_argument("files", nargs="+", metavar="PATH",
                      help="audio files, or folders searched recursively for audio files")
    tags.add_argument("--model", choices=MUSICNN_MODELS, default="MSD_musicnn",
                      help="the pretrained network (default: MSD_musicnn)")
    tags.add_argument("--top", type=_positive_int, default=5, metavar="N",
                      help="tags printed per file, at most 50 (default: 5)")
    tags.add_argument("--json", action="store_true",
                      help="print one JSON list of {file, tags: {tag: probability}}")
    tags.set_defaults(handler=_lazy_handler("_tags", "tags"))

    tune = add_command(
        "tune", "search hyperparameters with Optuna",
        "Run (or resume) an Optuna study over the classifier's default search space, each "
        "trial cross-validated on DATA_DIR, and print the best parameters.",
    )
    _add_model_options(tune, epochs_help="maximum epochs per trial")
    tune.add_argument("--trials", type=_positive_int, required=True, metavar="N",
                      help="trials to run in this call (a resumed study adds them)")
    tune.add_argument("--cv", type=_positive_int, default=3, metavar="K",
                      help="cross-validation folds per trial (default: 3)")
    tune.add_argument("--storage", default=None, metavar="URL",
                      help="Optuna storage, e.g. sqlite:///study.db or postgresql://... "
                           "(default: in memory)")
    tune.add_argument("--study-name", default=None, metavar="NAME",
                      help="study to create or resume in the storage (default: a new name)")
    tune.add_argument("--timeout", type=_positive_float, default=None, metavar="S",
                      help="stop starting trials after S seconds (default: no limit)")
    tune.add_argument("--out-dir", default=None, metavar="DIR",
                      help="write the optimisation plots (PNG) into DIR, created if missing "
                           "(default: no plots)")
    tune.set_defaults(handler=_lazy_handler("_commands", "tune"))

    demo = add_command(
        "demo", "train and evaluate the CNN pipeline on the Free Spoken Digit Dataset",
        "Train the CNN pipeline on FSDD's official training split and report it on the "
        "official test split. FSDD is read from --data-home, $SKLEARN_AUDIO_DATA or the "
        "cache, and downloaded once when missing.",
    )
    demo.add_argument("--data-home", default=None, metavar="DIR",
                      help="folder holding fsdd/recordings/, the same layout as "
                           "$SKLEARN_AUDIO_DATA; a missing data set is downloaded into "
                           "DIR/fsdd (default: $SKLEARN_AUDIO_DATA, the cache, or a download)")
    demo.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                      help=f"maximum training epochs (default: {CLASSIFIER_DEFAULTS['epochs']})")
    demo.add_argument("--random-state", type=int, default=0, metavar="SEED",
                      help="seed of the network (default: 0)")
    demo.add_argument("--out-dir", default=None, metavar="DIR",
                      help="also write the model, report.json and plots here (default: none)")
    demo.set_defaults(handler=_lazy_handler("_commands", "demo"))
    return parser


def main(argv=None):
    """Run the command; returns the exit status (0 on success, 1 on a user error).

    A mistake in the input (a missing folder, one class only, an unreadable
    file, a model file that is not ours) is reported as one line on stderr.
    Set ``SKLEARN_AUDIO_DEBUG=1`` to see the full traceback instead.
    TensorFlow's start-up lines are silenced unless ``TF_CPP_MIN_LOG_LEVEL``
    is set.
    """
    args = build_parser().parse_args(argv)
    # Before anything imports TensorFlow (it reads its log level once, at
    # import); the caller's settings come back when the command ends.
    with _tensorflow.quiet_logging():
        return _run(args)


def _run(args):
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader of our output went away (``predict ... | head``): stop quietly, as
        # command-line tools do, with the status of a process ended by SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141
    except (UserError, AudioFileError, FileNotFoundError, ConnectionError, ValueError) as exc:
        if os.environ.get("SKLEARN_AUDIO_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _error(message)
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
