"""Saving and loading fitted estimators in a format whose loading runs no code.

:func:`save_model` writes one zip archive:

* ``manifest.json``: the format's name and version, the versions of
  sklearn-audio, scikit-learn, skops, Keras, NumPy and Python that wrote it,
  the creation time, the user's metadata and the list of networks;
* ``estimator.skops``: the estimator (any scikit-learn estimator or
  ``Pipeline``) through :func:`skops.io.dumps`, with every fitted Keras
  network replaced by a reference to its member;
* ``networks/<i>.keras``: each fitted Keras network in Keras's native format.

:func:`load_model` reads it back with :func:`skops.io.loads` and an explicit
list of trusted types (sklearn-audio's estimators, scikit-learn's, and the
NumPy and builtin types skops trusts), plus the ones the caller names; a file
holding any other type is refused, listing the types. The networks are read
with ``keras.saving.load_model(..., safe_mode=True)``, which refuses Python
code (``Lambda`` layers) in a network. Nothing is ever unpickled: unlike
pickle or joblib, a file cannot run code when it is loaded.
"""

import contextlib
import contextvars
import datetime
import importlib.metadata
import json
import platform
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._atomic import atomic_path

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "ModelFileError",
    "UntrustedTypesError",
    "load_model",
    "read_metadata",
    "save_model",
]

#: The name every archive's manifest carries.
FORMAT = "sklearn-audio model"
#: Raised when a change would make older readers misread a file.
FORMAT_VERSION = 1

_MANIFEST = "manifest.json"
_ESTIMATOR = "estimator.skops"
_NETWORKS = "networks/"
# A manifest is a few kilobytes; reading a larger one would only serve a
# crafted archive (a "zip bomb" expanding in memory).
_MAX_MANIFEST_BYTES = 1 << 20
# Stands in for a network in the skops part: "<prefix><member name>".
_NETWORK_REF = "sklearn-audio network: "

#: sklearn-audio's estimators and transformers, trusted by :func:`load_model`.
#: Names, not classes: checking a file must import nothing (the classifiers'
#: modules import TensorFlow), and a name lists a class not installed yet.
#: skops names a class by its defining module (``type.__module__``).
TRUSTED_TYPES = (
    "sklearn_audio._streaming.StreamingPipeline",
    "sklearn_audio.io.AudioLoader",
    "sklearn_audio.segment.RawSegmenter",
    "sklearn_audio.augment.WaveformAugmenter",
    "sklearn_audio.features.MFCCTransformer",
    "sklearn_audio.features.MelSpectrogramTransformer",
    "sklearn_audio.models.cnn.CNNClassifier",
    "sklearn_audio.models.lstm.LSTMClassifier",
    "sklearn_audio.models.dense.DenseClassifier",
    "sklearn_audio.tuning._cache.CachedTransformer",
    "sklearn_audio.tuning._search.AudioOptunaSearchCV",
    "sklearn_audio.pretrained._musicnn.MusicnnTransformer",
    # Its public name, in case the class is ever given ``__module__`` of its package.
    "sklearn_audio.pretrained.MusicnnTransformer",
)


def _sklearn_types():
    """scikit-learn types of fitted searches that skops does not trust by default.

    skops trusts scikit-learn's estimators; a fitted ``GridSearchCV`` also
    holds its cross-validation splitter and its default scorer, plain
    objects whose loading only sets attributes.
    """
    import sklearn.model_selection

    # ``vars``, not ``getattr``: the experimental searches raise on access.
    splitters = vars(sklearn.model_selection).values()
    return {
        f"{cls.__module__}.{cls.__name__}"
        for cls in splitters
        if isinstance(cls, type) and callable(getattr(cls, "split", None))
        and callable(getattr(cls, "get_n_splits", None))
    } | {"sklearn.metrics._scorer._PassthroughScorer"}


class ModelFileError(ValueError):
    """A file that :func:`load_model` cannot read: not a model file, damaged or too new.

    The message names the file. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> from sklearn_audio.persistence import ModelFileError
    >>> issubclass(ModelFileError, ValueError)
    True
    """


class UntrustedTypesError(ModelFileError):
    """A model file holds types that are not trusted: loading them could run code.

    Attributes
    ----------
    types : list of str
        The untrusted types, by their full names. Pass the ones you trust as
        ``load_model(path, trusted=types)``.

    Examples
    --------
    >>> from sklearn_audio.persistence import UntrustedTypesError
    >>> error = UntrustedTypesError("model.skz holds untrusted types", ["mymodule.Scaler"])
    >>> error.types
    ['mymodule.Scaler']
    """

    def __init__(self, message, types):
        super().__init__(message)
        self.types = list(types)


# -- networks kept out of the skops part ------------------------------------------------
# While save_model dumps (load_model loads) the estimator, this holds the
# networks met so far: the classifiers' __getstate__ (__setstate__) swap
# their network for a reference (and back) only then, so pickle is unchanged.
_NETWORK_TABLE = contextvars.ContextVar("sklearn_audio_network_table", default=None)


class _SavedNetworks:
    """Networks met while dumping: one member each, shared networks once."""

    def __init__(self):
        self.members = {}  # id(network) -> member name
        self.entries = []  # (member name, network, owner type name)

    def reference(self, network, owner):
        member = self.members.get(id(network))
        if member is None:
            member = f"{_NETWORKS}{len(self.entries)}.keras"
            self.members[id(network)] = member
            self.entries.append((member, network, owner))
        return _NETWORK_REF + member


class _LoadedNetworks:
    """Networks read from the archive, handed out by member name."""

    def __init__(self, path, networks):
        self.path = path
        self.networks = networks  # member name -> keras.Model
        self.used = set()

    def network(self, reference):
        member = reference[len(_NETWORK_REF) :]
        if member not in self.networks:
            raise ModelFileError(
                f"{self.path} is damaged: its estimator refers to a network {member!r} "
                "that its manifest does not list"
            )
        self.used.add(member)
        return self.networks[member]


def _is_network(value):
    # Without Keras imported there can be no network: no import needed to tell.
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def _detach_networks(estimator, state):
    """``state`` with each Keras network swapped for a reference, while saving.

    For an estimator's ``__getstate__``: outside :func:`save_model` the state
    is returned as is.
    """
    table = _NETWORK_TABLE.get()
    if not isinstance(table, _SavedNetworks):
        return state
    owner = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    return {
        key: table.reference(value, owner) if _is_network(value) else value
        for key, value in state.items()
    }


def _attach_networks(estimator, state):
    """``state`` with each network reference replaced by its network, while loading.

    For an estimator's ``__setstate__``. A reference met outside
    :func:`load_model` means the skops part was loaded on its own.
    """
    refs = [key for key, value in state.items() if isinstance(value, str)
            and value.startswith(_NETWORK_REF)]  # fmt: skip
    if not refs:
        return state
    table = _NETWORK_TABLE.get()
    if not isinstance(table, _LoadedNetworks):
        raise ValueError(
            f"this {type(estimator).__name__} was saved by sklearn_audio.save_model with its "
            "network stored apart; load the whole file with sklearn_audio.load_model"
        )
    state = dict(state)
    for key in refs:
        state[key] = table.network(state[key])
    return state


@contextlib.contextmanager
def _network_table(table):
    token = _NETWORK_TABLE.set(table)
    try:
        yield table
    finally:
        _NETWORK_TABLE.reset(token)


# -- saving ---------------------------------------------------------------------------
def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(
        f"metadata must hold JSON values (str, numbers, bool, None, lists, dicts), "
        f"got a {type(value).__name__}: {value!r}"
    )


def save_model(estimator, path, *, metadata=None):
    """Write a fitted (or unfitted) estimator to ``path`` in the safe format.

    Parameters
    ----------
    estimator : estimator instance
        Any scikit-learn estimator or ``Pipeline``, including sklearn-audio's
        (fitted Keras classifiers too: their networks are stored in Keras's
        own format).
    path : str or os.PathLike
        The file to write; replaced atomically (a reader sees the old file or
        the new one). Any suffix; ``.skaudio`` is usual (not ``.joblib``: the
        file is not one joblib can read).
    metadata : dict, default=None
        JSON values to keep with the model (NumPy scalars and arrays are
        converted); :func:`read_metadata` gives them back.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If ``metadata`` holds a value JSON cannot represent, or the estimator
        an object skops cannot write (such as a Keras network outside
        sklearn-audio's classifiers).

    See Also
    --------
    load_model : Read the file back.

    Notes
    -----
    Every type in the estimator is written, trusted or not; :func:`load_model`
    decides what it loads. An estimator holding your own classes saves, and
    loads with ``trusted=[...]`` naming them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_audio.persistence import load_model, read_metadata, save_model
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = save_model(model, folder / "iris.skaudio", metadata={"data": "iris"})
    >>> read_metadata(path)["metadata"]
    {'data': 'iris'}
    >>> bool((load_model(path).predict_proba(X) == model.predict_proba(X)).all())
    True
    """
    import skops.io

    from . import __version__

    path = Path(path)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got a {type(metadata).__name__}")
    # Round-trips through JSON now, so that a bad value fails before any writing.
    metadata = json.loads(json.dumps(metadata, default=_json_default))

    with _network_table(_SavedNetworks()) as table:
        try:
            estimator_bytes = skops.io.dumps(estimator)
        except (RecursionError, TypeError) as exc:
            # skops recurses without end into a Keras network held by another class.
            raise TypeError(
                f"{type(estimator).__name__} cannot be saved in the safe format: skops cannot "
                f"write one of the objects it holds ({type(exc).__name__}: {exc}). Keras "
                "networks are saved only inside sklearn-audio's classifiers; save other "
                "objects with pickle or joblib, whose files can run code when loaded"
            ) from exc
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "estimator": {
            "member": _ESTIMATOR,
            "type": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        },
        "versions": {
            "sklearn_audio": __version__,
            "scikit-learn": _version("scikit-learn"),
            "skops": _version("skops"),
            "keras": _version("keras") if table.entries else None,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "networks": [{"member": member, "owner": owner} for member, _, owner in table.entries],
        "metadata": metadata,
    }
    manifest_text = json.dumps(manifest, indent=2)
    if len(manifest_text.encode("utf-8")) > _MAX_MANIFEST_BYTES:
        # load_model refuses larger manifests: never write a file it cannot read.
        raise ValueError(
            f"metadata too large for {path}: its manifest would take "
            f"{len(manifest_text.encode('utf-8')):,} bytes, more than {_MAX_MANIFEST_BYTES:,}; "
            "keep large records (per-file results) in a file of their own"
        )
    with atomic_path(path) as tmp, tempfile.TemporaryDirectory() as scratch:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_MANIFEST, manifest_text)
            archive.writestr(_ESTIMATOR, estimator_bytes)
            for member, network, _ in table.entries:
                # keras.saving writes to a path ending in ".keras" only.
                network_file = Path(scratch) / "network.keras"
                network.save(network_file)
                archive.write(network_file, member)
                network_file.unlink()
    return path


# -- loading ---------------------------------------------------------------------------
# How files of other formats begin; enough to name them in an error.
_PICKLE_PREFIXES = (
    b"\x80",  # pickle protocol 2 and later (joblib.dump without compression)
    b"\x1f\x8b",  # gzip (joblib compress="gzip")
    b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda",  # zlib (joblib compress=True)
    b"BZh",  # bz2
    b"\xfd7zXZ\x00",  # xz
    b"\x5d\x00\x00",  # lzma
    b"\x04\x22\x4d\x18",  # lz4
)
_ZIP_PREFIX = b"PK\x03\x04"


def _file_kind(path):
    """``"zip"``, ``"pickle"`` (pickle or joblib, maybe compressed), ``"empty"`` or ``"other"``."""
    with open(path, "rb") as file:
        head = file.read(8)
    if not head:
        return "empty"
    if head.startswith(_ZIP_PREFIX) or head.startswith(b"PK\x05\x06"):  # or an empty zip
        return "zip"
    if head.startswith(_PICKLE_PREFIXES):
        return "pickle"
    return "other"


def _open_archive(path):
    """The open zip archive at ``path``; a ModelFileError saying why it is not one."""
    try:
        kind = _file_kind(path)
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a folder, not a model file") from None
    if kind == "pickle":
        raise ModelFileError(
            f"{path} is not a sklearn-audio model file in the safe format: it is a pickle "
            "or joblib file, which sklearn_audio.load_model never loads (loading one can "
            "run any code it holds)"
        )
    if kind == "empty":
        raise ModelFileError(f"{path} is empty, not a sklearn-audio model file")
    if kind == "other":
        raise ModelFileError(f"{path} is not a sklearn-audio model file (not a zip archive)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ModelFileError(
            f"{path} is truncated or damaged (an incomplete zip archive); save the model again"
        ) from None


def _read_member(archive, path, member, limit=None):
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelFileError(f"{path} is damaged: its member {member!r} is missing") from None
    if limit is not None and info.file_size > limit:
        raise ModelFileError(f"{path} is not a sklearn-audio model file ({member} too large)")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise ModelFileError(
            f"{path} is truncated or damaged ({member}: {exc}); save the model again"
        ) from None


def _read_manifest(archive, path):
    if _MANIFEST not in archive.namelist():
        raise ModelFileError(
            f"{path} is not a sklearn-audio model file (a zip archive without "
            f"sklearn-audio's {_MANIFEST})"
        )
    try:
        manifest = json.loads(_read_member(archive, path, _MANIFEST, _MAX_MANIFEST_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is not a sklearn-audio model file (its {_MANIFEST} is another program's)"
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} is damaged: format_version {version!r} is not valid")
    if version > FORMAT_VERSION:
        written_by = (manifest.get("versions") or {}).get("sklearn_audio", "a newer version")
        raise ModelFileError(
            f"{path} was written by a newer sklearn-audio ({written_by}, format version "
            f"{version}; this one reads up to {FORMAT_VERSION}): upgrade sklearn-audio to "
            "read it"
        )
    networks = manifest.get("networks")
    if not isinstance(networks, list) or not all(
        isinstance(n, dict) and isinstance(n.get("member"), str)
        and n["member"].startswith(_NETWORKS) for n in networks
    ):  # fmt: skip
        raise ModelFileError(f"{path} is damaged: its manifest's network list is not valid")
    return manifest


def read_metadata(path):
    """The manifest of a model file: versions, creation time, user metadata, networks.

    Reads only the manifest: no estimator is loaded, nothing is imported.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.

    Returns
    -------
    manifest : dict
        ``"format"``, ``"format_version"``, ``"created"`` (ISO 8601, UTC),
        ``"versions"`` (of sklearn_audio, scikit-learn, skops, keras, numpy
        and python that wrote the file), ``"estimator"``, ``"networks"`` and
        ``"metadata"`` (the dict given to :func:`save_model`).

    Raises
    ------
    ModelFileError
        If ``path`` is not a model file of this format, is damaged, or was
        written by a newer format version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_audio.persistence import read_metadata, save_model
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "scaler.skaudio"
    >>> manifest = read_metadata(save_model(StandardScaler(), path, metadata={"run": 3}))
    >>> manifest["format"], manifest["metadata"], manifest["networks"]
    ('sklearn-audio model', {'run': 3}, [])
    """
    with _open_archive(path) as archive:
        return _read_manifest(archive, path)


def _load_networks(archive, path, manifest, scratch):
    """member name -> network, each read by Keras in safe mode."""
    if not manifest["networks"]:
        return {}
    import keras

    # Registers sklearn-audio's layers (input normalisation, SpecAugment) by name.
    import sklearn_audio.models  # noqa: F401

    networks = {}
    for entry in manifest["networks"]:
        member = entry["member"]
        network_file = Path(scratch) / "network.keras"
        network_file.write_bytes(_read_member(archive, path, member))
        try:
            networks[member] = keras.saving.load_model(network_file, compile=True, safe_mode=True)
        except Exception as exc:  # Keras raises ValueError, TypeError, KeyError...
            raise ModelFileError(
                f"{path}: Keras could not load its network {member} in safe mode "
                f"({type(exc).__name__}: {exc})"
            ) from None
        finally:
            network_file.unlink()
    return networks


def _untrusted(estimator_bytes, path, trusted):
    import skops.io

    try:
        found = skops.io.get_untrusted_types(data=estimator_bytes)
    except Exception as exc:  # a damaged schema: json, KeyError, zip errors...
        raise ModelFileError(
            f"{path} is damaged: its {_ESTIMATOR} cannot be read ({type(exc).__name__}: {exc})"
        ) from None
    return [name for name in found if name not in trusted]


def _load(path, trusted=None, *, trust_all=False):
    """``(estimator, manifest)`` of the model file at ``path``."""
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    path = Path(path)
    if trusted is None:
        trusted = []
    elif isinstance(trusted, (str, type)):
        trusted = [trusted]
    if not all(isinstance(t, (str, type)) for t in trusted):
        raise TypeError(
            f"trusted must be a list of type names (str) or types, got {trusted!r}"
        )
    trusted = set(TRUSTED_TYPES) | _sklearn_types() | {
        t if isinstance(t, str) else f"{t.__module__}.{t.__qualname__}" for t in trusted
    }
    with _open_archive(path) as archive:
        manifest = _read_manifest(archive, path)
        estimator_bytes = _read_member(archive, path, _ESTIMATOR)
        # The types are checked before any network or estimator is built.
        untrusted = _untrusted(estimator_bytes, path, trusted)
        if untrusted and trust_all:
            trusted |= set(untrusted)
        elif untrusted:
            raise UntrustedTypesError(
                f"{path} holds types that are not trusted: {', '.join(untrusted)}. Loading "
                "them could run code; if you trust this file, pass them as "
                "load_model(path, trusted=[...])",
                untrusted,
            )
        with tempfile.TemporaryDirectory() as scratch:
            networks = _load_networks(archive, path, manifest, scratch)
    table = _LoadedNetworks(path, networks)
    with _network_table(table):
        try:
            estimator = skops.io.loads(estimator_bytes, trusted=sorted(trusted))
        except UntrustedTypesFoundException as exc:  # a second line of defence
            raise UntrustedTypesError(f"{path}: {exc}", []) from None
        except ModelFileError:
            raise
        except Exception as exc:
            raise ModelFileError(
                f"{path} is damaged: its {_ESTIMATOR} cannot be loaded "
                f"({type(exc).__name__}: {exc})"
            ) from None
    unused = sorted(set(networks) - table.used)
    if unused:
        raise ModelFileError(
            f"{path} is damaged: no estimator uses its network(s) {', '.join(unused)}"
        )
    return estimator, manifest


def load_model(path, *, trusted=None):
    """Read an estimator written by :func:`save_model`; loading runs no code.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.
    trusted : list of str or type, default=None
        Types to trust besides :data:`TRUSTED_TYPES` (sklearn-audio's
        estimators), those skops trusts (scikit-learn's estimators, NumPy
        and builtin types) and scikit-learn's cross-validation splitters:
        e.g. your own transformer in a pipeline, by its full name
        ``"mymodule.MyTransformer"`` or as the class. Trust only types whose
        loading you know to be harmless.

    Returns
    -------
    estimator : estimator instance
        As saved: fitted Keras classifiers get their networks back,
        predicting exactly as before saving.

    Raises
    ------
    UntrustedTypesError
        If the file holds other types; its ``types`` lists them.
    ModelFileError
        If ``path`` is not a model file of this format (a pickle or joblib
        file included), is truncated or damaged, or was written by a newer
        format version. The message names the file.

    See Also
    --------
    save_model : Write the file.
    read_metadata : The file's manifest, without loading the estimator.

    Notes
    -----
    The estimator is rebuilt by :func:`skops.io.loads`, which creates only
    the trusted types and sets their attributes, and each network by
    ``keras.saving.load_model(..., safe_mode=True)``, which refuses Python
    code in a network (``Lambda`` layers). Pickle is never used.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_audio.persistence import load_model, save_model
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "scaler.skaudio"
    >>> scaler = StandardScaler().fit([[0.0], [2.0]])
    >>> load_model(save_model(scaler, path)).transform([[4.0]])
    array([[3.]])
    """
    return _load(path, trusted)[0]
