"""Gradient allreduce through luatorch against bare mpi4py, and LeNet from 1 to 2 processes.

1. One allreduce of 1, 10 and 100 million floats on 2 ranks: distlearn's `tree.allReduce` on a
   FloatTensor (Lua -> door -> MpiCommunicator) against `COMM_WORLD.Allreduce(IN_PLACE, ...)`
   on the same NumPy buffer (best of several; ratio goal <= 1.1x).
2. The LeNet digits training step (models/lenet_digits_dist.lua, 6 epochs, the last 5
   averaged) on 1 and 2 processes: seconds per epoch.
Run: python bench/bench_dist.py   (starts itself under the venv's mpiexec)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

SIZES = (1_000_000, 10_000_000, 100_000_000)
REPEATS = 3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rank_main() -> None:
    from mpi4py import MPI

    from luatorch.runtime import Runtime

    rt = Runtime(script_dir=ROOT)
    rt.execute("tree = require('distlearn').init()", "=bench")
    comm = MPI.COMM_WORLD
    for n in SIZES:
        rt.execute(f"x = torch.FloatTensor({n}):fill(1)", "=bench")
        buf = rt.lua.eval("torch._H[x]").a
        # a compiled call, as in a training loop (not a chunk compiled each time)
        step = rt.lua.eval("function() tree.allReduce(x) end")
        times = {"luatorch": [], "mpi4py": []}
        for _ in range(REPEATS):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            times["mpi4py"].append(time.perf_counter() - t0)
            comm.Barrier()
            t0 = time.perf_counter()
            step()
            times["luatorch"].append(time.perf_counter() - t0)
        if comm.Get_rank() == 0:
            lt, mt = min(times["luatorch"]), min(times["mpi4py"])
            print(f"allreduce {n / 1e6:>5.0f} M floats  luatorch {lt * 1e3:8.2f} ms  "
                  f"mpi4py {mt * 1e3:8.2f} ms  ratio {lt / mt:.2f}x", flush=True)
        rt.execute("x = nil collectgarbage()", "=bench")


def _lenet(np_: int) -> float:
    from luatorch.dist.launch import command

    # the script prints its clock to 0.1 s: 6 epochs, the last 5 averaged (no start-up)
    child = [os.path.join(ROOT, "models", "lenet_digits_dist.lua"), "-epochs", "6",
             "-minAccuracy", "0"]
    cmd = command(np_, child) if np_ > 1 else \
        [sys.executable, "-m", "luatorch.cli", "run"] + child
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    secs = [float(s) for s in re.findall(r"processes, ([\d.]+)s\)", out)]
    return (secs[-1] - secs[0]) / (len(secs) - 1)


def main() -> None:
    """Relaunch under mpiexec for the allreduce part; time LeNet from outside."""
    from luatorch.dist import launched

    if launched():
        _rank_main()
        return
    from luatorch.dist.launch import command

    cmd = command(2, [])[:-4] + [sys.executable, os.path.abspath(__file__)]
    subprocess.run(cmd, check=True)
    one, two = _lenet(1), _lenet(2)
    print(f"lenet epoch (1500 digits, batch 32)  1 process {one:.2f} s  2 processes {two:.2f} s"
          f"  speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
