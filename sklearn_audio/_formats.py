"""The audio file extensions the package reads, and the search for them, importing nothing.

:mod:`sklearn_audio.io` (which imports scikit-learn) re-exports
``AUDIO_EXTENSIONS``; :mod:`sklearn_audio.datasets` and the command's
``predict`` search folders with :func:`find_audio_files`, so that search
costs no import.
"""

#: Extensions (lower case, with the dot) of the files searched for in folders.
AUDIO_EXTENSIONS = frozenset(
    ".aif .aifc .aiff .au .flac .m4a .mp3 .oga .ogg .opus .snd .wav".split()
)


def find_audio_files(folder, extensions=AUDIO_EXTENSIONS):
    """Audio files under ``folder`` at any depth, sorted by their path relative to it.

    Hidden files and everything inside hidden folders are skipped; so are
    symbolic links to folders (``rglob`` does not follow them), which could
    otherwise loop.

    Parameters
    ----------
    folder : pathlib.Path
    extensions : collection of str, default=AUDIO_EXTENSIONS
        Lower-case suffixes with the dot.

    Returns
    -------
    files : list of pathlib.Path

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sklearn_audio._formats import find_audio_files
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b/2.wav", "a.FLAC", ".hidden/3.wav", "notes.txt"):
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     (root / name).touch()
    >>> [str(p.relative_to(root)) for p in find_audio_files(root)]
    ['a.FLAC', 'b/2.wav']
    """
    found = []
    for entry in folder.rglob("*"):
        relative = entry.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        if entry.suffix.lower() in extensions and entry.is_file():
            found.append((relative, entry))
    return [entry for _, entry in sorted(found, key=lambda item: item[0])]
