"""Bad-argument walker: calls every public torch function, tensor method, nn module and optim
function with generated, seeded bad arguments, and sorts what comes back.

A call's outcome is one of: ``ok`` (returned), ``error`` (a Torch7-style Lua error), ``leak``
(an error whose text is Python's, NumPy's or lupa's wording), ``hang`` (ran past the bound),
``silent`` (returned although an argument was a value no Torch7 function takes in that place: a
Lua function, or a table mixing numbers and strings, given to a target that does not simply
inspect its arguments).
"""

from __future__ import annotations

import random
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from luatorch.runtime import Runtime

# Wording that betrays the Python engine underneath: never part of a Torch7 message.
LEAK_PATTERNS = [
    r"\b(Type|Value|Index|Key|Attribute|Overflow|ZeroDivision|Runtime|Name|Assertion|"
    r"NotImplemented|Memory|OS|IsADirectory|FileNotFound|Permission|Lookup)Error\b",
    r"Traceback \(most recent call last\)", r"\bNoneType\b", r"_LuaTable", r"lupa\.",
    r"\bnumpy\b", r"\bndarray\b", r"dtype\(", r"invalid literal for int\(\)",
    r"unsupported operand type", r"not supported between instances", r"object is not",
    r"object has no attribute", r"positional argument", r"keyword argument",
    r"cannot be interpreted as an integer", r"array is too big", r"Cannot cast array",
    r"could not broadcast", r"operands could not be broadcast", r"\bint\(\)", r"\bfloat\(\)",
    r"'(int|float|str|bool|list|tuple|dict)' object", r"\bPython\b", r"\.py\"?, line \d+",
    r"RuntimeWarning", r"builtins\.", r"\bself\.\w", r"luatorch\.(tensor|kernels|bridge)",
]
LEAK_RE = re.compile("|".join(LEAK_PATTERNS))

# Lua expressions for bad arguments (`x` is a 3x4 DoubleTensor the walker makes).
BAD_VALUES = [
    "nil", "'abc'", "{}", "true", "false", "0/0", "math.huge", "-math.huge", "2^31", "-2^31",
    "0", "-1", "1.5", "-7", "torch.DoubleTensor()", "torch.randn(7)", "torch.randn(2,3,4,5)",
    "torch.randn(4,3):t()", "torch.FloatTensor(3,4)", "torch.LongTensor{1,99}",
    "torch.ByteTensor(3,4):zero()", "{1,'a'}", "function() end", "torch.LongStorage{2,-3}",
]

# Values no torch, nn or optim function accepts as an argument (apply/map are skipped below).
NEVER_VALID = {"function() end", "{1,'a'}"}

# Targets that take any value on purpose (type inspection, printing, generic containers).
TAKES_ANYTHING = {
    "torch": {"type", "typename", "isTensor", "isStorage", "isTypeOf", "getmetatable", "isequal",
              "pushudata", "data", "cdata", "class", "typeidx", "Generator", "checkpoint"},
    "tensor": {"type", "isSameSizeAs", "__tostring__"},
    "nn": set(),
    "optim": set(),
}

# Calls that would write files or change process-wide state: the walker stays clear of them.
SKIP = {
    "torch": {"save", "load", "setdefaulttensortype", "setnumthreads", "manualSeed", "seed",
              "setRNGState", "initialSeed", "getRNGState", "include", "class", "setenv",
              "setmetatable", "getmetatable", "updateerrorhandlers", "DiskFile", "PipeFile",
              "MemoryFile", "File", "Timer", "CmdLine", "Tester", "TestSuite", "serialize",
              "deserialize", "setheaptracking", "newmetatable", "factory", "pointer",
              "HalfTensor", "setnumInteropThreads", "setdefaultstorageoptions", "exit"},
    "tensor": {"apply", "map", "map2", "__gc", "__index", "__newindex", "new", "__init",
               "__factory", "write", "read", "retain", "free"},
    "nn": {"Module", "Container", "Criterion"},
    "optim": {"Logger"},
}

_HARNESS = r"""
local name, kind, target, argsrc = ...
local x = torch.randn(3, 4)
local f = load('local x = ...; return ' .. argsrc)
local ok, args = pcall(f, x)
if not ok then return 'setup', tostring(args) end
local n = select('#', unpack(args, 1, args.n))
local call
if kind == 'torch' then
   call = function() return torch[target](unpack(args, 1, args.n)) end
elseif kind == 'tensor' then
   call = function() return x[target](x, unpack(args, 1, args.n)) end
elseif kind == 'nn_new' then
   call = function() return nn[target](unpack(args, 1, args.n)) end
elseif kind == 'nn_forward' or kind == 'nn_backward' then
   local okm, m = pcall(nn[target])
   if not okm then return 'setup', tostring(m) end
   if kind == 'nn_forward' then
      call = function() return m:forward(unpack(args, 1, args.n)) end
   else
      call = function()
         local a1 = args[1]
         return m:backward(a1, unpack(args, 2, args.n))
      end
   end
elseif kind == 'optim' then
   call = function() return optim[target](unpack(args, 1, args.n)) end
end
local okc, r = pcall(call)
if okc then return 'ok', '' end
return 'error', tostring(r)
"""


class _Hang(Exception):
    pass


@dataclass
class Report:
    """Counts and examples of each outcome."""

    calls: int = 0
    counts: Dict[str, int] = field(default_factory=dict)
    examples: Dict[str, List[Tuple[str, str]]] = field(default_factory=dict)

    def add(self, outcome: str, call: str, msg: str) -> None:
        self.calls += 1
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        ex = self.examples.setdefault(outcome, [])
        if outcome not in ("ok", "error"):
            ex.append((call, msg))


def targets(rt: Runtime) -> List[Tuple[str, str]]:
    """Every public (kind, name) the walker calls."""
    rt.execute("require 'nn'; require 'optim'")
    names = rt.eval(r"""(function()
       local out = {}
       for k, v in pairs(torch) do
          if type(k) == 'string' and type(v) == 'function' and not k:match('^_') then
             out[#out + 1] = 'torch ' .. k end
       end
       for k, v in pairs(torch.getmetatable('torch.DoubleTensor')) do
          if type(k) == 'string' and type(v) == 'function' and not k:match('^_') then
             out[#out + 1] = 'tensor ' .. k end
       end
       for k, v in pairs(nn) do
          if type(k) == 'string' and k:match('^%u') and type(v) == 'table'
                and torch.isTypeOf and rawget(v, '__typename') == nil then
             local mt = getmetatable(v)
             if mt and type(mt.__call) == 'function' then
                out[#out + 1] = 'nn ' .. k end
          end
       end
       for k, v in pairs(optim) do
          if type(k) == 'string' and type(v) == 'function' then
             out[#out + 1] = 'optim ' .. k end
       end
       table.sort(out)
       return table.concat(out, '\n')
    end)()""")
    result = []
    for line in str(names).splitlines():
        kind, name = line.split(" ", 1)
        if name in SKIP.get(kind, ()):
            continue
        result.append((kind, name))
    return result


def arg_lists(rng: random.Random, n: int) -> List[str]:
    """`n` Lua argument lists (as `{n=..., ...}` source) of 0 to 4 bad values."""
    out = []
    for _ in range(n):
        k = rng.randint(0, 4)
        vals = [rng.choice(BAD_VALUES) for _ in range(k)]
        # a list with `x` itself first: the right first argument, bad ones after it
        if k and rng.random() < 0.3:
            vals[0] = "x"
        out.append("{n=%d, %s}" % (k, ", ".join(vals)))
    return out


def walk(seed: int = 17, per_target: int = 8, bound_s: float = 2.0,
         limit: Optional[int] = None, rt: Optional[Runtime] = None) -> Report:
    """Call each target with `per_target` generated argument lists; classify every outcome."""
    rt = rt or Runtime()
    rng = random.Random(seed)
    harness = rt.lua.execute("return function(...) " + _HARNESS + " end")
    tlist = targets(rt)
    if limit is not None:
        rng.shuffle(tlist)
        tlist = tlist[:limit]
    report = Report()

    def on_alarm(signum: int, frame: Any) -> None:
        raise _Hang()

    old = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for kind, name in tlist:
            kinds = ["nn_new", "nn_forward", "nn_backward"] if kind == "nn" else [kind]
            for k in kinds:
                for src in arg_lists(rng, per_target):
                    call = f"{k} {name} {src}"
                    t0 = time.perf_counter()
                    signal.setitimer(signal.ITIMER_REAL, bound_s)
                    try:
                        status, msg = harness(k, k, name, src)
                    except _Hang:
                        status, msg = "hang", ""
                    except Exception as e:  # noqa: BLE001 - the walker records, never stops
                        status, msg = "error", f"{type(e).__name__}: {e}"
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                    msg = str(msg)
                    if "_Hang" in msg or time.perf_counter() - t0 > bound_s:
                        status = "hang"
                    if status == "setup":
                        continue
                    if status == "error" and LEAK_RE.search(msg):
                        status = "leak"
                    if status == "ok" and any(v in src for v in NEVER_VALID) \
                            and name not in TAKES_ANYTHING.get(kind, ()):
                        status = "silent"
                    report.add(status, call, msg)
    finally:
        signal.signal(signal.SIGALRM, old)
    return report


if __name__ == "__main__":
    import sys

    per = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    r = walk(per_target=per)
    print(r.calls, r.counts)
    for kind in ("hang", "leak", "silent"):
        for call, msg in r.examples.get(kind, [])[:400]:
            print(kind, "|", call, "|", msg[:160].replace("\n", " "))
