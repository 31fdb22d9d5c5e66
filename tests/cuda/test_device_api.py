"""cutorch's device API on virtual GPUs, 1-based as in Torch7, and its errors on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from luatorch.runtime import LuaError


def test_count_and_current_device(crt):
    assert crt.eval("cutorch.getDeviceCount()") == 2
    assert crt.eval("cutorch.getDevice()") == 1
    crt.execute("cutorch.setDevice(2)")
    assert crt.eval("cutorch.getDevice()") == 2
    assert crt.eval("cutorch.hasHalf") is True


def test_with_device_restores_the_current_one(crt):
    assert crt.execute("return cutorch.withDevice(2, function() "
                       "return cutorch.getDevice(), torch.CudaTensor(1):getDevice() end)") == (2, 2)
    assert crt.eval("cutorch.getDevice()") == 1
    with pytest.raises(LuaError, match="boom"):
        crt.execute("cutorch.withDevice(2, function() error('boom') end)")
    assert crt.eval("cutorch.getDevice()") == 1


def test_synchronize_properties_and_memory(crt):
    crt.execute("cutorch.synchronize() cutorch.synchronizeAll()")
    crt.execute("p = cutorch.getDeviceProperties(2)")
    assert crt.eval("p.name") == "luatorch virtual GPU 2"
    assert crt.eval("p.major") == 3 and crt.eval("p.totalGlobalMem") > 0
    free, total = crt.execute("return cutorch.getMemoryUsage(2)")
    assert 0 < free <= total
    # no argument: the current device (each virtual GPU counts its own memory)
    assert crt.execute("return cutorch.getMemoryUsage()") == \
        crt.execute("return cutorch.getMemoryUsage(cutorch.getDevice())")


def test_seeds_and_rng_state(crt):
    crt.execute("""
       cutorch.manualSeed(7)
       s0 = cutorch.initialSeed()
       state = cutorch.getRNGState()
       a = torch.CudaTensor(5):uniform()
       cutorch.setRNGState(state)
       b = torch.CudaTensor(5):uniform()
       -- the GPU stream is Torch7's stream, as the CPU one: same seed, same numbers
       torch.manualSeed(7)
       c = torch.FloatTensor(5):uniform()
    """)
    assert crt.eval("s0") == 7
    assert crt.eval("a:equal(b)") is True
    assert crt.eval("a:float():equal(c)") is True
    crt.execute("cutorch.manualSeedAll(11)")
    assert crt.execute("return cutorch.initialSeed(), "
                       "cutorch.withDevice(2, cutorch.initialSeed)") == (11, 11)
    assert isinstance(crt.eval("cutorch.seed()"), int)


def test_each_device_has_its_own_generator(crt):
    crt.execute("""
       cutorch.manualSeedAll(3)
       cutorch.setDevice(2)
       torch.CudaTensor(10):normal()      -- advances GPU 2's stream only
       cutorch.setDevice(1)
       a = torch.CudaTensor(4):uniform()
       cutorch.manualSeedAll(3)
       b = torch.CudaTensor(4):uniform()
    """)
    assert crt.eval("a:equal(b)") is True


@pytest.mark.parametrize("call", ["cutorch.setDevice(99)", "cutorch.setDevice(0)",
                                  "cutorch.getDeviceProperties(3)",
                                  "cutorch.withDevice(5, function() end)"])
def test_bad_device_is_one_torch7_line(crt, call):
    with pytest.raises(LuaError) as e:
        crt.execute(call, "=bad.lua")
    assert e.value.message.startswith("bad.lua:1: cuda runtime error (10) : invalid device "
                                      "ordinal")
    assert "\n" not in e.value.message and "Traceback" not in e.value.message
    assert crt.eval("cutorch.getDevice()") == 1


def test_bad_argument_type(crt):
    with pytest.raises(LuaError, match=r"bad argument #1 to 'setDevice' \(number expected, "
                                       r"got string\)"):
        crt.execute("cutorch.setDevice('x')")


def test_cli_bad_device_message(tmp_path):
    script = tmp_path / "s.lua"
    script.write_text("require 'cutorch'\ncutorch.setDevice(99)\n")
    root = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", "--virtual-gpus", "2",
                          "s.lua"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": root})
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "s.lua:2: cuda runtime error (10) : invalid device ordinal (device 99; there are 2 "
        "GPUs)"]


def test_kernels_run_on_the_current_device_only(crt):
    # THCTensor_checkGPU without peer access: the tensors' device must be the current one
    crt.execute("a = torch.CudaTensor(3):fill(1) cutorch.setDevice(2)")
    for op in ["a:fill(2)", "a:add(1)", "a:sum()", "a:uniform()", "torch.exp(a)"]:
        with pytest.raises(LuaError) as e:
            crt.execute(op, "=cur.lua")
        assert e.value.message == (
            "cur.lua:1: arguments are located on different GPUs (tensors on GPU 1, current "
            "device GPU 2: call cutorch.setDevice(1) first, or use cutorch.withDevice)")
    # what needs no kernel still works from anywhere: sizes, printing, copies, conversions
    assert crt.eval("a:size(1)") == 3 and crt.eval("a[2]") == 1
    assert "(GPU 1)" in crt.eval("tostring(a)")
    assert crt.eval("a:float():sum()") == 3
    crt.execute("b = torch.CudaTensor(3):copy(a)")
    assert crt.eval("b:getDevice()") == 2 and crt.eval("b:sum()") == 3
    assert crt.eval("cutorch.withDevice(1, function() return a:add(1):sum() end)") == 6


def test_empty_tensors_have_no_device_until_allocated(crt):
    crt.execute("e = torch.Tensor():cuda() r = torch.CudaTensor()")
    assert crt.eval("e:getDevice()") == 0
    crt.execute("cutorch.setDevice(2) e:resize(1, 2, 3)")
    assert crt.eval("e:getDevice()") == 2
    assert crt.eval("e:storage():getDevice()") == 2
    # an empty result made on GPU 1 takes the result of an op on GPU 2
    crt.execute("x = torch.CudaTensor(4):fill(3) torch.add(r, x, 1)")
    assert crt.eval("r:getDevice()") == 2 and crt.eval("r:sum()") == 16


def test_geometric_follows_cutorch(crt):
    crt.execute("cutorch.manualSeed(1) g = torch.CudaTensor(20000):geometric(0.8)")
    # cutorch's geometric(p): mean 1/p (TH's CPU one has mean 1/(1-p))
    assert abs(crt.eval("g:mean()") - 1.25) < 0.05
    assert crt.eval("g:min()") == 1


OOM_SCRIPT = """
require 'cutorch'
local free0, total = cutorch.getMemoryUsage(1)
assert(total == 64 * 2^20 and free0 == total)
local ok, err = pcall(function() return torch.CudaTensor(40 * 2^20) end)
print('caught', ok, err)
local x = torch.CudaTensor(2^20):fill(1)
assert(cutorch.getMemoryUsage(1) == free0 - 4 * 2^20)
x = nil
collectgarbage(); collectgarbage()
assert(cutorch.getMemoryUsage(1) == free0)
print('went on', torch.CudaTensor(4):fill(2):sum())
local y = torch.CudaTensor(2^30)
"""


def test_out_of_memory_is_cutorchs_error_and_the_script_goes_on(tmp_path):
    """A full GPU is bad input: a catchable one-line error; the memory is counted and freed."""
    script = tmp_path / "oom.lua"
    script.write_text(OOM_SCRIPT)
    env = dict(os.environ, LUATORCH_VIRTUAL_GPU_MEMORY="64")
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", "--virtual-gpus", "1",
                        str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert "caught\tfalse\t" in r.stdout and "oom.lua:5: cuda runtime error (2) : out of memory" \
        in r.stdout
    assert "went on\t8" in r.stdout
    assert r.returncode == 1
    assert r.stderr.strip().endswith("oom.lua:13: cuda runtime error (2) : out of memory")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cupy_out_of_memory_reads_as_cutorchs_error():
    from luatorch.runtime import _error_message

    class OutOfMemoryError(MemoryError):  # the shape of cupy.cuda.memory.OutOfMemoryError
        pass

    assert _error_message(OutOfMemoryError("Out of memory allocating 1 bytes")) == \
        "cuda runtime error (2) : out of memory"
    assert _error_message(MemoryError()) == "not enough memory"


def test_bad_virtual_memory_setting_is_refused(monkeypatch):
    from luatorch.backend import virtual

    monkeypatch.setenv("LUATORCH_VIRTUAL_GPU_MEMORY", "lots")
    with pytest.raises(ValueError, match="LUATORCH_VIRTUAL_GPU_MEMORY"):
        virtual.make(1)


def test_host_tensors_peer_access_and_allocator(crt):
    """The rest of cutorch's README API (fb.resnet.torch's train.lua stopped at
    createCudaHostTensor)."""
    crt.execute("""
      h = cutorch.createCudaHostTensor(2, 3)
      hl = cutorch.createCudaHostLongTensor(torch.LongStorage{4})
      p12 = cutorch.getPeerToPeerAccess(1, 2)
      cutorch.setPeerToPeerAccess(1, 2, false)
      p12off, p21 = cutorch.getPeerToPeerAccess(1, 2), cutorch.getPeerToPeerAccess(2, 1)
      cutorch.setPeerToPeerAccess(1, 2, true)
      cutorch.setKernelPeerToPeerAccess(true)
      kp = cutorch.getKernelPeerToPeerAccess()
      cutorch.reserveStreams(2) cutorch.setStream(2) cutorch.setDefaultStream()
      s = cutorch.getStream()
    """)
    assert crt.eval("torch.type(h)") == "torch.FloatTensor"
    assert crt.eval("h:dim() == 2 and h:size(1) == 2 and h:size(2) == 3")
    assert crt.eval("torch.type(hl)") == "torch.LongTensor" and crt.eval("hl:nElement()") == 4
    assert crt.eval("p12") is True and crt.eval("p12off") is False and crt.eval("p21") is True
    assert crt.eval("kp") is True and crt.eval("s") == 0
    assert crt.eval("cutorch.isCachingAllocatorEnabled()") is True
    assert crt.eval("tostring(cutorch.getState())") == "cutorch.State"
    with pytest.raises(LuaError, match=r"invalid device ordinal \(device 3; there are 2 GPUs\)"):
        crt.eval("cutorch.getPeerToPeerAccess(1, 3)")
    with pytest.raises(LuaError, match="bad argument #2 to 'createCudaHostFloatTensor'"):
        crt.eval("cutorch.createCudaHostFloatTensor(2, 'x')")
