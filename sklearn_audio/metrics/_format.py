"""Presenting results: plain-text tables and JSON-safe values."""

import math

import numpy as np

__all__ = ["format_table", "format_number", "to_builtin", "nan_from_none"]


def format_number(value, digits=3):
    """A number for a text table: fixed decimals, integers as such, "-" for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{value:.{digits}f}"


def format_table(header, rows):
    """Align ``rows`` (lists of str) under ``header``: first column left, others right."""
    table = [list(header)] + [list(row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def to_builtin(value):
    """Convert numpy values (recursively) to JSON-safe Python ones; NaN becomes None.

    JSON has no NaN, and ``json.dumps`` would otherwise write the invalid token
    ``NaN``; None round-trips as ``null``.
    """
    if isinstance(value, dict):
        return {str(key): to_builtin(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_builtin(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def nan_from_none(values):
    """Inverse of :func:`to_builtin` for a list of floats: None becomes NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
