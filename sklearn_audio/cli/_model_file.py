"""Model files written by ``sklearn-audio train``: a joblib file with a marker and metadata."""

import datetime
from pathlib import Path

import joblib

from .. import __version__
from ._errors import UserError

FORMAT = "sklearn-audio model"
FORMAT_VERSION = 1


def save_model(path, pipeline, **metadata):
    """Write ``pipeline`` and ``metadata`` (JSON-friendly values) to ``path``."""
    bundle = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklearn_audio_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "pipeline": pipeline,
        "metadata": metadata,
    }
    joblib.dump(bundle, path)


def check_model_path(path):
    """A UserError now if ``path`` cannot be a model file, before any slow loading."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise UserError(f"model file not found: {path}")


def load_model(path):
    """Read a model file; a UserError if it is missing or not one of ours.

    Only open model files you trust: like every pickle-based format, loading
    one can run code.
    """
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
