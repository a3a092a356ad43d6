"""Where ``predict`` writes its rows, and in which format: streamed, one row at a time.

Rows are written as they come, so thousands of files or a timeline of an
hour never sit in memory as a whole. ``--output FILE`` goes through
:func:`sklearn_audio._atomic.atomic_path`: the file appears, complete, only
when every row is written; a failure or a kill half-way leaves the previous
file (or none).
"""

import contextlib
import csv
import json
import sys

from .._atomic import atomic_path

FORMATS = ("text", "csv", "jsonl", "json")


def _number(value):
    return round(float(value), 6)


class _RowWriter:
    """Writes prediction rows: ``file``, optionally ``start`` and ``end``, ``label``, probabilities.

    ``classes`` fixes the order of the probability columns (CSV, text).
    """

    def __init__(self, stream, fmt, classes, *, windowed):
        self.stream = stream
        self.fmt = fmt
        self.classes = [str(c) for c in classes]
        self.windowed = windowed
        self.n_rows = 0
        if fmt == "csv":
            self._csv = csv.writer(stream, lineterminator="\n")
            times = ["start", "end"] if windowed else []
            self._csv.writerow(["file", *times, "label", *(f"p_{c}" for c in self.classes)])
        elif fmt == "json":
            stream.write("[")

    def write(self, path, label, proba, start=None, end=None):
        proba = [_number(p) for p in proba]
        if self.fmt == "csv":
            times = [_number(start), _number(end)] if self.windowed else []
            self._csv.writerow([path, *times, label, *proba])
        elif self.fmt == "text":
            times = f"{start:.2f}-{end:.2f}\t" if self.windowed else ""
            probs = "  ".join(f"{c}={p:.3f}" for c, p in zip(self.classes, proba))
            self.stream.write(f"{path}\t{times}{label}\t{probs}\n")
        else:
            row = {"file": path}
            if self.windowed:
                row.update(start=_number(start), end=_number(end))
            row.update(label=label, probabilities=dict(zip(self.classes, proba)))
            text = json.dumps(row)
            if self.fmt == "jsonl":
                self.stream.write(text + "\n")
            else:
                self.stream.write(("\n  " if self.n_rows == 0 else ",\n  ") + text)
        self.n_rows += 1
        if self.stream is sys.stdout:
            # Rows show up as they are made, also through a pipe.
            self.stream.flush()

    def close(self):
        if self.fmt == "json":
            self.stream.write("\n]\n" if self.n_rows else "]\n")


@contextlib.contextmanager
def row_writer(fmt, classes, *, output=None, windowed=False):
    """A row writer on stdout, or on ``output`` written atomically.

    Parameters
    ----------
    fmt : {"text", "csv", "jsonl", "json"}
        ``text``: tab-separated ``file``, (``start-end``), ``label`` and
        ``class=probability`` pairs. ``csv``: a header, then one line per row,
        a ``p_<class>`` column per class. ``jsonl``: one JSON object per
        line. ``json``: one JSON list of those objects.
    classes : sequence
        The model's classes, the order of the probabilities.
    output : str or os.PathLike or None
        File to write; None writes to stdout.
    windowed : bool
        Rows carry ``start`` and ``end`` (seconds): a timeline.

    Yields
    ------
    writer : object with ``write(path, label, proba, start=None, end=None)``

    Examples
    --------
    >>> from sklearn_audio.cli._output import row_writer
    >>> with row_writer("csv", ["music", "speech"]) as rows:
    ...     rows.write("a.wav", "speech", [0.25, 0.75])
    file,label,p_music,p_speech
    a.wav,speech,0.25,0.75
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if output is None:
        writer = _RowWriter(sys.stdout, fmt, classes, windowed=windowed)
        yield writer
        writer.close()
        sys.stdout.flush()
        return
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        writer = _RowWriter(stream, fmt, classes, windowed=windowed)
        yield writer
        writer.close()
