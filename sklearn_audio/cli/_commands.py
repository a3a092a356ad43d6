"""What each sub-command does; argument parsing lives in ``__init__``."""

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ..datasets import load_audio_folder, load_fsdd
from ..io import AUDIO_EXTENSIONS, audio_duration
from ._errors import UserError
from ._model_file import check_model_path, load_model, save_model
from . import _pipelines
from ._pipelines import (
    CLASSIFIER_DEFAULTS,
    FRAME_ONLY_PARAMS,
    build_pipeline,
    cache_features,
    choose_model,
    choose_segmenting,
)
from ._progress import epoch_progress_bar


def _echo(*lines):
    print(*lines, sep="\n", flush=True)


def _load_labelled_folder(data_dir, *, min_per_class=1, allow_single_class=False):
    try:
        data = load_audio_folder(data_dir)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        raise UserError(str(exc)) from None
    classes, counts = np.unique(data.target, return_counts=True)
    if len(classes) < 2 and not allow_single_class:
        raise UserError(
            f"{data_dir} holds only one class ({classes[0]}); a classifier needs at least two "
            "sub-folders, one per class"
        )
    small = [f"{c} ({n})" for c, n in zip(classes, counts) if n < min_per_class]
    if small:
        raise UserError(
            f"each class needs at least {min_per_class} files here; too few in: {', '.join(small)}"
        )
    # Headers only: a file that is not audio fails now, naming itself, not after training.
    # The durations choose the default segmenting.
    data.durations = np.array([audio_duration(path) for path in data.filenames])
    return data


def _plain(value):
    """``value`` with NumPy scalars and tuples turned into JSON's plain values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _check_training_flags(args):
    """Combinations of training flags that cannot do what they say, before any data is read."""
    off = "--no-early-stopping" if args.early_stopping is False else None
    if off is None and args.validation_fraction == 0:
        off = "--validation-fraction 0 (no validation split to stop on)"
    if off is not None:
        if args.early_stopping:
            raise UserError(
                "--early-stopping needs a validation split; --validation-fraction 0 leaves none"
            )
        # The plateau schedule also reads the patience: --patience stays meaningful there.
        patience = None if args.lr_schedule == "plateau" else args.patience
        for flag, value in (("--patience", patience), ("--min-epochs", args.min_epochs)):
            if value is not None:
                raise UserError(
                    f"{flag} sets early stopping, which {off} turns off; drop one of the two"
                )
    epochs = args.epochs if args.epochs is not None else CLASSIFIER_DEFAULTS["epochs"]
    if args.min_epochs is not None and args.min_epochs >= epochs:
        raise UserError(
            f"--min-epochs {args.min_epochs} must be below --epochs ({epochs}): early stopping "
            "acts only after the warm-up"
        )
    if args.augment and args.segment_seconds == 0:
        raise UserError(
            "--augment adds copies of segments, and --segment-seconds 0 keeps whole clips; "
            "give a segment length or drop --augment"
        )


def _check_model_flags(args, model, n_training_clips, segment_seconds, segment_reason):
    """Flags the chosen network or front end cannot use: an error naming the flag."""
    if model == "dense":
        why = ("--model dense" if args.model == "dense" else
               f"--model auto chose dense for {n_training_clips} training clips (fewer than "
               f"{_pipelines.AUTO_CNN_MIN_CLIPS})")
        for name in (*FRAME_ONLY_PARAMS, "augment"):
            if getattr(args, name, None):
                flag = "--" + name.replace("_", "-")
                raise UserError(
                    f"{flag} needs a network on MFCC frames (--model cnn or lstm); {why}, "
                    "which works on MFCC statistics, one vector per clip"
                )
    if getattr(args, "augment", 0) and segment_seconds is None:
        raise UserError(
            "--augment needs clips cut into segments of equal length: give --segment-seconds S "
            f"(now {segment_reason})"
        )


def _classifier_params(args):
    """The classifier parameters the flags set; None keeps the classifier's default."""
    validation_fraction = args.validation_fraction
    if args.early_stopping is False and validation_fraction is None:
        # Nothing to stop on: train on every clip, as a fixed epoch budget should.
        validation_fraction = 0.0
    return {
        "epochs": args.epochs,
        "early_stopping": args.early_stopping,
        "patience": args.patience,
        "min_epochs": args.min_epochs,
        "learning_rate": args.learning_rate,
        "lr_schedule": args.lr_schedule,
        "batch_size": args.batch_size,
        "validation_fraction": validation_fraction,
        "mixup": args.mixup,
        "time_masks": args.time_masks,
        "freq_masks": args.freq_masks,
    }


def _fit_timed(pipeline, X, y):
    """Fit; return the seconds it took and the one-line training summary with its record."""
    start = time.perf_counter()
    pipeline.fit(X, y)
    seconds = time.perf_counter() - start
    clf = pipeline.named_steps["clf"]
    n, best, budget = clf.n_epochs_, clf.best_epoch_, clf.epochs
    validated = "val_loss" in clf.history_
    if best is not None and n < budget:
        line = f"stopped early at epoch {n} of {budget}, best epoch {best} (its weights are kept)"
    elif best is not None:
        line = f"ran all {n} epochs, best epoch {best} (its weights are kept)"
    elif clf.early_stopping and clf.validation_fraction > 0 and not validated:
        line = (f"ran all {n} epochs on every clip without early stopping: the validation "
                "split was too small (raise --validation-fraction or add clips)")
    elif clf.early_stopping and validated:
        line = (f"ran all {n} epochs; early stopping never acted, as it starts after "
                f"--min-epochs {clf.min_epochs}")
    else:
        line = f"ran all {n} epochs (no early stopping)"
    record = {
        "epochs_run": n,
        "best_epoch": best,
        "max_epochs": budget,
        "early_stopping": bool(clf.early_stopping and validated),
        "stopped_early": n < budget,
        "seconds": round(seconds, 2),
    }
    return f"{line}; {seconds:.1f} s", record


def _classifier_record(pipeline):
    """The classifier's parameters for ``report.json`` (callbacks are not data)."""
    params = pipeline.named_steps["clf"].get_params()
    return {k: _plain(v) for k, v in sorted(params.items()) if k not in ("callbacks", "verbose")}


def _write_outputs(out_dir, stem, summary, report, y_true, proba, classifier):
    """``<stem>.report.json`` and the PNG plots, beside the model file.

    ``report``, ``y_true`` and ``proba`` are None after cross-validation,
    which leaves no single test set to plot.
    """
    from ..metrics import (
        ConfusionMatrixDisplay,
        MulticlassRocCurveDisplay,
        TrainingHistoryDisplay,
        save_figure,
    )

    path = out_dir / f"{stem}.report.json"
    path.write_text(json.dumps(summary, indent=2))
    written = [path]
    if report is not None:
        cm_path = out_dir / f"{stem}.confusion_matrix.png"
        save_figure(ConfusionMatrixDisplay.from_report(report), cm_path)
        roc_path = out_dir / f"{stem}.roc.png"
        save_figure(
            MulticlassRocCurveDisplay.from_predictions(y_true, proba, labels=report.labels),
            roc_path,
        )
        written += [cm_path, roc_path]
    if getattr(classifier, "history_", None):
        history_path = out_dir / f"{stem}.history.png"
        save_figure(TrainingHistoryDisplay.from_estimator(classifier), history_path)
        written.append(history_path)
    return written


def _report_on(pipeline, X, y):
    """Predict once and build the report and what the plots need."""
    from ..metrics import ClassificationReport

    proba = pipeline.predict_proba(X)
    labels = pipeline.classes_
    report = ClassificationReport.from_predictions(
        y, labels[proba.argmax(axis=1)], y_proba=proba, labels=labels
    )
    return report, proba, labels


def train(args):
    """``sklearn-audio train``: fit, report, and write the model with its report and plots."""
    out = Path(args.out)
    if out.suffix != ".joblib":
        raise UserError(f"--out must name a .joblib file, got {out}")
    _check_training_flags(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    min_per_class = args.cv if args.cv else 2
    data = _load_labelled_folder(args.data_dir, min_per_class=min_per_class)
    X, y = data.filenames, data.target
    _echo(f"{len(X)} files, {len(data.target_names)} classes: {', '.join(data.target_names)}")
    segment_seconds, segment_reason = choose_segmenting(data.durations, args.segment_seconds)
    _echo(f"segments: {segment_reason}")

    if args.cv:
        X_train, y_train, X_test, y_test = X, y, None, None
    else:
        n_test = int(np.ceil(args.test_size * len(X)))
        n_classes = len(data.target_names)
        if n_test < n_classes or len(X) - n_test < n_classes:
            raise UserError(
                f"--test-size {args.test_size} of {len(X)} files gives {n_test} test and "
                f"{len(X) - n_test} training files for {n_classes} classes; each side needs "
                "at least one file per class (change --test-size or add files)"
            )
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=args.test_size, stratify=y, random_state=args.random_state
        )
    model, model_reason = _resolve_model(args.model, len(X_train))
    _check_model_flags(args, model, len(X_train), segment_seconds, segment_reason)
    _echo(f"model: {model} ({model_reason})")

    pipeline = build_pipeline(
        model, sr=args.sr, segment_seconds=segment_seconds, augment=args.augment,
        random_state=args.random_state, callbacks=[epoch_progress_bar()], verbose=True,
        **_classifier_params(args),
    )
    stem = out.name[: -len(".joblib")]
    summary = {
        "model": model,
        "model_choice": {"requested": args.model, "reason": model_reason,
                         "training_clips": len(X_train)},
        "sr": args.sr,
        "segment_seconds": segment_seconds,
        "segmenting": {"requested": args.segment_seconds, "reason": segment_reason},
        "classes": [str(c) for c in data.target_names],
        "parameters": {
            "random_state": args.random_state,
            "test_size": None if args.cv else args.test_size,
            "cv": args.cv,
            "augment": args.augment,
            "classifier": _classifier_record(pipeline),
        },
    }
    report = proba = None
    if args.cv:
        from ..metrics import cross_validate_report

        cv_report = cross_validate_report(pipeline, X, y, cv=args.cv, shuffle=True,
                                          random_state=args.random_state)
        _echo(f"{args.cv}-fold cross-validation:", str(cv_report))
        summary["cross_validation"] = cv_report.to_dict()
    line, summary["training"] = _fit_timed(pipeline, X_train, y_train)
    _echo(f"training: {line}")
    if not args.cv:
        report, proba, labels = _report_on(pipeline, X_test, y_test)
        _echo(f"Test set ({len(X_test)} files):", str(report))
        summary["test"] = report.to_dict()
        predicted = labels[proba.argmax(axis=1)]
        summary["test_files"] = [
            {"file": str(f), "true": str(t), "predicted": str(p)}
            for f, t, p in zip(X_test, y_test, predicted)
        ]
    pipeline.set_params(clf__callbacks=None)
    save_model(out, pipeline, **summary)
    written = _write_outputs(out.parent, stem, summary, report, y_test, proba,
                             pipeline.named_steps["clf"])
    _echo(f"model written to {out}", *(f"wrote {p}" for p in written))
    return 0


def _resolve_model(requested, n_training_clips):
    """``--model``: the network to train and why."""
    if requested == "auto":
        return choose_model(n_training_clips)
    return requested, f"--model {requested}"


def evaluate(args):
    """``sklearn-audio evaluate``: the report of a saved model on a labelled folder."""
    # Quick checks of every path first: loading a model takes seconds.
    check_model_path(args.model_file)
    data = _load_labelled_folder(args.data_dir, allow_single_class=True)
    pipeline, _ = load_model(args.model_file)
    known = set(map(str, pipeline.classes_))
    unknown = sorted(set(map(str, data.target_names)) - known)
    if unknown:
        raise UserError(
            f"{args.data_dir} has classes the model was not trained on: {', '.join(unknown)} "
            f"(the model knows {', '.join(sorted(known))})"
        )
    report, _, _ = _report_on(pipeline, data.filenames, data.target)
    if args.json:
        _echo(json.dumps(report.to_dict(), indent=2))
    else:
        _echo(f"{len(data.filenames)} files from {args.data_dir}:", str(report))
    return 0


def predict(args):
    """``sklearn-audio predict``: each file's label and class probabilities."""
    # Quick checks of every path first: loading a model takes seconds.
    check_model_path(args.model_file)
    files = _audio_paths(args.files)
    pipeline, _ = load_model(args.model_file)
    proba = pipeline.predict_proba(np.asarray(files, dtype=object))
    labels = pipeline.classes_
    rows = [
        {
            "file": path,
            "label": _plain(labels[row.argmax()]),
            "probabilities": {str(c): round(float(p), 6) for c, p in zip(labels, row)},
        }
        for path, row in zip(files, proba)
    ]
    if args.json:
        _echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            probs = "  ".join(f"{c}={p:.3f}" for c, p in row["probabilities"].items())
            _echo(f"{row['file']}\t{row['label']}\t{probs}")
    return 0


def _audio_paths(arguments):
    """The files to label: files as given, folders searched recursively for audio files."""
    paths = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(
                str(f) for f in path.rglob("*")
                if f.suffix.lower() in AUDIO_EXTENSIONS and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
            if not found:
                raise UserError(
                    f"no audio files in folder {argument} (extensions "
                    f"{', '.join(sorted(AUDIO_EXTENSIONS))})"
                )
            paths += found
        elif path.is_file():
            paths.append(argument)
        else:
            raise UserError(f"no such file or folder: {argument}")
    return paths


def demo(args):
    """``sklearn-audio demo``: the CNN pipeline on FSDD's official split, with its report."""
    try:
        data = load_fsdd(data_home=args.data_home)
    except OSError as exc:
        raise UserError(str(exc)) from None
    train_mask = ~data.test_mask
    _echo(
        "Free Spoken Digit Dataset (CC BY-SA 4.0, Zohar Jackson and contributors): "
        f"{train_mask.sum()} training and {data.test_mask.sum()} test recordings"
    )
    pipeline = build_pipeline("cnn", sr=8000, epochs=args.epochs, random_state=args.random_state,
                              callbacks=[epoch_progress_bar()], verbose=True)
    line, training = _fit_timed(pipeline, data.filenames[train_mask], data.target[train_mask])
    _echo(f"training: {line}")
    report, proba, labels = _report_on(
        pipeline, data.filenames[data.test_mask], data.target[data.test_mask]
    )
    _echo("Test set (official split):", str(report))
    if args.out_dir:
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        pipeline.set_params(clf__callbacks=None)
        summary = {"model": "cnn", "sr": 8000, "classes": [str(c) for c in labels],
                   "training": training, "test": report.to_dict()}
        save_model(out / "fsdd_cnn.joblib", pipeline, **summary)
        written = _write_outputs(out, "fsdd_cnn", summary, report, data.target[data.test_mask],
                                 proba, pipeline.named_steps["clf"])
        _echo(*(f"wrote {p}" for p in written))
    return 0


def tune(args):
    """``sklearn-audio tune``: an Optuna study over the pipeline's classifier."""
    from ..tuning import plot_tuning, tune as run_tuning

    data = _load_labelled_folder(args.data_dir, min_per_class=args.cv)
    segment_seconds, segment_reason = choose_segmenting(data.durations, args.segment_seconds)
    model, model_reason = _resolve_model(args.model, len(data.filenames))
    _echo(f"segments: {segment_reason}", f"model: {model} ({model_reason})")
    pipeline = build_pipeline(model, sr=args.sr, segment_seconds=segment_seconds,
                              epochs=args.epochs, random_state=args.random_state, verbose=True)
    try:
        # Every trial cross-validates on the same folds: their features are computed
        # once, in a cache that lives as long as this command.
        with tempfile.TemporaryDirectory(prefix="sklearn-audio-tune-") as cache:
            result = run_tuning(
                cache_features(pipeline, cache), data.filenames, data.target,
                n_trials=args.trials, cv=args.cv, storage=args.storage,
                study_name=args.study_name, timeout=args.timeout,
                random_state=args.random_state,
            )
    except ImportError as exc:  # a storage URL whose database driver is not installed
        raise UserError(f"{exc} (for PostgreSQL: pip install 'sklearn-audio[postgres]')") from None
    except RuntimeError as exc:  # e.g. every trial pruned or failed: nothing to report
        raise UserError(str(exc)) from None
    _echo(result.summary())
    out = Path(args.out_dir)
    written = plot_tuning(result.study, out)
    _echo(*(f"wrote {p}" for p in written))
    return 0


def stderr(message):
    print(f"sklearn-audio: error: {message}", file=sys.stderr, flush=True)
