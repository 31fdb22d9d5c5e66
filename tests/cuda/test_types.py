"""cutorch's tensor types on virtual GPUs: construction, the tensor API, conversions, copies."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime
from tests.conftest import arr

CUDA = ["Cuda", "CudaDouble", "CudaByte", "CudaChar", "CudaShort", "CudaInt", "CudaLong",
        "CudaHalf"]
DTYPES = [np.float32, np.float64, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16]


@pytest.mark.parametrize("tname,dtype", list(zip(CUDA, DTYPES)))
def test_every_cuda_type_lives_on_the_current_gpu(crt, tname, dtype):
    crt.execute(f"x = torch.{tname}Tensor(2, 3):fill(7)")
    assert crt.eval("torch.type(x)") == f"torch.{tname}Tensor"
    assert crt.eval("x:getDevice()") == 1
    h = crt.eval("torch._handle(x)")
    assert h.storage.device.name == "cuda:0" and h.dtype == dtype
    assert crt.eval("x:sum()") == 42
    assert crt.eval("torch.type(x:storage())") == f"torch.{tname}Storage"
    assert crt.eval("x:storage():getDevice()") == 1


def test_set_device_decides_where_new_tensors_go(crt):
    crt.execute("cutorch.setDevice(2) x = torch.CudaTensor(3) y = torch.CudaTensor{1, 2} "
                "cutorch.setDevice(1) z = torch.CudaTensor(1)")
    assert crt.eval("x:getDevice()") == 2
    assert crt.eval("y:getDevice()") == 2
    assert crt.eval("z:getDevice()") == 1


def test_printing_names_the_gpu(crt):
    crt.execute("cutorch.setDevice(2) x = torch.CudaTensor{{1, 2, 3}, {4, 5, 6}}")
    assert crt.eval("tostring(x)").endswith("[torch.CudaTensor of size 2x3 (GPU 2)]\n")
    assert crt.eval("tostring(torch.CudaTensor())") == "[torch.CudaTensor with no dimension]\n"


def test_the_tensor_api_matches_the_cpu(crt):
    crt.execute("""
       torch.manualSeed(3)
       a = torch.FloatTensor(4, 5):uniform()
       b = torch.FloatTensor(5, 3):uniform()
       ca, cb = a:cuda(), b:cuda()
       r = {
          mm = torch.mm(ca, cb):float(), add = (ca + 1):mul(2):float(),
          view = ca:view(20):narrow(1, 3, 5):float(), t = ca:t():contiguous():float(),
          sum = ca:sum(2):float(), max = ca:max(), idx = ca[{2, {2, 4}}]:float(),
          sort = ca:sort(2):float(), exp = torch.exp(ca):float(),
       }
       e = {
          mm = torch.mm(a, b), add = (a + 1):mul(2), view = a:view(20):narrow(1, 3, 5),
          t = a:t():contiguous(), sum = a:sum(2), max = a:max(), idx = a[{2, {2, 4}}],
          sort = a:sort(2), exp = torch.exp(a),
       }
    """)
    for k in ["mm", "add", "view", "t", "sum", "idx", "sort", "exp"]:
        np.testing.assert_allclose(arr(crt, f"r.{k}"), arr(crt, f"e.{k}"), rtol=1e-6)
    assert crt.eval("r.max") == crt.eval("e.max")


def test_element_access_and_loops(crt):
    crt.execute("x = torch.CudaTensor{{1, 2}, {3, 4}} x[{1, 2}] = 9 x[2][1] = 8 "
                "x:apply(function(v) return v + 1 end)")
    assert crt.eval("x[{1, 2}]") == 10
    assert crt.eval("x:totable()[2][1]") == 9
    assert crt.eval("torch.type(x)") == "torch.CudaTensor"
    assert crt.eval("x:getDevice()") == 1


def test_conversions(crt):
    crt.execute("x = torch.DoubleTensor{1.5, -2.5, 3}")
    for meth, tname in [("cuda", "Cuda"), ("cudaDouble", "CudaDouble"), ("cudaLong", "CudaLong"),
                        ("cudaByte", "CudaByte"), ("cudaInt", "CudaInt"),
                        ("cudaHalf", "CudaHalf"), ("cudaChar", "CudaChar"),
                        ("cudaShort", "CudaShort")]:
        assert crt.eval(f"torch.type(x:{meth}())") == f"torch.{tname}Tensor"
    assert crt.eval("x:cudaLong()[2]") == -2
    assert crt.eval("torch.type(x:cuda():float())") == "torch.FloatTensor"
    assert crt.eval("torch.type(x:cuda():double())") == "torch.DoubleTensor"
    assert crt.eval("torch.type(x:type('torch.CudaDoubleTensor'))") == "torch.CudaDoubleTensor"
    assert crt.eval("torch.type(x:cuda():type('torch.LongTensor'))") == "torch.LongTensor"
    assert crt.eval("x:cuda():typeAs(torch.CudaLongTensor()):getDevice()") == 1
    np.testing.assert_array_equal(arr(crt, "x:cuda():cudaDouble():double()"), [1.5, -2.5, 3])


def test_copies_between_cpu_cuda_and_devices(crt):
    crt.execute("""
       a = torch.FloatTensor{1, 2, 3}
       g1 = torch.CudaTensor(3):copy(a)
       cutorch.setDevice(2)
       g2 = torch.CudaDoubleTensor(3):copy(g1)
       back = torch.LongTensor(3):copy(g2)
       cutorch.setDevice(1)
    """)
    assert crt.eval("g2:getDevice()") == 2
    np.testing.assert_array_equal(arr(crt, "back"), [1, 2, 3])
    h1, h2 = crt.eval("torch._handle(g1)"), crt.eval("torch._handle(g2)")
    assert h1.storage.device is not h2.storage.device


def test_mixing_devices_fails_with_one_line(crt):
    crt.execute("a = torch.CudaTensor(3):fill(1) cutorch.setDevice(2) "
                "b = torch.CudaTensor(3):fill(2) cutorch.setDevice(1)")
    with pytest.raises(LuaError) as e:
        crt.execute("a:add(b)", "=mix.lua")
    assert e.value.message == ("mix.lua:1: arguments are located on different GPUs "
                               "(GPU 1 and GPU 2)")
    with pytest.raises(LuaError, match="different GPUs"):
        crt.execute("torch.cmul(a, b)")


def test_mixing_cuda_with_cpu_fails(crt):
    crt.execute("a = torch.CudaTensor(3):fill(1) f = torch.FloatTensor(3):fill(2)")
    with pytest.raises(LuaError) as e:
        crt.execute("a:add(f)", "=mix.lua")
    # Torch7's two lines: the types given, then the accepted forms
    assert e.value.message.startswith("mix.lua:1: invalid arguments: CudaTensor FloatTensor \n"
                                      "expected arguments: *CudaTensor* CudaTensor number | ")
    # a form taking any tensor still meets the door's device check
    with pytest.raises(LuaError, match="one device: got tensors on GPU 1 and CPU"):
        crt.execute("a:resizeAs(f):copy(f) a:cmul(f:cuda():float())", "=mix.lua")


def test_cuda_without_any_gpu_says_how_to_get_one(monkeypatch):
    """As cutorch's initialisation: no device, no package; pcall(require, 'cunn') is the probe."""
    monkeypatch.delenv("LUATORCH_VIRTUAL_GPUS", raising=False)
    r = Runtime()
    with pytest.raises(LuaError) as e:
        r.execute("require 'cutorch'", "=nogpu.lua")
    msg = e.value.message
    assert msg.startswith("nogpu.lua:1: cuda runtime error (38) : no CUDA-capable device")
    assert "--virtual-gpus N" in msg and "\n" not in msg
    r = Runtime()
    assert r.eval("(pcall(require, 'cunn'))") is False
    assert r.eval("torch.CudaTensor == nil and cutorch == nil and cunn == nil") is True
    # the CPU types are untouched by the failed attempt
    assert r.eval("torch.FloatTensor{1, 2}:sum()") == 3


def test_cpu_types_are_unchanged_by_cutorch(crt):
    crt.execute("c = torch.FloatTensor{1, 2}")
    assert crt.eval("tostring(c)").endswith("[torch.FloatTensor of size 2]\n")
    assert crt.eval("torch._handle(c).storage.device.name") == "cpu"


def test_index_and_mask_tensors_on_the_gpu(crt):
    crt.execute("""
       x = torch.CudaTensor{{1, 2, 3}, {4, 5, 6}}
       a = x:index(2, torch.LongTensor{3, 1})
       b = x:index(2, torch.CudaLongTensor{3, 1})
       c = x:index(2, torch.CudaTensor{3, 1})          -- cutorch's older form
       m = x:maskedSelect(x:gt(3))
       v, i = x:max(2)
       x:indexFill(2, torch.CudaTensor{2}, 0)
    """)
    for name in "abc":
        np.testing.assert_array_equal(arr(crt, f"{name}:float()"), [[3, 1], [6, 4]])
    assert crt.eval("torch.type(x:gt(3))") == "torch.CudaByteTensor"
    np.testing.assert_array_equal(arr(crt, "m:float()"), [4, 5, 6])
    assert crt.eval("torch.type(i)") == "torch.CudaLongTensor"
    np.testing.assert_array_equal(arr(crt, "i:long()"), [[3], [3]])
    np.testing.assert_array_equal(arr(crt, "x:float()"), [[1, 0, 3], [4, 0, 6]])


def test_multinomial_of_a_gpu_distribution_is_a_cuda_long_tensor(crt):
    crt.execute("p = torch.CudaTensor{0.1, 0.2, 0.7} s = torch.multinomial(p, 5, true) "
                "st = torch.multinomialAliasSetup(p)")
    assert crt.eval("torch.type(s)") == "torch.CudaLongTensor"
    assert crt.eval("s:getDevice()") == 1
    assert crt.eval("torch.type(st[1])") == "torch.CudaLongTensor"
    assert crt.eval("torch.Tensor.type(5)") is None
