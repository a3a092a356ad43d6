"""A per-sample store of transform outputs, shared across folds.

``CachedTransformer`` keys its ``joblib.Memory`` cache on a whole input, so
in a k-fold search every file is still extracted once per fold it appears
in (k - 1 training folds, one test fold) and again at the refit. Feature
extraction is row-wise: a clip's features depend on that clip and on the
fitted transformer, not on the other clips. So outputs are also kept row
by row, under the fitted transformer's hash and each row's key: a fold
whose transformer is fitted to the same state (always the case for our
stateless or ``output="stats"`` feature chains) reads the rows earlier
folds computed, and each file is extracted once for the whole search.

Each transform call that computes rows stores them as one batch: a
``.rows.npy`` array and a ``.keys.npy`` list of row keys, in a folder of the
``joblib.Memory`` location (so ``Memory.clear()`` removes them too). Both
are written atomically, the keys last, so parallel workers (``n_jobs=2`` or
several machines on one shared folder) can share them and a batch a killed
worker left half-written is simply not seen. Rows are never pruned
(``Memory.reduce_size`` does not see them): clear the folder to reclaim the
space.

An output whose layout depends on the batch (``AudioLoader`` stacks clips of
equal length into a 2-D array, else returns a ragged object array) is still
correct: stored rows are combined with computed ones only when they share
one shape and dtype, otherwise the whole input is transformed at once.
"""

import hashlib
import os
import uuid

import joblib
import numpy as np

__all__ = ["RowStore"]

_FOLDER = os.path.join("joblib", "sklearn_audio", "rows")
_KEYS, _ROWS = ".keys.npy", ".rows.npy"


def _row_key(row):
    """A hex digest naming one input row: a path by its name, an array by its bytes."""
    digest = hashlib.blake2b(digest_size=16)
    if isinstance(row, (str, os.PathLike)):
        # Absolute: the same relative path from another working directory is another file.
        digest.update(b"path:" + os.fsencode(os.path.abspath(row)))
    elif isinstance(row, np.ndarray) and row.dtype != object:
        row = np.ascontiguousarray(row)
        digest.update(f"array:{row.dtype.str}:{row.shape}:".encode())
        digest.update(row.data)
    else:  # ragged rows, numbers, anything else joblib can hash
        digest.update(b"other:" + joblib.hash(row).encode())
    return digest.hexdigest()


def _same_layout(rows):
    """Whether the rows share one shape and dtype, so that stacking them is lossless."""
    first = rows[0]
    return all(row.shape == first.shape and row.dtype == first.dtype for row in rows)


def _take(X, indices):
    if isinstance(X, np.ndarray):
        return X[indices]
    return [X[i] for i in indices]


class RowStore:
    """Rows of transform outputs on disk, per fitted transformer.

    Parameters
    ----------
    location : str
        The ``joblib.Memory`` location the rows live under.
    """

    def __init__(self, location):
        self.location = os.fspath(location)

    @staticmethod
    def accepts(X):
        """Whether ``X`` can be split into keyed rows (lists and ndarrays can)."""
        return isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.ndim >= 1)

    def transform(self, transformer, X):
        """``transformer.transform(X)``, computing only the rows not stored yet.

        The rows missing from the store are transformed in one call (batched
        extraction stays batched) and stored when the output is a numeric
        ndarray; any other output (sparse, object arrays) is returned as is
        and not stored.
        """
        folder = os.path.join(self.location, _FOLDER, joblib.hash(transformer))
        keys = [_row_key(row) for row in X]
        if not keys:  # the transformer's own verdict on an empty input
            return transformer.transform(X)
        found = self._load(folder, keys)
        missing = [i for i in range(len(keys)) if i not in found]
        if not missing:
            rows = [found[i] for i in range(len(keys))]
            if _same_layout(rows):
                return np.stack(rows)
            # Rows of several shapes: the transformer decides how to return them
            # (AudioLoader gives a ragged object array).
            return transformer.transform(X)
        computed = transformer.transform(_take(X, missing) if found else X)
        storable = (
            isinstance(computed, np.ndarray)
            and computed.dtype != object
            and len(computed) == len(missing)
        )
        if storable:
            self._save(folder, [keys[i] for i in missing], computed)
        if not found:
            return computed
        hits = sorted(found)
        stored = [found[i] for i in hits]
        if not (storable and _same_layout(stored + [computed[0]])):
            # The output's layout depends on the batch (AudioLoader stacks equal
            # lengths, else returns a ragged array): stored and computed rows
            # cannot be joined, so the whole input is transformed at once.
            return transformer.transform(X)
        out = np.empty((len(keys),) + computed.shape[1:], dtype=computed.dtype)
        out[missing] = computed
        out[hits] = np.stack(stored)
        return out

    @staticmethod
    def _load(folder, keys):
        """The stored rows of ``keys``, by position in ``keys``."""
        try:
            batches = sorted(name for name in os.listdir(folder) if name.endswith(_KEYS))
        except FileNotFoundError:
            return {}
        wanted = {}
        for i, key in enumerate(keys):
            wanted.setdefault(key, []).append(i)
        found = {}
        for name in batches:
            if not wanted:
                break
            batch = os.path.join(folder, name[: -len(_KEYS)])
            try:
                batch_keys = np.load(batch + _KEYS, allow_pickle=False)
                rows = np.load(batch + _ROWS, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError, EOFError):
                continue  # damaged by hand or by a full disk: those rows are computed again
            if len(rows) != len(batch_keys):
                continue
            for j, key in enumerate(batch_keys.tolist()):
                for i in wanted.pop(key, ()):
                    found[i] = np.array(rows[j])
        return found

    @staticmethod
    def _save(folder, keys, rows):
        os.makedirs(folder, exist_ok=True)
        batch = os.path.join(folder, uuid.uuid4().hex)
        # Rows first, keys last, each written beside its final name and then
        # renamed: readers list the keys, so they never see a partial batch.
        for suffix, array in ((_ROWS, rows), (_KEYS, np.array(keys))):
            partial = f"{batch}{suffix}.tmp"
            with open(partial, "wb") as file:
                np.save(file, array, allow_pickle=False)
            os.replace(partial, batch + suffix)
