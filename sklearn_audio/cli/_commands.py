"""What each sub-command does; argument parsing lives in ``__init__``."""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ..datasets import load_audio_folder, load_fsdd
from ..io import audio_duration
from ._errors import UserError
from ._model_file import load_model, save_model
from ._pipelines import build_pipeline, cache_features
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
            f"{data_dir} holds only one class ({classes[0]!r}); a classifier needs at least two "
            "sub-folders, one per class"
        )
    small = [f"{c!r} ({n})" for c, n in zip(classes, counts) if n < min_per_class]
    if small:
        raise UserError(
            f"each class needs at least {min_per_class} files here; too few in: {', '.join(small)}"
        )
    # Headers only: a file that is not audio fails now, naming itself, not after training.
    for path in data.filenames:
        audio_duration(path)
    return data


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
    out.parent.mkdir(parents=True, exist_ok=True)
    min_per_class = args.cv if args.cv else 2
    data = _load_labelled_folder(args.data_dir, min_per_class=min_per_class)
    X, y = data.filenames, data.target
    _echo(f"{len(X)} files, {len(data.target_names)} classes: {', '.join(data.target_names)}")
    pipeline = build_pipeline(
        args.model, sr=args.sr, segment_seconds=args.segment_seconds, epochs=args.epochs,
        random_state=args.random_state, callbacks=[epoch_progress_bar()], verbose=True,
    )
    stem = out.name[: -len(".joblib")]
    summary = {"model": args.model, "sr": args.sr, "segment_seconds": args.segment_seconds,
               "classes": [str(c) for c in data.target_names]}
    report = y_true = proba = None
    if args.cv:
        from ..metrics import cross_validate_report

        cv_report = cross_validate_report(pipeline, X, y, cv=args.cv, shuffle=True,
                                          random_state=args.random_state)
        _echo(f"{args.cv}-fold cross-validation:", str(cv_report))
        summary["cross_validation"] = cv_report.to_dict()
        pipeline.fit(X, y)
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
        pipeline.fit(X_train, y_train)
        report, proba, _ = _report_on(pipeline, X_test, y_test)
        y_true = y_test
        _echo(f"Test set ({len(X_test)} files):", str(report))
        summary["test"] = report.to_dict()
    pipeline.set_params(clf__callbacks=None)
    save_model(out, pipeline, **summary)
    written = _write_outputs(out.parent, stem, summary, report, y_true, proba,
                             pipeline.named_steps["clf"])
    _echo(f"model written to {out}", *(f"wrote {p}" for p in written))
    return 0


def evaluate(args):
    """``sklearn-audio evaluate``: the report of a saved model on a labelled folder."""
    pipeline, metadata = load_model(args.model_file)
    data = _load_labelled_folder(args.data_dir, allow_single_class=True)
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
    pipeline, _ = load_model(args.model_file)
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise UserError(f"no such file: {missing[0]}")
    proba = pipeline.predict_proba(np.asarray(args.files, dtype=object))
    labels = pipeline.classes_
    rows = [
        {
            "file": path,
            "label": labels[row.argmax()].item(),
            "probabilities": {str(c): round(float(p), 6) for c, p in zip(labels, row)},
        }
        for path, row in zip(args.files, proba)
    ]
    if args.json:
        _echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            probs = "  ".join(f"{c}={p:.3f}" for c, p in row["probabilities"].items())
            _echo(f"{row['file']}\t{row['label']}\t{probs}")
    return 0


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
    pipeline.fit(data.filenames[train_mask], data.target[train_mask])
    report, proba, labels = _report_on(
        pipeline, data.filenames[data.test_mask], data.target[data.test_mask]
    )
    _echo("Test set (official split):", str(report))
    if args.out_dir:
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        pipeline.set_params(clf__callbacks=None)
        summary = {"model": "cnn", "sr": 8000, "classes": [str(c) for c in labels],
                   "test": report.to_dict()}
        save_model(out / "fsdd_cnn.joblib", pipeline, **summary)
        written = _write_outputs(out, "fsdd_cnn", summary, report, data.target[data.test_mask],
                                 proba, pipeline.named_steps["clf"])
        _echo(*(f"wrote {p}" for p in written))
    return 0


def tune(args):
    """``sklearn-audio tune``: an Optuna study over the pipeline's classifier."""
    from ..tuning import plot_tuning, tune as run_tuning

    data = _load_labelled_folder(args.data_dir, min_per_class=args.cv)
    pipeline = build_pipeline(args.model, sr=args.sr, segment_seconds=args.segment_seconds,
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
