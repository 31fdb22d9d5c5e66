"""Where cutorch puts new memory: on the current device, whatever device the source lives on.

cutorch allocates every storage (THCStorage_new, THCStorage_resize) on the device current at the
call, and copies across devices where needed; only kernels insist on the current device.
"""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.conftest import arr


@pytest.fixture()
def on_two(crt):
    """`a` (3x4, values 1..12) and `tr` (its transpose) on GPU 1, then GPU 2 made current."""
    crt.execute("""
       cutorch.setDevice(1)
       a = torch.range(1, 12):view(3, 4):cuda()
       tr = a:t()
       cutorch.setDevice(2)
    """)
    return crt


def test_clone_goes_to_the_current_device(on_two):
    crt = on_two
    crt.execute("c = a:clone()")
    assert crt.eval("c:getDevice()") == 2 and crt.eval("a:getDevice()") == 1
    np.testing.assert_array_equal(arr(crt, "c"), np.arange(1, 13).reshape(3, 4))
    # its own memory: writing it leaves the source alone (a kernel on GPU 2, c's device)
    crt.execute("c:fill(0)")
    assert crt.eval("cutorch.withDevice(1, function() return a:sum() end)") == 78


def test_contiguous_copy_goes_to_the_current_device(on_two):
    crt = on_two
    crt.execute("c = tr:contiguous() same = a:contiguous()")
    assert crt.eval("c:getDevice()") == 2
    np.testing.assert_array_equal(arr(crt, "c"), np.arange(1, 13).reshape(3, 4).T)
    # already contiguous: the tensor itself, on its own device
    assert crt.eval("same == a") is True and crt.eval("same:getDevice()") == 1


def test_resize_as_of_an_empty_tensor_allocates_on_the_current_device(on_two):
    crt = on_two
    crt.execute("e = torch.CudaTensor():resizeAs(a) f = cutorch.withDevice(1, function() "
                "return torch.CudaTensor() end) f:resizeAs(a)")
    assert crt.eval("e:getDevice()") == 2 and crt.eval("f:getDevice()") == 2
    assert crt.eval("e:isSameSizeAs(a)") is True


def test_growing_a_storage_moves_it_to_the_current_device_with_its_contents(on_two):
    crt = on_two
    crt.execute("g = cutorch.withDevice(1, function() return torch.CudaTensor(2):fill(5) end) "
                "v = g:view(2)")
    # no growth: the memory stays where it is (cutorch reallocates only to grow or shrink)
    crt.execute("g:resize(1, 2)")
    assert crt.eval("g:getDevice()") == 1
    crt.execute("g:resize(6)")
    assert crt.eval("g:getDevice()") == 2 and crt.eval("v:getDevice()") == 2
    np.testing.assert_array_equal(arr(crt, "g:narrow(1, 1, 2)"), [5, 5])
    # a view follows its storage, so the op runs where it now is
    assert crt.eval("v:add(1):sum()") == 12
    crt.execute("s = cutorch.withDevice(1, function() return torch.CudaStorage(3):fill(2) end) "
                "s:resize(4)")
    assert crt.eval("s:getDevice()") == 2 and crt.eval("s[3]") == 2


def test_constructors_and_conversions_use_the_current_device(on_two):
    crt = on_two
    for expr in ["torch.CudaTensor(2, 2)", "torch.CudaTensor({1, 2})", "a:float():cuda()",
                 "torch.CudaTensor(torch.LongStorage({2, 3}))", "a:cudaDouble()",
                 "torch.CudaStorage(3)"]:
        assert crt.eval(f"({expr}):getDevice()") == 2, expr


def test_kernels_still_refuse_a_tensor_of_another_device(on_two):
    # placement moves new memory, never an argument: an op on a's memory from GPU 2 fails
    with pytest.raises(LuaError, match="current device GPU 2"):
        on_two.execute("a:add(1)")
    with pytest.raises(LuaError, match="current device GPU 2"):
        on_two.execute("torch.add(torch.CudaTensor(), a, 1)")


def test_a_cuda_module_keeps_its_type_through_serialization(crt):
    crt.require("cunn")
    crt.execute("m = nn.Linear(3, 2):cuda() m2 = torch.deserialize(torch.serialize(m))")
    assert crt.eval("m2._type") == "torch.CudaTensor"
    assert crt.eval("m2:type()") == "torch.CudaTensor"


def test_nn_gpu_round_trip_runs_on_its_device(crt):
    crt.require("cunn")
    crt.execute("""
       torch.manualSeed(4)
       lin = nn.Linear(3, 4):float()
       ref = lin:clone()
       g = nn.GPU(lin, 2, 1):cuda()
       x = torch.CudaTensor(2, 3):uniform()
       g:forward(x)
       g2 = torch.deserialize(torch.serialize(g))
       y = g2:forward(x)
    """)
    # the module loads on its device, its output comes back to the output device
    assert crt.eval("g2.modules[1].weight:getDevice()") == 2
    assert crt.eval("y:getDevice()") == 1 and crt.eval("cutorch.getDevice()") == 1
    np.testing.assert_allclose(arr(crt, "y"), arr(crt, "ref:forward(x:float())"), rtol=1e-6)


def test_size_checks_and_set_accept_tensors_of_two_gpus(on_two):
    # neither launches a kernel, so cutorch checks no device; a CPU tensor is still refused
    crt = on_two
    crt.execute("b = torch.CudaTensor(3, 4) s = torch.CudaTensor(5):fill(1) s:set(a)")
    assert crt.eval("b:isSameSizeAs(a)") is True
    assert crt.eval("s:getDevice()") == 1 and crt.eval("s:isSetTo(a)") is True
    with pytest.raises(LuaError, match="expected all tensors on one device"):
        crt.execute("torch.CudaTensor(2):set(torch.FloatTensor(2))")
