"""Model files of ``sklearn-audio train``: the safe format of :mod:`sklearn_audio.persistence`.

Files of the older format (a joblib pickle of ``{"format": "sklearn-audio
model", ...}``) are read only when the user trusts them (``--trust``):
loading a pickle can run any code it holds. The format is told by content
(a zip archive with our manifest), never by suffix.
"""

from pathlib import Path

from ._errors import UserError

FORMAT = "sklearn-audio model"
#: Version of the older joblib bundle, still read with ``--trust``.
FORMAT_VERSION = 1


def save_model(path, pipeline, **metadata):
    """Write ``pipeline`` and ``metadata`` (JSON-friendly values) to ``path``, safe format."""
    from .. import persistence

    persistence.save_model(pipeline, path, metadata=metadata)


def check_model_path(path):
    """A UserError now if ``path`` cannot be a model file, before any slow loading."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise UserError(f"model file not found: {path}")


def load_model(path, *, trust=False):
    """``(pipeline, metadata)`` of a model file; a UserError if it cannot be loaded.

    A file in the safe format loads without trust. With ``trust=True`` a file
    in the older pickle-based format loads too, and a safe file holding types
    sklearn-audio does not trust (a custom transformer) loads with them.
    """
    from .. import persistence

    check_model_path(path)
    try:
        kind = persistence._file_kind(path)
    except OSError as exc:
        raise UserError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if kind == "zip":
        try:
            pipeline, manifest = persistence._load(path, trust_all=trust)
        except persistence.ModelFileError as exc:
            raise UserError(str(exc)) from None
        return pipeline, manifest.get("metadata", {})
    if trust:
        return _load_pickled(path)
    if kind == "pickle":
        raise UserError(
            f"{path} is not a sklearn-audio model file in the safe format: it is pickle-based "
            "(an older sklearn-audio model file, or another program's), and loading it can "
            "run any code it holds. If you trust it, pass --trust to load it; saving it again "
            "with `sklearn-audio train` writes the safe format"
        )
    raise UserError(f"{path} is not a sklearn-audio model file (not a zip archive)")


def _load_pickled(path):
    """Read a file of the older joblib format: runs any code the file holds."""
    import joblib

    try:
        bundle = joblib.load(path)
    except FileNotFoundError:
        raise UserError(f"model file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a model file") from None
    except Exception as exc:  # joblib raises anything pickle can: all mean "not ours"
        raise UserError(
            f"{path} is not a sklearn-audio model file (could not read it: "
            f"{type(exc).__name__})"
        ) from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise UserError(f"{path} is not a sklearn-audio model file (written by another program)")
    if bundle.get("format_version", 0) > FORMAT_VERSION:
        raise UserError(
            f"{path} was written by a newer sklearn-audio "
            f"({bundle.get('sklearn_audio_version')}); upgrade to read it"
        )
    return bundle["pipeline"], bundle.get("metadata", {})
