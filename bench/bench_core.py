"""Per-op cost of the torch core against NumPy and PyTorch eager (CPU build), one thread.

Prints, for each benchmark, the best of several repeats and the spread (min..max), then the
ratio luatorch / PyTorch.  Run: python bench/bench_core.py
"""

from __future__ import annotations

import time

import numpy as np

from luatorch.runtime import Runtime
from luatorch.blas_threads import th_set_num_threads

REPEATS = 5


def timed(fn, repeats: int = REPEATS) -> list:
    """Seconds per call for each repeat (fn returns the seconds it measured per call)."""
    return sorted(fn() for _ in range(repeats))


def lua_add(rt: Runtime, n: int = 200_000) -> float:
    return rt.execute(f"""
      local x, y = torch.FloatTensor(10):fill(1), torch.FloatTensor(10):fill(2)
      local t = torch.Timer()
      for i = 1, {n} do x:add(y) end
      return t:time().real / {n}
    """)


def lua_mm(rt: Runtime, n: int = 10) -> float:
    return rt.execute(f"""
      local a, b = torch.FloatTensor(1024, 1024):uniform(), torch.FloatTensor(1024, 1024):uniform()
      local c = torch.FloatTensor(1024, 1024)
      c:mm(a, b)
      local t = torch.Timer()
      for i = 1, {n} do c:mm(a, b) end
      return t:time().real / {n}
    """)


def numpy_mm(n: int = 10) -> float:
    a = np.random.rand(1024, 1024).astype(np.float32)
    b = np.random.rand(1024, 1024).astype(np.float32)
    c = np.empty((1024, 1024), np.float32)
    np.matmul(a, b, out=c)
    t = time.perf_counter()
    for _ in range(n):
        np.matmul(a, b, out=c)
    return (time.perf_counter() - t) / n


def numpy_add(n: int = 200_000) -> float:
    x, y = np.ones(10, np.float32), np.full(10, 2, np.float32)
    t = time.perf_counter()
    for _ in range(n):
        np.add(x, y, out=x)
    return (time.perf_counter() - t) / n


def pytorch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def add(n: int = 200_000) -> float:
        x, y = torch.ones(10), torch.full((10,), 2.0)
        t = time.perf_counter()
        for _ in range(n):
            x.add_(y)
        return (time.perf_counter() - t) / n

    def mm(n: int = 10) -> float:
        a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
        c = torch.empty(1024, 1024)
        torch.mm(a, b, out=c)
        t = time.perf_counter()
        for _ in range(n):
            torch.mm(a, b, out=c)
        return (time.perf_counter() - t) / n

    return add, mm


def fmt(ts: list) -> str:
    return f"{ts[0]:.3e} s (min..max {ts[0]:.2e}..{ts[-1]:.2e})"


def main() -> None:
    th_set_num_threads(1)
    rt = Runtime()
    rt.execute("torch.setnumthreads(1)")
    pt = pytorch()
    rows = [
        ("x:add(y), 10 floats", lambda: lua_add(rt), numpy_add, pt and pt[0]),
        ("torch.mm 1024x1024 float", lambda: lua_mm(rt), numpy_mm, pt and pt[1]),
    ]
    for name, lua_fn, np_fn, pt_fn in rows:
        lt, nt = timed(lua_fn), timed(np_fn)
        print(f"{name}")
        print(f"  luatorch  {fmt(lt)}")
        print(f"  numpy     {fmt(nt)}   luatorch/numpy  {lt[0] / nt[0]:.2f}")
        if pt_fn is not None:
            ptt = timed(pt_fn)
            print(f"  pytorch   {fmt(ptt)}   luatorch/pytorch {lt[0] / ptt[0]:.2f}")
        else:
            print("  pytorch   not installed")
    flops = 2 * 1024 ** 3
    print(f"mm GFLOP/s: luatorch {flops / timed(lambda: lua_mm(rt))[0] / 1e9:.1f}, "
          f"numpy {flops / timed(numpy_mm)[0] / 1e9:.1f}")


if __name__ == "__main__":
    main()
