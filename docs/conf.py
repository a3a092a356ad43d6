"""Sphinx configuration for the sklearn-audio documentation."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_audio  # noqa: E402

project = "sklearn-audio"
author = "sklearn-audio developers"
copyright = "2026, sklearn-audio developers"
release = sklearn_audio.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
]

autosummary_generate = True
# scikit-learn generates set_*_request methods per class; their docstrings point into
# scikit-learn's own glossary, which this site does not have.
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": ",".join(
        f"set_{method}_request"
        for method in ("fit", "score", "predict", "predict_proba", "transform", "partial_fit")
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "pydata_sphinx_theme"
html_title = "sklearn-audio"
# No network in CI: intersphinx inventories are not fetched, references stay plain text.
intersphinx_mapping = {}
nitpicky = False
