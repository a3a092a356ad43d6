"""The documentation builds with warnings as errors, and its examples run as doctests."""

import subprocess
import sys

import pytest

from conftest import REPO_ROOT


@pytest.mark.slow
def test_sphinx_build_has_no_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(REPO_ROOT / "docs"), str(tmp_path / "html")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "html" / "api.html").is_file()
    assert (tmp_path / "html" / "generated" / "sklearn_audio.MFCCTransformer.html").is_file()
