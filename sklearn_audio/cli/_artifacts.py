"""The set of files ``train`` (and ``demo --out-dir``) writes: replaced as a whole, or not at all.

A set is the model file (e.g. ``<stem>.skaudio``), ``<stem>.report.json`` and the
plots ``<stem>.<plot>.png``. Each file is written atomically
(:mod:`sklearn_audio._atomic`), but renaming several files is not one atomic
step, so the set is replaced in three phases:

1. every new file is written, complete, under a hidden staging name in the
   destination folder; a kill here leaves the previous set untouched (the
   staged leftovers are removed by the next write);
2. a commit record ``.<stem>.commit.json`` listing the renames (and the
   previous set's files the new one lacks) is written atomically: this one
   rename is the moment the new set replaces the old;
3. the renames are made, the model file last, and the record removed.

A kill during phase 3 leaves the record behind; :func:`finish_interrupted`,
which ``train``, ``evaluate``, ``predict`` and ``export`` call before they
touch a model file, completes the renames (only ``train`` itself removes
staged files never committed: they may be those of a ``train`` still
running). So every command sees either the
previous set or the new one. ``report.json`` names the model file's SHA-256,
size and creation time, so a mismatch made by hand is detectable too
(:func:`check_set`).

``SKLEARN_AUDIO_TEST_WRITE_PAUSE`` (seconds, tests only) pauses before each
step and prints ``test-hook: <step>`` on stderr, so a test can kill a real
``train`` between any two steps.
"""

import hashlib
import json
import os
import sys
import time
import uuid
from pathlib import Path

from .._atomic import atomic_write_text

_PAUSE_ENV = "SKLEARN_AUDIO_TEST_WRITE_PAUSE"


def _test_hook(step):
    """Test-only pause between steps; does nothing unless the variable is set."""
    pause = os.environ.get(_PAUSE_ENV)
    if pause:
        print(f"test-hook: {step}", file=sys.stderr, flush=True)
        time.sleep(float(pause))


def _commit_record(model_path):
    return model_path.with_name(f".{model_path.stem}.commit.json")


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; renames are durable there anyway
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


#: The plots a set may hold, ``<stem>.<name>.png``.
PLOTS = ("confusion_matrix", "roc", "history")


def _set_members(model_path):
    """The files of the set now in the folder: the model, its report and its plots."""
    stem = model_path.stem
    names = [model_path.name, f"{stem}.report.json", *(f"{stem}.{p}.png" for p in PLOTS)]
    return [model_path.with_name(n) for n in names if model_path.with_name(n).is_file()]


def _apply(record_path):
    record = json.loads(record_path.read_text(encoding="utf-8"))
    folder = record_path.parent
    for name in record["remove"]:
        (folder / name).unlink(missing_ok=True)
    for staged, final in record["renames"]:
        if _PAUSE_ENV in os.environ:
            _test_hook(f"rename {final}")
        if (folder / staged).exists():  # not yet renamed before an interruption
            os.replace(folder / staged, folder / final)
    _fsync_folder(folder)
    record_path.unlink()
    _fsync_folder(folder)


def finish_interrupted(model_path, *, remove_staged=False):
    """Complete a replacement of the set of ``model_path`` that a kill interrupted.

    Returns True when there was one to complete. With ``remove_staged``
    (only for the writer of a new set, before it stages its own files),
    staged files never committed (a kill before the commit) are removed too.
    Readers (``predict``, ``evaluate``, ``export``) leave them alone: they
    may belong to a ``train`` still writing its set.
    """
    model_path = Path(model_path)
    if not model_path.parent.is_dir():
        return False
    record = _commit_record(model_path)
    finished = False
    if record.is_file():
        _apply(record)
        finished = True
    if remove_staged:
        # Staged files, and the temporaries of staged files killed while being written.
        for pattern in (f".{model_path.stem}.*.staged*", f"..{model_path.stem}.*.staged*"):
            for stale in model_path.parent.glob(pattern):
                stale.unlink(missing_ok=True)
    return finished


class StagedSet:
    """The new files of a set, written under staging names until :meth:`commit`.

    Parameters
    ----------
    model_path : pathlib.Path
        The model file; the other files go beside it, named after its stem.
    """

    def __init__(self, model_path):
        self.model_path = Path(model_path)
        self.folder = self.model_path.parent
        self.stem = self.model_path.stem
        self._token = uuid.uuid4().hex[:8]
        self._staged = {}  # final name -> staged path
        self._committed = False

    def path_for(self, final_name):
        """The staging path of ``final_name`` (it keeps the suffix: writers choose by it)."""
        suffix = Path(final_name).suffix
        staged = self.folder / f".{self.stem}.{self._token}.{final_name}.staged{suffix}"
        self._staged[final_name] = staged
        return staged

    def step(self, name):
        _test_hook(name)

    def commit(self):
        """Replace the previous set by the staged files (see the module doc); return the paths."""
        finals = sorted(self._staged, key=lambda name: name == self.model_path.name)
        renames = [[self._staged[name].name, name] for name in finals]
        remove = [p.name for p in _set_members(self.model_path) if p.name not in self._staged]
        record = _commit_record(self.model_path)
        missing = [name for name, path in self._staged.items() if not path.is_file()]
        if missing:
            # Removed by someone else: committing would pair the new report with the old model.
            raise RuntimeError(
                f"staged files of {self.model_path} disappeared before the commit "
                f"({', '.join(missing)}); the previous set is kept"
            )
        _test_hook("commit")
        atomic_write_text(record, json.dumps({"renames": renames, "remove": remove}))
        # From here on the new set is the one: an interruption is completed, not undone.
        self._committed = True
        _apply(record)
        return [self.folder / name for name in finals]

    def discard(self):
        """Remove the staged files of a set that was not committed."""
        if self._committed:
            return
        for staged in self._staged.values():
            staged.unlink(missing_ok=True)


def check_set(model_path):
    """Problems with the set of ``model_path``: an empty list when it is consistent.

    The report must name the model file now in place (same SHA-256) and every
    plot it lists must exist.
    """
    model_path = Path(model_path)
    report_path = model_path.with_name(f"{model_path.stem}.report.json")
    if not model_path.is_file():
        return [f"{model_path} is missing"]
    if not report_path.is_file():
        return [f"{report_path} is missing"]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    problems = []
    model_file = report.get("model_file", {})
    if model_file.get("sha256") != sha256_of(model_path):
        problems.append(f"{report_path.name} describes another model than {model_path.name}")
    for name in report.get("plots", []):
        if not (model_path.parent / name).is_file():
            problems.append(f"{name} is missing")
    return problems
