"""Figure creation without pyplot, and ``save_figure``.

Figures are created as plain :class:`matplotlib.figure.Figure` objects, never
through pyplot: nothing depends on a GUI backend or a display, pyplot's global
figure registry does not keep them alive, and saving renders with Agg. In a
notebook, show one by leaving ``display.figure_`` as the last expression.
"""

import os
from pathlib import Path

import numpy as np

from .._atomic import atomic_path

__all__ = ["new_figure", "save_figure"]


def new_figure(ncols=1, *, figsize=None):
    """A new pyplot-free Figure with ``ncols`` axes side by side; returns (figure, axes)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    axes = figure.subplots(1, ncols, squeeze=False)[0]
    return figure, axes


def save_figure(figure, path, *, dpi=150, **savefig_kw):
    """Save a figure, or the figure of a display or axes, to an image file.

    Headless: rendering uses matplotlib's Agg machinery, no display or GUI
    backend is needed. Missing parent folders are created. The file is written
    atomically: a temporary file in the same folder renamed into place, so a
    crash or a kill leaves the previous file or the new one, never a part.

    Parameters
    ----------
    figure : matplotlib Figure, Axes, or display object
        A display is anything with a ``figure_`` attribute, such as
        :class:`ConfusionMatrixDisplay` or :class:`TrainingHistoryDisplay`.

    path : str or os.PathLike
        Output file. Its suffix picks the format (``.png``, ``.svg``,
        ``.pdf``...); without one, PNG is written and ``.png`` appended.

    dpi : float, default=150
        Resolution of raster formats.

    **savefig_kw : dict
        Passed to :meth:`matplotlib.figure.Figure.savefig`.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_audio.metrics import ConfusionMatrixDisplay, save_figure
    >>> display = ConfusionMatrixDisplay.from_predictions(["a", "b", "b"], ["a", "b", "a"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_figure(display, os.path.join(folder, "confusion"))
    ...     print(path.name, path.stat().st_size > 0)
    confusion.png True
    """
    figure = getattr(figure, "figure_", figure)
    # Climb from an Axes (or a sub-figure) to the top-level figure.
    while not hasattr(figure, "savefig") and hasattr(figure, "figure"):
        figure = figure.figure
    if not hasattr(figure, "savefig"):
        raise TypeError(
            f"Expected a matplotlib Figure, Axes or display, got {type(figure).__name__}."
        )
    path = Path(os.fspath(path))
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    savefig_kw.setdefault("bbox_inches", "tight")
    # A temporary file renamed into place: a kill mid-render never leaves half an image.
    # The temporary keeps the suffix, and the format is named too, as savefig picks by it.
    savefig_kw.setdefault("format", path.suffix[1:].lower())
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=dpi, **savefig_kw)
    return path


def as_axes_array(ax, n, what):
    """Validate that ``ax`` holds ``n`` matplotlib axes; return them as an array."""
    axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
    if len(axes) != n:
        raise ValueError(f"{what} draws {n} panels; ax must hold {n} axes, got {len(axes)}.")
    return axes
