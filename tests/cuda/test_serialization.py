"""CUDA tensors in .t7 files: Torch7's records, loaded on the current GPU or on the CPU."""

from __future__ import annotations

import numpy as np

from luatorch.runtime import Runtime
from luatorch.serialization import load_python
from tests.conftest import arr


def test_save_writes_torch7_cuda_records(crt, tmp_path):
    path = str(tmp_path / "c.t7")
    crt.execute(f"torch.save('{path}', {{torch.CudaTensor{{1, 2}}, torch.CudaLongTensor{{3}}, "
                "torch.CudaDoubleTensor{4}})")
    data = open(path, "rb").read()
    for name in [b"torch.CudaTensor", b"torch.CudaStorage", b"torch.CudaLongTensor",
                 b"torch.CudaLongStorage", b"torch.CudaDoubleTensor"]:
        assert name in data
    assert b"torch.FloatTensor" not in data


def test_load_goes_to_the_current_gpu_keeping_shared_storage(crt, tmp_path):
    path = str(tmp_path / "c.t7")
    crt.execute(f"""
       x = torch.CudaTensor{{{{1, 2}}, {{3, 4}}}}
       torch.save('{path}', {{x, x[2], torch.CudaLongTensor{{5}}}})
       cutorch.setDevice(2)
       y = torch.load('{path}')
       y[2]:fill(9)
    """)
    assert crt.eval("torch.type(y[1])") == "torch.CudaTensor"
    assert crt.eval("torch.type(y[3])") == "torch.CudaLongTensor"
    assert crt.eval("y[1]:getDevice()") == 2
    np.testing.assert_array_equal(arr(crt, "y[1]:float()"), [[1, 2], [9, 9]])


def test_cuda_model_round_trip(crt, tmp_path):
    path = str(tmp_path / "m.t7")
    crt.require("cunn")
    crt.execute(f"""
       torch.manualSeed(2)
       m = nn.Sequential():add(nn.Linear(4, 3)):add(nn.Tanh()):cuda()
       torch.save('{path}', m)
       m2 = torch.load('{path}')
       x = torch.CudaTensor(2, 4):uniform()
    """)
    assert crt.eval("torch.type(m2:get(1).weight)") == "torch.CudaTensor"
    np.testing.assert_allclose(arr(crt, "m2:forward(x):float()"), arr(crt, "m:forward(x):float()"))


def test_load_on_a_cpu_only_runtime(tmp_path, monkeypatch):
    monkeypatch.delenv("LUATORCH_VIRTUAL_GPUS", raising=False)
    path = str(tmp_path / "c.t7")
    r = Runtime(virtual_gpus=1)
    r.require("cutorch")
    r.execute(f"torch.save('{path}', torch.CudaTensor{{1.5, 2}})")
    plain = Runtime()
    assert plain.eval(f"torch.type(torch.load('{path}'))") == "torch.FloatTensor"
    assert plain.eval("(pcall(require, 'cutorch'))") is False   # no GPU: no cutorch, as Torch7
    np.testing.assert_array_equal(np.asarray(load_python(path)), [1.5, 2])


def test_cuda_types_have_factories_and_storage_read_write(crt):
    crt.execute("""
       t = torch.factory('torch.CudaTensor')()
       f = torch.MemoryFile()
       torch.CudaStorage(3):fill(4):write(f)
       f:seek(1)
       s = torch.CudaStorage()
       s:read(f)
    """)
    assert crt.eval("torch.type(t)") == "torch.CudaTensor"
    assert crt.eval("torch.type(s)") == "torch.CudaStorage"
    assert crt.eval("s:getDevice()") == 1
    assert crt.eval("s:size()") == 3 and crt.eval("s[2]") == 4
