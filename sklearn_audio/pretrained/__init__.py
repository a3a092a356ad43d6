"""Pretrained networks as feature extractors: musicnn embeddings and music tags.

:class:`MusicnnTransformer` turns file paths, waveforms or segments into
embeddings of the musicnn networks (Pons & Serra, ISMIR 2019), whose
weights ship with the package (``weights/``, ISC license, provenance in
``weights/provenance.json``). :func:`tag_files` and :func:`format_tags`
give the top tags of audio files. Importing this module does not import
TensorFlow: the network is built on first use.
"""

from ._musicnn import MusicnnTransformer, format_tags, tag_files, top_tags
from ._network import MODELS
from ._tags import MSD_TAGS, MTT_TAGS

__all__ = [
    "MODELS",
    "MSD_TAGS",
    "MTT_TAGS",
    "MusicnnTransformer",
    "format_tags",
    "tag_files",
    "top_tags",
]
