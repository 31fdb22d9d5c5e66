"""A runtime with cutorch on two virtual GPUs, reset to device 1 before every test."""

from __future__ import annotations

import pytest

from luatorch import backend
from luatorch.runtime import Runtime


@pytest.fixture(scope="module")
def crt() -> Runtime:
    """One runtime per module, with `require 'cutorch'` done, on 2 virtual GPUs."""
    r = Runtime(virtual_gpus=2)
    r.require("cutorch")
    return r


@pytest.fixture(autouse=True)
def _two_gpus(request):
    """Runtimes made by other tests share the process's GPU registry: restore ours."""
    if "crt" in request.fixturenames:
        backend.configure_gpus(2)
    yield
