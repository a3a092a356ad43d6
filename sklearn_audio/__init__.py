"""sklearn-audio: audio and music classification as scikit-learn estimators.

The public estimators are importable from the top level. TensorFlow is only
imported when a Keras classifier is first used, so loading audio or
extracting features never pays TensorFlow's start-up time.
"""

import importlib

from ._config import config_context, get_config, set_config

__version__ = "0.1.0.dev0"

_LAZY = {
    "AudioLoader": "sklearn_audio.io",
    "load_audio": "sklearn_audio.io",
    "RawSegmenter": "sklearn_audio.segment",
    "WaveformAugmenter": "sklearn_audio.augment",
    "StreamingPipeline": "sklearn_audio._streaming",
    "MFCCTransformer": "sklearn_audio.features",
    "MelSpectrogramTransformer": "sklearn_audio.features",
    "CNNClassifier": "sklearn_audio.models",
    "LSTMClassifier": "sklearn_audio.models",
    "DenseClassifier": "sklearn_audio.models",
    "AudioFileError": "sklearn_audio.exceptions",
    "MusicnnTransformer": "sklearn_audio.pretrained",
    "save_model": "sklearn_audio.persistence",
    "load_model": "sklearn_audio.persistence",
}

__all__ = sorted(_LAZY) + ["__version__", "config_context", "get_config", "set_config"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sklearn_audio' has no attribute {name!r}")


def __dir__():
    return __all__
