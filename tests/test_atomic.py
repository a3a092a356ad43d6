"""Atomic writes: the destination is the old file or the new one, never a part."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from sklearn_audio._atomic import atomic_path, atomic_write_bytes, atomic_write_text


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half of the new")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_temporary_keeps_the_suffix_and_lives_in_the_same_folder(tmp_path):
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".png"
        assert tmp.name.startswith(".plot.png.")
        tmp.write_bytes(b"png")
    assert (tmp_path / "plot.png").read_bytes() == b"png"


def test_leftover_of_a_killed_write_is_removed_by_the_next_one(tmp_path):
    leftover = tmp_path / ".report.json.abc123.tmp.json"
    leftover.write_text("{")
    unrelated = tmp_path / ".other.json.abc123.tmp.json"
    unrelated.write_text("{")
    atomic_write_text(tmp_path / "report.json", "{}")
    assert not leftover.exists()
    assert unrelated.exists()


def test_kill_during_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "model.bin"
    atomic_write_bytes(target, b"good model")
    script = textwrap.dedent(
        f"""
        import sys, time
        from sklearn_audio._atomic import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"partial")
                f.flush()
                print("writing", flush=True)
                time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert target.read_bytes() == b"good model"


def test_new_files_get_the_umask_mode_and_existing_ones_keep_theirs(tmp_path):
    previous = os.umask(0o022)
    try:
        fresh = tmp_path / "model.skaudio"
        atomic_write_bytes(fresh, b"new")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "shared.json"
        kept.write_text("old")
        kept.chmod(0o664)
        atomic_write_text(kept, "new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o664
    finally:
        os.umask(previous)
