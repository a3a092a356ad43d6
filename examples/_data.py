"""Where the examples find real audio: an argument, else $SKLEARN_AUDIO_DATA, else ../shared/data."""

import os
from pathlib import Path


def data_folder(name):
    """``$SKLEARN_AUDIO_DATA/<name>``, falling back to the repository's ``../shared/data``."""
    root = os.environ.get("SKLEARN_AUDIO_DATA")
    root = Path(root) if root else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return root / name
