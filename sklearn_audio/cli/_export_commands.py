"""``sklearn-audio export``, and loading exported models for ``predict``.

Loading an exported model for prediction imports neither TensorFlow nor
scikit-learn (see :mod:`sklearn_audio.runtime`): this module imports them only
inside :func:`export`.
"""

from pathlib import Path

from ._errors import UserError

#: Suffixes ``export`` can write.
EXPORT_SUFFIXES = (".keras", ".tflite", ".onnx")


def _load_pipeline(model_file, trust):
    from ._model_file import check_model_path, load_model

    check_model_path(model_file)
    return load_model(model_file, trust=trust)


def export(args):
    """Write ``args.model_file`` as a self-contained ``args.out_file``."""
    out = Path(args.out_file)
    if out.suffix.lower() not in EXPORT_SUFFIXES:
        raise UserError(
            f"the exported file must end in {' or '.join(EXPORT_SUFFIXES)}, got {out}"
        )
    if not out.parent.is_dir():
        raise UserError(f"folder not found for the exported file: {out.parent}")
    pipeline, _metadata = _load_pipeline(args.model_file, getattr(args, "trust", False))
    from ..export import UnsupportedPipelineError, export_model

    try:
        path = export_model(pipeline, out)
    except UnsupportedPipelineError as exc:
        raise UserError(str(exc)) from None
    print(f"Exported {args.model_file} to {path} ({path.stat().st_size / 1e6:.1f} MB).")
    return 0


def load_exported_for_predict(path):
    """The runtime model of an exported file, or a UserError naming the problem."""
    from ..runtime import load_exported

    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    try:
        model = load_exported(path)
    except ImportError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(f"cannot load {path}: {exc}") from None
    # LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." when it
    # first allocates; a one-second clip of silence does that out of the user's sight.
    import numpy as np

    from ._tensorflow import stderr_fd_silenced

    with stderr_fd_silenced():
        model.predict_proba([np.zeros(model.sr, dtype=np.float32)])
    return model
