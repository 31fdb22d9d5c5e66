"""torch.save is atomic: a temporary file in the same folder, fsync, rename."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import luatorch
from luatorch.runtime import LuaError
from luatorch.serialization import fileio


def _old(tmp_path, srt) -> str:
    p = str(tmp_path / "model.t7")
    srt.execute(f"torch.save('{p}', {{version = 'old'}})")
    return p


def _leftovers(tmp_path) -> list:
    return [f for f in os.listdir(tmp_path) if ".tmp" in f]


def test_failure_in_object_keeps_previous_file(srt, tmp_path):
    p = _old(tmp_path, srt)
    before = open(p, "rb").read()
    with pytest.raises(LuaError, match="Unwritable object <thread>"):
        srt.execute(f"torch.save('{p}', {{big = torch.randn(100000), "
                    "co = coroutine.create(print)})")
    assert open(p, "rb").read() == before
    assert _leftovers(tmp_path) == []
    assert srt.eval(f"torch.load('{p}').version") == "old"


def test_io_failure_mid_write_keeps_previous_file(srt, tmp_path, monkeypatch):
    p = _old(tmp_path, srt)
    before = open(p, "rb").read()
    real = fileio.DiskBackend._raw_write
    written = {"n": 0}

    def failing(self, mv):
        written["n"] += len(mv)
        if written["n"] > 100_000:
            raise OSError(28, "No space left on device")
        return real(self, mv)

    monkeypatch.setattr(fileio.DiskBackend, "_raw_write", failing)
    with pytest.raises(LuaError, match="No space left on device"):
        srt.execute(f"torch.save('{p}', torch.randn(200000))")
    monkeypatch.undo()
    assert open(p, "rb").read() == before
    assert _leftovers(tmp_path) == []


def test_crash_mid_write_keeps_previous_file(srt, tmp_path):
    """The process dies half way through: the old file is still whole."""
    p = _old(tmp_path, srt)
    before = open(p, "rb").read()
    code = f"""
import os
from luatorch.serialization import fileio
from luatorch.runtime import Runtime
real = fileio.DiskBackend._raw_write
def dying(self, mv):
    real(self, mv[: len(mv) // 2])
    os._exit(3)
fileio.DiskBackend._raw_write = dying
Runtime().execute("torch.save('{p}', torch.randn(300000))")
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=os.getcwd(), timeout=120)
    assert r.returncode == 3
    assert open(p, "rb").read() == before


def test_success_replaces_and_keeps_mode(srt, tmp_path):
    p = _old(tmp_path, srt)
    os.chmod(p, 0o640)
    srt.execute(f"torch.save('{p}', {{version = 'new'}})")
    assert srt.eval(f"torch.load('{p}').version") == "new"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_save_through_symlink(srt, tmp_path):
    target = _old(tmp_path, srt)
    link = str(tmp_path / "link.t7")
    os.symlink(target, link)
    srt.execute(f"torch.save('{link}', {{version = 'via link'}})")
    assert os.path.islink(link)
    assert srt.eval(f"torch.load('{target}').version") == "via link"


def test_python_api_save_is_atomic(tmp_path):
    p = str(tmp_path / "data.t7")
    luatorch.save(p, {"a": np.arange(3.0)})
    before = open(p, "rb").read()
    with pytest.raises(Exception, match="cannot serialize a Python set"):
        luatorch.save(p, {"a": np.zeros(100000), "z": {1, 2}})
    assert open(p, "rb").read() == before
    assert _leftovers(tmp_path) == []


def test_save_to_missing_folder(srt, tmp_path):
    p = str(tmp_path / "no" / "such" / "x.t7")
    with pytest.raises(LuaError, match=r"cannot open <.*x\.t7> in mode  w"):
        srt.execute(f"torch.save('{p}', 1)")
