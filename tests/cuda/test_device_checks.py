"""Where the door checks devices: virtual GPUs, or a machine that may use real ones."""

from __future__ import annotations

import pytest

from luatorch import backend, bridge
from luatorch.runtime import LuaError, Runtime


def _unchecked(door: dict) -> bool:
    raw = bridge.build_door(check_devices=False)
    assert "t_fill" in raw
    return all(door[k] is raw[k] for k in raw)


def test_no_gpu_no_cupy_driver_means_no_checks(monkeypatch):
    monkeypatch.delenv("LUATORCH_DEVICE_CHECKS", raising=False)
    monkeypatch.setattr(backend, "_DRIVER_NODES", ("/nonexistent/nvidiactl",))
    assert backend.real_gpus_possible() is False
    assert _unchecked(Runtime(virtual_gpus=0).door)


def test_the_environment_decides_when_set(monkeypatch):
    monkeypatch.setenv("LUATORCH_DEVICE_CHECKS", "1")
    assert backend.real_gpus_possible() is True
    assert not _unchecked(Runtime(virtual_gpus=0).door)
    monkeypatch.setenv("LUATORCH_DEVICE_CHECKS", "0")
    assert backend.real_gpus_possible() is False


def test_virtual_gpus_always_check(monkeypatch):
    monkeypatch.setenv("LUATORCH_DEVICE_CHECKS", "0")
    r = Runtime(virtual_gpus=1)
    assert not _unchecked(r.door)
    r.require("cunn")
    with pytest.raises(LuaError, match="one device"):
        r.execute("nn.Linear(3, 2):cuda():forward(torch.FloatTensor(3):fill(1))")
