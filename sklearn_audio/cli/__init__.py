"""The ``sklearn-audio`` command: train, evaluate, predict, tune and demo without writing code.

Examples
--------
.. code-block:: console

    $ sklearn-audio train data/ --out model.joblib
    $ sklearn-audio train data/ --model cnn --epochs 30 --no-early-stopping --out model.joblib
    $ sklearn-audio predict model.joblib clip1.wav clip2.wav --json
    $ sklearn-audio evaluate model.joblib held_out/
    $ sklearn-audio tune data/ --model dense --trials 20 --storage sqlite:///study.db
    $ sklearn-audio demo
"""

import argparse
import os
import sys

from .. import __version__
from ..exceptions import AudioFileError
from . import _commands
from ._errors import UserError
from ._pipelines import (
    AUTO_CNN_MIN_CLIPS,
    CLASSIFIER_DEFAULTS,
    LR_SCHEDULES,
    MODELS,
    SEGMENT_LONGER_THAN,
    SEGMENT_SECONDS,
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


def _add_model_options(parser, *, epochs_help):
    parser.add_argument("data_dir", metavar="DATA_DIR", help="folder with one sub-folder per class")
    parser.add_argument(
        "--model", choices=("auto", *MODELS), default="auto",
        help=f"network (default: auto: dense on MFCC statistics below {AUTO_CNN_MIN_CLIPS} "
             f"training clips, where it is the most accurate, cnn from {AUTO_CNN_MIN_CLIPS})",
    )
    parser.add_argument("--sr", type=_positive_int, default=22050,
                        help="sampling rate files are resampled to (default: 22050)")
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


def build_parser():
    """The argument parser of the ``sklearn-audio`` command."""
    parser = argparse.ArgumentParser(
        prog="sklearn-audio",
        description="Train, evaluate and apply audio classifiers on folders of audio files.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser("train", help="train a model on a folder-per-class data set")
    _add_model_options(train, epochs_help="maximum training epochs")
    split = train.add_mutually_exclusive_group()
    split.add_argument("--test-size", type=_fraction, default=0.2, metavar="F",
                       help="fraction of files held out for the report (default: 0.2)")
    split.add_argument("--cv", type=_positive_int, default=None, metavar="K",
                       help="report K-fold cross-validation instead, then fit on all files")
    train.add_argument("--out", required=True, metavar="MODEL.joblib",
                       help="model file to write; report.json and PNG plots go beside it")
    _add_training_options(train)
    train.set_defaults(handler=_commands.train)

    evaluate = commands.add_parser("evaluate", help="report a saved model on labelled data")
    evaluate.add_argument("model_file", metavar="MODEL.joblib")
    evaluate.add_argument("data_dir", metavar="DATA_DIR")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_commands.evaluate)

    predict = commands.add_parser("predict", help="label audio files with a saved model")
    predict.add_argument("model_file", metavar="MODEL.joblib")
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.add_argument("--json", action="store_true", help="print JSON")
    predict.set_defaults(handler=_commands.predict)

    tune = commands.add_parser("tune", help="search hyperparameters with Optuna")
    _add_model_options(tune, epochs_help="maximum epochs per trial")
    tune.add_argument("--trials", type=_positive_int, required=True, metavar="N")
    tune.add_argument("--cv", type=_positive_int, default=3, metavar="K",
                      help="cross-validation folds per trial (default: 3)")
    tune.add_argument("--storage", default=None, metavar="URL",
                      help="Optuna storage, e.g. sqlite:///study.db or postgresql://... "
                           "(default: in memory)")
    tune.add_argument("--study-name", default=None, metavar="NAME",
                      help="study to create or resume in the storage")
    tune.add_argument("--timeout", type=_positive_float, default=None, metavar="S",
                      help="stop starting trials after S seconds")
    tune.add_argument("--out-dir", default=".", metavar="DIR",
                      help="folder for the optimisation plots (default: .)")
    tune.set_defaults(handler=_commands.tune)

    demo = commands.add_parser(
        "demo", help="train and evaluate the CNN pipeline on the Free Spoken Digit Dataset"
    )
    demo.add_argument("--data-home", default=None,
                      help="folder with FSDD's recordings/ (default: $SKLEARN_AUDIO_DATA/fsdd, "
                           "the cache, or a download)")
    demo.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                      help=f"maximum training epochs (default: {CLASSIFIER_DEFAULTS['epochs']})")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--out-dir", default=None, metavar="DIR",
                      help="also write the model, report.json and plots here")
    demo.set_defaults(handler=_commands.demo)
    return parser


def main(argv=None):
    """Run the command; returns the exit status (0 on success, 1 on a user error).

    A mistake in the input (a missing folder, one class only, an unreadable
    file, a model file that is not ours) is reported as one line on stderr.
    Set ``SKLEARN_AUDIO_DEBUG=1`` to see the full traceback instead.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UserError, AudioFileError, FileNotFoundError, ConnectionError, ValueError) as exc:
        if os.environ.get("SKLEARN_AUDIO_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _commands.stderr(message)
        return 1
    except KeyboardInterrupt:
        _commands.stderr("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
