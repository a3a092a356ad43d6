"""What each sub-command does; argument parsing lives in ``__init__``."""

import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from .._atomic import atomic_write_text
from ..datasets import load_audio_folder, load_fsdd
from ..exceptions import AudioFileError
from ..io import audio_duration
from . import _pipelines
from ._artifacts import StagedSet, finish_interrupted, sha256_of
from ._errors import UserError
from ._model_file import save_model
from ._pipelines import (
    CLASSIFIER_DEFAULTS,
    FRAME_ONLY_PARAMS,
    build_pipeline,
    cache_features,
    choose_model,
    choose_segmenting,
)
from ._predict import check_model_file, load_saved_model
from ._progress import epoch_progress_bar
from ._tensorflow import import_tensorflow_quietly


def _echo(*lines):
    print(*lines, sep="\n", flush=True)


def _load_labelled_folder(data_dir, *, min_per_class=1, allow_single_class=False,
                          skip_unreadable=False):
    """The labelled files of ``data_dir``, with their durations.

    With ``skip_unreadable``, files that cannot be read are left out and
    listed in ``data.unreadable`` (dicts ``file``, ``reason``); otherwise the
    first one stops the command, naming itself.
    """
    # "raise" is load_audio_folder's default: only a change from it is passed.
    options = {"on_unreadable": "skip"} if skip_unreadable else {}
    try:
        data = load_audio_folder(data_dir, **options)
    except AudioFileError as exc:
        raise UserError(f"{exc} (--skip-unreadable skips such files and lists them)") from None
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        raise UserError(str(exc)) from None
    unreadable = list(getattr(data, "unreadable", None) or [])
    # Headers only: a file that is not audio fails now, naming itself, not after training.
    # The durations choose the default segmenting.
    durations, keep = [], []
    for k, path in enumerate(data.filenames):
        try:
            durations.append(audio_duration(path))
            keep.append(k)
        except AudioFileError as exc:
            if not skip_unreadable:
                raise UserError(
                    f"{exc} (--skip-unreadable skips such files and lists them)"
                ) from None
            unreadable.append({"file": str(path), "reason": str(exc)})
    data.filenames, data.target = data.filenames[keep], data.target[keep]
    data.durations = np.array(durations)
    data.unreadable = unreadable
    for entry in unreadable:
        _warn(f"skipped unreadable file {entry['file']}: {entry['reason']}")
    if len(data.filenames) == 0:
        raise UserError(f"no readable audio file in {data_dir}")
    classes, counts = np.unique(data.target, return_counts=True)
    data.target_names = classes
    if len(classes) < 2 and not allow_single_class:
        raise UserError(
            f"{data_dir} holds only one class ({_plain(classes[0])}); a classifier needs at "
            "least two sub-folders, one per class"
        )
    small = [f"{_plain(c)} ({n})" for c, n in zip(classes, counts) if n < min_per_class]
    if small:
        raise UserError(
            f"each class needs at least {min_per_class} files here; too few in: {', '.join(small)}"
        )
    return data


def _warn(message):
    print(f"sklearn-audio: {message}", file=sys.stderr, flush=True)


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
    if getattr(args, "features", "mfcc") == "musicnn":
        given = [flag for flag, value in (
            ("--segment-seconds", args.segment_seconds), ("--augment", args.augment or None),
            ("--max-segments", getattr(args, "max_segments", None)),
            ("--time-masks", args.time_masks), ("--freq-masks", args.freq_masks),
            ("--normalize mean", _normalize(args)),
        ) if value is not None]
        if given:
            raise UserError(
                f"{', '.join(given)} act on MFCC segments or frames; --features musicnn cuts its "
                "own 3-s patches and gives one embedding per clip: drop one of them"
            )
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
    if getattr(args, "pitch_shift", None) and not args.augment:
        raise UserError("--pitch-shift sets how the augmented copies are made: give --augment N")


def _normalize(args):
    """``--normalize``: the MFCC step's ``normalize`` parameter (None for "none")."""
    value = getattr(args, "normalize", "none")
    return None if value == "none" else value


def _check_model_flags(args, model, n_training_clips, segment_seconds, segment_reason):
    """Flags the chosen network or front end cannot use: an error naming the flag."""
    if model == "dense":
        why = ("--model dense" if args.model == "dense" else
               f"--model auto chose dense for {n_training_clips} training clips (fewer than "
               f"{_pipelines.AUTO_CNN_MIN_CLIPS})")
        given = {"--" + name.replace("_", "-"): getattr(args, name, None)
                 for name in (*FRAME_ONLY_PARAMS, "augment")}
        given["--normalize"] = _normalize(args)
        for flag, value in given.items():
            if value:
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


def _write_set(model_path, pipeline, summary, report, y_true, proba):
    """Write the model with ``<stem>.report.json`` and the PNG plots, replacing the previous set.

    Everything is written under staging names first and the set committed
    at the end (:mod:`._artifacts`): a kill at any moment leaves the
    previous set or the new one. ``report.json`` names the model file's
    SHA-256 and creation time. ``report``, ``y_true`` and ``proba`` are None
    after cross-validation, which leaves no single test set to plot.
    """
    from ..metrics import (
        ConfusionMatrixDisplay,
        MulticlassRocCurveDisplay,
        TrainingHistoryDisplay,
        save_figure,
    )

    stem = model_path.stem
    classifier = pipeline.named_steps["clf"]
    figures = {}
    if report is not None:
        figures["confusion_matrix"] = lambda: ConfusionMatrixDisplay.from_report(report)
        figures["roc"] = lambda: MulticlassRocCurveDisplay.from_predictions(
            y_true, proba, labels=report.labels)
    if getattr(classifier, "history_", None):
        figures["history"] = lambda: TrainingHistoryDisplay.from_estimator(classifier)
    staged = StagedSet(model_path)
    try:
        plots = []
        for name, make in figures.items():
            staged.step(f"plot {name}")
            final = f"{stem}.{name}.png"
            save_figure(make(), staged.path_for(final))
            plots.append(final)
        staged.step("model")
        staged_model = staged.path_for(model_path.name)
        # Per-file results grow with the data: report.json keeps them, the
        # model's manifest (read whole at every load) the rest of the summary.
        save_model(staged_model, pipeline,
                   **{k: v for k, v in summary.items() if k != "test_files"})
        summary = {**summary, "model_file": {
            "name": model_path.name,
            "sha256": sha256_of(staged_model),
            "bytes": staged_model.stat().st_size,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }, "plots": plots}
        staged.step("report")
        atomic_write_text(staged.path_for(f"{stem}.report.json"),
                          json.dumps(_plain(summary), indent=2))
        return staged.commit()
    except BaseException:
        staged.discard()
        raise


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
    if out.suffix.lower() in (".tflite", ".onnx", ".keras"):
        # Those are export formats: train writes the whole pipeline.
        raise UserError(
            f"--out {out}: train writes a sklearn-audio model file (e.g. model.skaudio); "
            f"write {out.suffix} files with 'sklearn-audio export MODEL_FILE {out.name}'"
        )
    if out.is_dir():
        raise UserError(f"--out {out} is a folder; name the model file to write")
    _check_training_flags(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    finish_interrupted(out, remove_staged=True)
    min_per_class = args.cv if args.cv else 2
    data = _load_labelled_folder(args.data_dir, min_per_class=min_per_class,
                                 skip_unreadable=args.skip_unreadable)
    X, y = data.filenames, data.target
    names = ", ".join(str(_plain(c)) for c in data.target_names)
    skipped = f" ({len(data.unreadable)} unreadable skipped)" if data.unreadable else ""
    _echo(f"{len(X)} files{skipped}, {len(data.target_names)} classes: {names}")
    features = getattr(args, "features", "mfcc")
    if features == "musicnn":
        segment_seconds, segment_reason = None, (
            "musicnn's own 3-s patches, its embedding averaged over each clip")
    else:
        segment_seconds, segment_reason = choose_segmenting(data.durations,
                                                            args.segment_seconds)
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
    model, model_reason = _resolve_model(args.model, len(X_train), features)
    _check_model_flags(args, model, len(X_train), segment_seconds, segment_reason)
    _echo(f"model: {model} ({model_reason})")

    import_tensorflow_quietly()
    pipeline = build_pipeline(
        model, sr=args.sr, segment_seconds=segment_seconds, augment=args.augment,
        random_state=args.random_state, callbacks=[epoch_progress_bar()], verbose=True,
        features=features, on_unreadable="skip" if args.skip_unreadable else "raise",
        normalize=_normalize(args), pitch_semitones=args.pitch_shift,
        **_segment_params(args), **_classifier_params(args),
    )
    summary = {
        "model": model,
        "features": features,
        "model_choice": {"requested": args.model, "reason": model_reason,
                         "training_clips": len(X_train)},
        "sr": 16000 if features == "musicnn" else args.sr,
        "segment_seconds": segment_seconds,
        "segmenting": {"requested": args.segment_seconds, "reason": segment_reason},
        "classes": [str(c) for c in data.target_names],
        "parameters": {
            "random_state": args.random_state,
            "test_size": None if args.cv else args.test_size,
            "cv": args.cv,
            "augment": args.augment,
            "pitch_shift": args.pitch_shift,
            "normalize": _normalize(args),
            "max_segments": getattr(args, "max_segments", None),
            "classifier": _classifier_record(pipeline),
        },
        "skipped_files": data.unreadable,
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
    written = _write_set(out, pipeline, summary, report, y_test, proba)
    _echo(f"model written to {out}", *(f"wrote {p}" for p in written if p != out))
    return 0


def _segment_params(args):
    """``--max-segments``, passed only when given (None keeps build_pipeline's default)."""
    max_segments = getattr(args, "max_segments", None)
    return {} if max_segments is None else {"max_segments": max_segments}


def _resolve_model(requested, n_training_clips, features="mfcc"):
    """``--model``: the network to train and why."""
    if features == "musicnn":
        if requested not in ("auto", "dense"):
            raise UserError(
                f"--model {requested} works on frames; --features musicnn gives one embedding "
                "per clip, for --model dense (or auto)"
            )
        return "dense", ("--features musicnn: the dense network on the pretrained embedding, "
                         "one vector per clip")
    if requested == "auto":
        return choose_model(n_training_clips)
    return requested, f"--model {requested}"


def evaluate(args):
    """``sklearn-audio evaluate``: the report of a saved model on a labelled folder."""
    # Quick checks of every path first: loading a model takes seconds.
    check_model_file(args.model_file)
    data = _load_labelled_folder(args.data_dir, allow_single_class=True,
                                 skip_unreadable=args.skip_unreadable)
    pipeline = load_saved_model(args.model_file, trust=args.trust)
    if args.skip_unreadable and "load__on_unreadable" in pipeline.get_params():
        # A file whose header reads but whose audio does not: silence, with a warning.
        pipeline.set_params(load__on_unreadable="skip")
    known = {str(_plain(c)) for c in pipeline.classes_}
    given = {str(_plain(c)) for c in data.target_names}
    unknown = sorted(given - known)
    if unknown:
        raise UserError(
            f"{args.data_dir} has classes the model was not trained on: {', '.join(unknown)} "
            f"(the model knows {', '.join(sorted(known))})"
        )
    from sklearn.exceptions import UndefinedMetricWarning

    with warnings.catch_warnings():
        # The note below says which classes are absent, in the command's words.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        report, _, _ = _report_on(pipeline, data.filenames, data.target)
    absent = [str(_plain(c)) for c in report.absent_labels]
    if args.json:
        result = report.to_dict()
        result["absent_labels"] = absent
        result["present_macro_avg"] = report.present_macro_avg
        _echo(json.dumps(_plain(result), indent=2))
    else:
        _echo(f"{len(data.filenames)} files from {args.data_dir}:", str(report))
    if absent:
        _warn(
            f"note: {args.data_dir} holds no file of {', '.join(absent)} (the model knows "
            f"{len(known)} classes): their recall and ROC AUC are undefined, shown as 0 and "
            "left out where possible; 'macro avg (present)' averages the "
            f"{len(known) - len(absent)} classes present"
        )
    return 0


#: The message of a failed FSDD download, in the command's terms (``--data-home``).
_FSDD_MISSING = (
    "the Free Spoken Digit Dataset is not in {where} and could not be downloaded ({why}). "
    "Download {url} yourself and unpack its recordings/ folder into {target}, or pass "
    "--data-home DIR with the recordings in DIR/fsdd/recordings/ (the same layout as "
    "$SKLEARN_AUDIO_DATA)"
)


def _fsdd_home(data_home):
    """``--data-home DIR``: FSDD is in ``DIR/fsdd``, as under ``$SKLEARN_AUDIO_DATA``.

    A folder that holds ``recordings/`` itself (the layout ``--data-home``
    expected before) is still read, with a note saying where to point instead.
    """
    if data_home is None:
        return None
    home = Path(data_home).expanduser()
    if not (home / "fsdd").is_dir() and (home / "recordings").is_dir():
        _warn(f"note: --data-home takes the folder holding fsdd/recordings/ (as "
              f"$SKLEARN_AUDIO_DATA does); reading {home / 'recordings'} as given")
        return home
    return home / "fsdd"


def _load_fsdd(data_home):
    from .. import datasets

    fsdd_home = _fsdd_home(data_home)
    try:
        return load_fsdd(data_home=fsdd_home)
    except OSError as exc:
        cause = exc.__cause__ or exc
        if fsdd_home is not None:
            where, target = f"--data-home {data_home}", fsdd_home
        else:
            where = "$SKLEARN_AUDIO_DATA/fsdd or the download cache"
            target = datasets.get_data_home() / "fsdd"
        why = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        if cause is exc and "Spoken Digit" in why:
            why = type(exc).__name__
        raise UserError(_FSDD_MISSING.format(where=where, why=why, url=datasets.FSDD_URL,
                                             target=target)) from None


def demo(args):
    """``sklearn-audio demo``: the CNN pipeline on FSDD's official split, with its report."""
    data = _load_fsdd(args.data_home)
    train_mask = ~data.test_mask
    _echo(
        "Free Spoken Digit Dataset (CC BY-SA 4.0, Zohar Jackson and contributors): "
        f"{train_mask.sum()} training and {data.test_mask.sum()} test recordings"
    )
    if args.out_dir:
        finish_interrupted(Path(args.out_dir) / "fsdd_cnn.skaudio", remove_staged=True)
    import_tensorflow_quietly()
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
        summary = {"model": "cnn", "sr": 8000, "classes": [_plain(c) for c in labels],
                   "training": training, "test": report.to_dict()}
        written = _write_set(out / "fsdd_cnn.skaudio", pipeline, summary, report,
                             data.target[data.test_mask], proba)
        _echo(*(f"wrote {p}" for p in written))
    return 0


def tune(args):
    """``sklearn-audio tune``: an Optuna study over the pipeline's classifier."""
    from ..tuning import plot_tuning, tune as run_tuning

    out = Path(args.out_dir) if args.out_dir is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise UserError(f"--out-dir {out} is a file, not a folder")
    data = _load_labelled_folder(args.data_dir, min_per_class=args.cv,
                                 skip_unreadable=args.skip_unreadable)
    segment_seconds, segment_reason = choose_segmenting(data.durations, args.segment_seconds)
    model, model_reason = _resolve_model(args.model, len(data.filenames))
    _echo(f"segments: {segment_reason}", f"model: {model} ({model_reason})")
    import_tensorflow_quietly()
    pipeline = build_pipeline(model, sr=args.sr, segment_seconds=segment_seconds,
                              epochs=args.epochs, random_state=args.random_state, verbose=True,
                              on_unreadable="skip" if args.skip_unreadable else "raise")
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
    if out is None:
        _echo("plots: none written (--out-dir DIR writes the optimisation plots there)")
        return 0
    written = plot_tuning(result.study, out)
    _echo(*(f"wrote {p}" for p in written))
    return 0

