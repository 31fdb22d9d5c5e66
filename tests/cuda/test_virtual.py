"""Virtual GPUs: the registry, and the three ways to turn them on."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from luatorch import backend
from luatorch.backend.virtual import VirtualDevice
from luatorch.runtime import Runtime


def test_runtime_virtual_gpus_make_tagged_numpy_devices():
    Runtime(virtual_gpus=3)
    devs = backend.gpu_devices()
    assert [d.name for d in devs] == ["cuda:0", "cuda:1", "cuda:2"]
    assert [d.index for d in devs] == [0, 1, 2]
    assert all(isinstance(d, VirtualDevice) and d.xp is np for d in devs)
    assert backend.current_gpu() is devs[0]


def test_runtime_without_virtual_gpus_has_none_here(monkeypatch):
    monkeypatch.delenv("LUATORCH_VIRTUAL_GPUS", raising=False)
    Runtime(virtual_gpus=2)
    Runtime()
    assert backend.gpus.virtual == 0
    if importlib.util.find_spec("cupy") is None:   # no CuPy: no real GPU either
        assert backend.gpu_devices() == [] and backend.current_gpu() is None


def test_env_variable_turns_them_on(monkeypatch):
    monkeypatch.setenv("LUATORCH_VIRTUAL_GPUS", "2")
    rt = Runtime()
    assert rt.virtual_gpus == 2
    assert len(backend.gpu_devices()) == 2


def test_bad_env_variable_is_refused(monkeypatch):
    monkeypatch.setenv("LUATORCH_VIRTUAL_GPUS", "two")
    with pytest.raises(ValueError, match="LUATORCH_VIRTUAL_GPUS"):
        Runtime()


def test_cli_option():
    out = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", "--virtual-gpus", "4",
                          "-e", "require 'cutorch' print(cutorch.getDeviceCount())"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4"
