"""Storage and study creation: in memory, SQLite for one machine, PostgreSQL for many.

Database storages run with a heartbeat: a trial whose process died (killed,
out of memory, machine lost) stops beating, and once its grace period has
passed the next trial started by any worker marks it FAIL, so a resumed or
shared study never waits on a ghost.
"""

import importlib.util
import re
import warnings

import optuna
from optuna.exceptions import DuplicatedStudyError
from optuna.storages import BaseStorage, InMemoryStorage, RDBStorage

__all__ = ["make_storage", "open_study", "redact_url"]

HEARTBEAT_INTERVAL = 60
GRACE_PERIOD = 120
FINGERPRINT_ATTR = "sklearn_audio:training_data"
METRIC_ATTR = "sklearn_audio:metric"


def redact_url(url):
    """``url`` with its password replaced by ``***``.

    Examples
    --------
    >>> from sklearn_audio.tuning._study import redact_url
    >>> redact_url("postgresql://me:secret@db.example.org/studies")
    'postgresql://me:***@db.example.org/studies'
    """
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _with_driver(url):
    """Name the PostgreSQL driver when the URL does not.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3, 2.0 as
    psycopg2: use whichever is installed, so either URL form works.
    """
    scheme, sep, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres"):
        return url
    for module in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return f"postgresql+{module}{sep}{rest}"
    raise ImportError(
        f"The storage {redact_url(url)} needs a PostgreSQL driver (psycopg or psycopg2), and "
        "none is installed: pip install 'sklearn-audio[postgres]'."
    )


def _engine_kwargs(url):
    if url.startswith("postgresql"):
        # Fail within seconds on a host that drops packets instead of hanging for minutes.
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
    if url.startswith("sqlite"):
        # Several processes on one machine share the file: wait for its lock, do not fail.
        return {"connect_args": {"timeout": 60}}
    return {}


def make_storage(storage):
    """An Optuna storage from ``None``, a database URL, or a storage object.

    Parameters
    ----------
    storage : None, str or optuna.storages.BaseStorage
        ``None``: in memory (lost when the process ends). A URL:
        ``sqlite:///path/study.db`` (one machine) or
        ``postgresql://user:password@host/db`` (many workers on many
        machines), opened with a heartbeat. A storage object is used as it is.

    Returns
    -------
    storage : optuna.storages.BaseStorage

    Raises
    ------
    ValueError
        For a string that is not a database URL, or an unknown database kind.
    ImportError
        When the database driver is not installed.
    ConnectionError
        When the database cannot be reached or opened. The message names
        the URL without its password and gives the driver's one-line reason.

    Examples
    --------
    >>> from sklearn_audio.tuning._study import make_storage
    >>> type(make_storage(None)).__name__
    'InMemoryStorage'
    >>> make_storage("postgresql://me:secret@127.0.0.1:1/x")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    ConnectionError: Cannot open the Optuna storage postgresql://me:***@127.0.0.1:1/x: ...
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if not isinstance(storage, str) or "://" not in storage:
        raise ValueError(
            "storage must be None, an optuna storage or a database URL such as "
            "'sqlite:///tuning.db' or 'postgresql://user:password@host/db', got "
            f"{redact_url(storage) if isinstance(storage, str) else storage!r}."
        )
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    shown = redact_url(storage)
    url = _with_driver(storage)
    try:
        with warnings.catch_warnings():
            # The heartbeat is "experimental" in Optuna's API, stable in use since 2.x.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(
                url,
                engine_kwargs=_engine_kwargs(url),
                heartbeat_interval=HEARTBEAT_INTERVAL,
                grace_period=GRACE_PERIOD,
            )
    except ImportError as exc:
        raise ImportError(
            f"The storage {shown} needs a database driver that is not installed ({exc}); "
            "for PostgreSQL: pip install 'sklearn-audio[postgres]'."
        ) from None
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ValueError(f"Not a usable database URL: {shown} ({exc}).") from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        password = re.search(r"://[^:/@]*:([^@/]*)@", storage)
        if password and password.group(1):
            reason = reason.replace(password.group(1), "***")
        raise ConnectionError(f"Cannot open the Optuna storage {shown}: {reason}") from None


def _free_name(storage, study_name):
    taken = set(optuna.get_all_study_names(storage))
    name, k = study_name, 1
    while name in taken:
        k += 1
        name = f"{study_name}-{k}"
    return name


def _create_fresh(storage, study_name, **kwargs):
    """A new study named ``study_name``, or ``study_name-2``, ``-3``... when that is taken."""
    if study_name is None:
        return optuna.create_study(storage=storage, **kwargs)
    while True:
        try:
            return optuna.create_study(
                storage=storage, study_name=_free_name(storage, study_name), **kwargs
            )
        except DuplicatedStudyError:  # another process took the same free name first
            continue


def _check_same_data(study, fingerprint, storage):
    recorded = study.user_attrs.get(FINGERPRINT_ATTR)
    if recorded is None:
        study.set_user_attr(FINGERPRINT_ATTR, fingerprint)
    elif recorded != fingerprint:
        where = redact_url(storage) if isinstance(storage, str) else "the storage"
        raise ValueError(
            f"Study {study.study_name!r} in {where} was run on other training data, so its "
            "scores cannot be compared with this run's. This happens when a search with "
            "resume=True is cloned into the folds of an outer cross-validation: leave "
            "resume=False there (each fit then gets its own study), or give this data a "
            "new study_name."
        )


def open_study(storage, study_name, *, resume, pruner, fingerprint, metric, storage_arg=None):
    """Create (or, with ``resume``, load) the study one search runs in.

    With ``resume=False`` every call makes a new study: ``study_name`` when
    free, else ``study_name-2``, ``-3``... With ``resume=True`` an existing
    study of that name is continued, provided it was run on the same
    training data (``fingerprint``); otherwise it is created. The caller
    sets the sampler, whose seed may depend on the trials already run.
    """
    kwargs = dict(pruner=pruner, direction="maximize")
    if not resume:
        study = _create_fresh(storage, study_name, **kwargs)
    else:
        study = optuna.create_study(
            storage=storage, study_name=study_name, load_if_exists=True, **kwargs
        )
        if study.direction != optuna.study.StudyDirection.MAXIMIZE:
            raise ValueError(
                f"Study {study.study_name!r} minimises its objective; sklearn-audio maximises "
                "scores. Use another study_name."
            )
    _check_same_data(study, fingerprint, storage_arg)
    if study.user_attrs.get(METRIC_ATTR) != metric:
        study.set_user_attr(METRIC_ATTR, metric)  # for plot labels
    return study
