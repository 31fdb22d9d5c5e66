"""Run Torch7's own test suites against luatorch, one test per process.

    python bench/upstream_suites.py --nn ~/src/nn --torch ~/src/torch7 --optim ~/src/optim
    python bench/upstream_suites.py --virtual-gpus 2 --cunn ~/src/cunn --cutorch ~/src/cutorch
    python bench/upstream_suites.py --virtual-gpus 4 --script ~/src/cunn/test_DataParallelTable.lua

Each path is a checkout of the upstream repository (torch/nn, torch/torch7, torch/optim,
torch/cunn, torch/cutorch) or one of its scripts; nothing from them is copied into this project.
`--virtual-gpus N` runs every child on N virtual GPUs (without it, CUDA suites use the real ones).

A suite test passes when torch.Tester reports no failed
assertion and no error for it; an optim script passes when it ends without an error.  Every test
runs in a fresh process with a time limit, so one crash or hang costs only itself.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Optional

HERE = pathlib.Path(__file__).resolve()
ROOT = HERE.parent.parent

# Lua run inside a child to list the suite's test names.  The suite is a local of the upstream
# file, reached through the upvalues of the entry point it defines (nn.test, torch.test).
_SUITE = {
    "nn": ("nn", "test.lua", "nn.test"),
    "torch": ("torch", "test/test.lua", "torch.test"),
    "cunn": ("cunn", "test.lua", "cunn.test"),
    "cutorch": ("cutorch", "test/test.lua", "cutorch.test"),
}

_LIST = r"""
local entry = ...
local f = loadstring('return ' .. entry)()
local i = 1
while true do
   local name, value = debug.getupvalue(f, i)
   if name == nil then break end
   -- a Tester keeps name -> function in .tests; a TestSuite in its raw __tests
   local tests = type(value) == 'table'
      and (rawget(value, '__isTestSuite') and rawget(value, '__tests') or rawget(value, 'tests'))
   if type(tests) == 'table' then
      local names = {}
      for k in pairs(tests) do names[#names + 1] = k end
      table.sort(names)
      return table.concat(names, '\n')
   end
   i = i + 1
end
error('no test suite among the upvalues of ' .. entry)
"""


def _child(kind: str, repo: str, name: Optional[str], seed: int) -> int:
    sys.path.insert(0, str(ROOT))
    from luatorch.runtime import LuaError, Runtime

    package, rel, entry = _SUITE[kind]
    path = os.path.join(repo, rel)
    rt = Runtime(script_dir=os.path.dirname(path))
    try:
        rt.require(package)
        rt.call(rt.lua.eval("dofile"), path)
        if name is None:
            print(rt.call(rt.lua.eval("loadstring")(_LIST), entry))
            return 0
        # Tester:run takes Lua patterns: anchor the name so that 'Add' is not also 'CAdd'
        pattern = "^" + "".join("%" + c if not c.isalnum() else c for c in name) + "$"
        if kind == "nn":
            rt.execute(f"nn.test({{'{pattern}'}}, {seed})")
        elif kind == "cunn":
            rt.execute(f"cunn.test({{'{pattern}'}}, false, 1, {seed})")
        elif kind == "cutorch":
            rt.execute(f"cutorch.test({{'{pattern}'}}, {seed})")
        else:
            rt.execute(f"torch.manualSeed({seed}); torch.test({{'{pattern}'}})")
    except LuaError as e:
        print("LUAERROR:", e.message, file=sys.stderr)
        return 1
    return 0


def _script_child(path: str) -> int:
    sys.path.insert(0, str(ROOT))
    from luatorch.runtime import LuaError, Runtime

    path = os.path.abspath(path)
    tmp = tempfile.mkdtemp(prefix="upstream-script-")
    os.chdir(tmp)
    rt = Runtime(script_dir=os.path.dirname(path))
    try:
        rt.require("trepl")  # what `th` loads before a script (torch, paths, sys, xlua, ...)
        rt.run_file(path)
    except LuaError as e:
        print("LUAERROR:", e.message, file=sys.stderr)
        return 1
    finally:
        os.chdir(ROOT)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _optim_child(repo: str, script: str) -> int:
    sys.path.insert(0, str(ROOT))
    from luatorch.runtime import LuaError, Runtime

    # a copy of test/: the scripts write their results (fista2.bin, logs) where they run
    tmp = tempfile.mkdtemp(prefix="optim-test-")
    test_dir = os.path.join(tmp, "test")
    shutil.copytree(os.path.join(repo, "test"), test_dir)
    os.chdir(test_dir)
    rt = Runtime(script_dir=test_dir)
    try:
        rt.run_file(os.path.join(test_dir, script))
    except LuaError as e:
        print("LUAERROR:", e.message, file=sys.stderr)
        return 1
    finally:
        os.chdir(ROOT)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _spawn(args: list, timeout: float) -> tuple:
    t0 = time.time()
    try:
        p = subprocess.run([sys.executable, str(HERE), *args], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timeout after {timeout:.0f} s", time.time() - t0
    ok = p.returncode == 0
    # a script holding a torch.Tester suite: its own count ("Completed 40 asserts in 14 tests
    # with 1 failure and 0 errors") says more than pass/fail
    counts = [ln.strip() for ln in p.stdout.splitlines() if ln.startswith("Completed ")]
    reason = ""
    if not ok:
        text = (p.stderr + "\n" + p.stdout).strip().splitlines()
        errs = [ln for ln in text if ln.startswith("LUAERROR:")]
        # the Tester's report: the line after "Function call failed", or a failed assertion
        out = p.stdout.splitlines()
        fails = [out[i + 1].strip() for i, ln in enumerate(out[:-1])
                 if "Function call failed" in ln]
        fails += [ln.strip() for ln in out if "violation" in ln or "Failure" in ln]
        reason = (fails[:2] + errs[-1:]) if (fails or errs) else text[-3:]
        reason = " | ".join(r[:300] for r in reason)
        if not reason:
            reason = f"exit {p.returncode}"
    if counts:
        reason = (reason + " | " if reason else "") + counts[-1]
    return ok, reason, time.time() - t0


def _names(kind: str, repo: str) -> list:
    p = subprocess.run([sys.executable, str(HERE), "--child", kind, repo, "-", "0"],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"cannot list the {kind} suite: {p.stderr.strip()[-500:]}")
    return [ln for ln in p.stdout.splitlines() if ln.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nn", help="checkout of torch/nn")
    ap.add_argument("--torch", help="checkout of torch/torch7")
    ap.add_argument("--optim", help="checkout of torch/optim")
    ap.add_argument("--cunn", help="checkout of torch/cunn (its test.lua)")
    ap.add_argument("--cutorch", help="checkout of torch/cutorch (its test/test.lua)")
    ap.add_argument("--script", nargs="*", default=[],
                    help="Lua scripts that pass when they end without an error")
    ap.add_argument("--virtual-gpus", type=int, default=None,
                    help="run the children on this many virtual GPUs")
    ap.add_argument("--only", nargs="*", help="test names to run (default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--optim-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--script-child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.virtual_gpus is not None:
        os.environ["LUATORCH_VIRTUAL_GPUS"] = str(a.virtual_gpus)
    if a.child:
        kind, repo, name, seed = a.child
        return _child(kind, repo, None if name == "-" else name, int(seed))
    if a.optim_child:
        return _optim_child(*a.optim_child)
    if a.script_child:
        return _script_child(a.script_child)

    jobs: list = []
    for kind in ("nn", "torch", "cunn", "cutorch"):
        repo = getattr(a, kind)
        if repo:
            for name in _names(kind, repo):
                if not a.only or name in a.only:
                    jobs.append((kind, name, ["--child", kind, repo, name, str(a.seed)]))
    if a.optim:
        for script in sorted(os.listdir(os.path.join(a.optim, "test"))):
            if script.startswith("test_") and script.endswith(".lua"):
                if not a.only or script in a.only:
                    jobs.append(("optim", script, ["--optim-child", a.optim, script]))
    for script in a.script:
        jobs.append(("script", os.path.basename(script), ["--script-child", script]))
    if not jobs:
        ap.error("give at least one of --nn, --torch, --optim, --cunn, --cutorch, --script")

    results: dict = {}
    with cf.ThreadPoolExecutor(a.jobs) as pool:
        futs = {pool.submit(_spawn, args, a.timeout): (kind, name) for kind, name, args in jobs}
        for fut in cf.as_completed(futs):
            kind, name = futs[fut]
            ok, reason, dt = fut.result()
            results.setdefault(kind, {})[name] = {"ok": ok, "reason": reason, "seconds": dt}
            mark = "PASS" if ok else "FAIL"
            print(f"{mark} {kind}.{name} ({dt:.1f} s){': ' + reason if reason else ''}",
                  flush=True)
    print()
    for kind, res in results.items():
        passed = sum(r["ok"] for r in res.values())
        print(f"{kind}: {passed}/{len(res)} passed")
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
