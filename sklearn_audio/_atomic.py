"""Atomic file writes: a reader sees the previous file or the new one, never a part.

Every file sklearn-audio writes for the user (model files, ``report.json``,
plots, exported models) goes through :func:`atomic_path`: the content is
written to a temporary file in the destination's own folder (so the final
rename never crosses a file system), flushed to disk, then renamed over the
destination with :func:`os.replace`, which is atomic on POSIX and Windows. A
process killed at any moment leaves either the old file or the new one, plus
at worst a hidden ``.<name>.*.tmp<suffix>`` file that the next write of the same name
removes.
"""

import contextlib
import os
import secrets
import stat
from pathlib import Path

_TMP_SUFFIX = ".tmp"


def _stale_temporaries(path):
    """Leftovers of writes of ``path`` that were killed before their rename."""
    return path.parent.glob(f".{path.name}.*{_TMP_SUFFIX}{path.suffix}")


def _fsync(path):
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder):
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _create_temporary(path):
    """A new empty file beside ``path``, with the permissions ``path`` has or would get.

    ``tempfile.mkstemp`` creates files readable by their owner only, and the
    rename would carry that mode to the destination: a model or an export
    meant for a service account would become unreadable to it. The file is
    created with mode 0o666 instead, which the umask narrows exactly as for
    any new file, and an existing destination keeps its own mode.
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{_TMP_SUFFIX}{path.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - a 32-bit name collision
            continue
        break
    try:
        with contextlib.suppress(FileNotFoundError):
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
    finally:
        os.close(fd)
    return tmp


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The destination. Its folder must exist.

    Yields
    ------
    tmp_path : pathlib.Path
        A path in the same folder, to be written by any means (``savefig``,
        ``joblib.dump``, a zip archive). It keeps the destination's suffix,
        so writers that choose a format by extension still do.

    Notes
    -----
    If the block raises, the temporary file is removed and ``path`` is left
    untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_audio._atomic import atomic_path
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "report.json") as tmp:
    ...     _ = tmp.write_text('{"accuracy": 1.0}')
    >>> (folder / "report.json").read_text()
    '{"accuracy": 1.0}'
    >>> sorted(p.name for p in folder.iterdir())
    ['report.json']
    """
    path = Path(path)
    for stale in _stale_temporaries(path):
        with contextlib.suppress(OSError):
            stale.unlink()
    tmp = _create_temporary(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(path.parent)


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_audio._atomic import atomic_write_bytes
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> atomic_write_bytes(target, b"abc")
    >>> target.read_bytes()
    b'abc'
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_audio._atomic import atomic_write_text
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> atomic_write_text(target, "hello")
    >>> target.read_text()
    'hello'
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
