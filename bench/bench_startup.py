"""Start-up: `python -c "import luatorch"`, `luatorch.Runtime()`, `luatorch run` of an empty
script, and `import torch` beside them, as best-of-N wall seconds and CPU seconds (user + sys,
steadier than wall time on a shared machine).  Prints the machine's load average first.
Run: python bench/bench_startup.py [N]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(cmd: list, n: int, env: dict) -> tuple:
    """(best wall s, best CPU s) of running `cmd` n times."""
    walls, cpus = [], []
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # an installed package has its bytecode compiled; a source tree may not be allowed to
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "luatorch-bench-pyc")
    empty = os.path.join(tempfile.mkdtemp(), "empty.lua")
    open(empty, "w").close()
    py = sys.executable
    cases = [("python -c pass", [py, "-c", "pass"]),
             ("import luatorch", [py, "-c", "import luatorch"]),
             ("luatorch.Runtime()", [py, "-c", "import luatorch; luatorch.Runtime()"]),
             ("luatorch run empty.lua", [py, "-m", "luatorch.cli", "run", empty]),
             ("import torch", [py, "-c", "import torch"])]
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    print(f"{'':<24} {'wall s':>8} {'cpu s':>8}")
    for name, cmd in cases:
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, cpu = measure(cmd, n, env)
        print(f"{name:<24} {wall:8.3f} {cpu:8.3f}")


if __name__ == "__main__":
    main()
