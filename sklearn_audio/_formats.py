"""The audio file extensions the package reads, in a module that imports nothing.

:mod:`sklearn_audio.io` (which imports scikit-learn) re-exports it; the
command's ``predict`` reads it from here, so searching folders for audio
files costs no import.
"""

#: Extensions (lower case, with the dot) of the files searched for in folders.
AUDIO_EXTENSIONS = frozenset(
    ".aif .aifc .aiff .au .flac .m4a .mp3 .oga .ogg .opus .snd .wav".split()
)
