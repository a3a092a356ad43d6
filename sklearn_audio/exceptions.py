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


class TruncatedAudioWarning(UserWarning):
    """An audio file holds less audio data than its header announces.

    Issued instead of :class:`AudioFileError` when ``on_truncated="warn"`` is
    passed to :func:`~sklearn_audio.io.load_audio` or
    :class:`~sklearn_audio.AudioLoader`; the audio that is there is used. The
    message names the file. Turn it into an error, or silence it, with the
    :mod:`warnings` filters.

    Examples
    --------
    >>> from sklearn_audio.exceptions import TruncatedAudioWarning
    >>> issubclass(TruncatedAudioWarning, UserWarning)
    True
    """


class UnreadableAudioWarning(UserWarning):
    """A file :class:`~sklearn_audio.AudioLoader` could not read was replaced with silence.

    Issued by ``AudioLoader(on_unreadable="skip")``; the message names the
    file and says why it could not be read.

    Examples
    --------
    >>> from sklearn_audio.exceptions import UnreadableAudioWarning
    >>> issubclass(UnreadableAudioWarning, UserWarning)
    True
    """
