"""The Python API's CUDA tensors: CuPy arrays over the tensor's memory, DLPack to PyTorch.

Marked `gpu`: skipped without a usable CUDA device; LUATORCH_GPU_TESTS_ON_VIRTUAL=1 runs it on
one virtual GPU, where a CudaTensor's memory is NumPy's.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import luatorch
from luatorch.backend import cuda as cuda_backend

REAL = cuda_backend.device_count() > 0
ON_VIRTUAL = os.environ.get("LUATORCH_GPU_TESTS_ON_VIRTUAL") == "1"

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not (REAL or ON_VIRTUAL),
                                 reason="no usable CUDA device (or no CuPy)")]


def test_cuda_tensors_cross_without_copies():
    rt = luatorch.Runtime(device="cuda", virtual_gpus=0 if REAL else 1)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = rt.tensor(a)
    assert t.is_cuda and t.typename == "torch.CudaTensor" and t.shape == (2, 3)
    rt.globals.t = t
    view = t.numpy()
    rt.execute("t:fill(3)")
    if REAL:
        import cupy

        assert isinstance(view, cupy.ndarray)
        assert (view.get() == 3).all()
        with pytest.raises(TypeError, match="CuPy"):
            np.asarray(t)
        view[0, 0] = 7                          # CuPy writes, Lua reads
        assert rt.eval("t[1][1]") == 7
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pt = torch.from_dlpack(t)
            assert pt.is_cuda
            pt[1, 2] = 9.0                      # PyTorch writes into the same memory
            torch.cuda.synchronize()
            assert rt.eval("t[2][3]") == 9
    else:
        assert isinstance(view, np.ndarray) and (view == 3).all()
        view[0, 0] = 7
        assert rt.eval("t[1][1]") == 7 and np.asarray(t)[0, 0] == 7
