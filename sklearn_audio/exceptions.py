"""Exceptions raised by sklearn-audio."""


class AudioFileError(ValueError):
    """An audio file exists but cannot be used: empty, truncated or not audio.

    The message always names the file at fault. It subclasses
    :class:`ValueError` so that code catching bad input in the usual
    scikit-learn way keeps working.

    Examples
    --------
    >>> from sklearn_audio.exceptions import AudioFileError
    >>> issubclass(AudioFileError, ValueError)
    True
    """
