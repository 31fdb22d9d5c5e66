"""What Ctrl-C support costs: the Lua count hook of an interruptible runtime, and a chunk kept
out of the JIT compiler (the prompt's lines, `luatorch.Runtime.execute`).

Times, alternating, in one process: a pure-Lua loop in a function (compiled either way), the
same loop at a chunk's top level (interpreted when interruptible), and the talk's MLP step at
batch 1 (nn.Linear/Threshold/LogSoftMax, forward + backward + update, where Lua-side overhead
matters most).  Prints best-of-N seconds and the ratio interruptible / plain.
Run: python bench/bench_interrupt.py
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.bench_mlp import LUA as MLP  # noqa: E402
from luatorch.blas_threads import th_set_num_threads  # noqa: E402
from luatorch.runtime import Runtime  # noqa: E402

REPEATS = 11

IN_FUNCTION = """
local function f(n) local s = 0 for i = 1, n do s = s + i % 7 end return s end
local t = os.clock() f(3e7) return os.clock() - t
"""
# library code the JIT cannot compile (NYI paths, calls into Python) runs in the interpreter,
# which is where the hook's per-instruction dispatch costs
INTERPRETED = """
local function f(n) local s = 0 for i = 1, n do s = s + i % 7 end return s end
jit.off(f)
local t = os.clock() f(1e7) return os.clock() - t
"""
TOP_LEVEL = """
local t = os.clock() local s = 0 for i = 1, 3e7 do s = s + i % 7 end return os.clock() - t
"""


def main() -> None:
    th_set_num_threads(1)
    plain, inter = Runtime(), Runtime()
    inter.make_interruptible()
    for rt in (plain, inter):
        rt.require("nn")
    cases = [("pure-Lua loop in a function (3e7 iterations)", IN_FUNCTION),
             ("pure-Lua loop, interpreted function (1e7)", INTERPRETED),
             ("pure-Lua loop at a chunk's top level (3e7)", TOP_LEVEL),
             ("MLP step, batch 1 (per step)", MLP % (1, 2000))]
    print(f"{'case':<48} {'plain s':>9} {'interruptible s':>16} {'ratio':>6}")
    for name, code in cases:
        best = {id(plain): float("inf"), id(inter): float("inf")}
        for _ in range(REPEATS):
            for rt in (plain, inter):
                best[id(rt)] = min(best[id(rt)], rt.execute(code))
        a, b = best[id(plain)], best[id(inter)]
        print(f"{name:<48} {a:9.3g} {b:16.3g} {b / a:6.2f}")


if __name__ == "__main__":
    main()
