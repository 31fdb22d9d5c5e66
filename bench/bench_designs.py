"""Steps per second of the other ranks while one rank is 2x slower, for the three designs.

4 ranks train LeNet on the digits (batch 16 per rank, Adam); each step is the real forward and
backward pass plus 20 ms of simulated device work (a sleep, so that 4 ranks on a small machine
measure the designs, not the contention for cores). The slow rank (node 4) spends twice as
long on its step. Designs: allreduce SGD (distlearn.AllReduceSGD), the parameter server with
node 1 serving and staleness 4, the same with no bound (Downpour), every node both worker and
server (Tensor DSM, staleness 4), and gossip on a ring in lockstep and never waiting.
Run: python bench/bench_designs.py [--steps 120]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESIGNS = [
    ("allreduce", "allreduce SGD"),
    ("ps", "parameter server, staleness 4"),
    ("downpour", "parameter server, no bound (Downpour)"),
    ("dsm", "every node both (Tensor DSM), staleness 4"),
    ("gossip", "gossip ring, lockstep"),
    ("gossip-async", "gossip ring, never waits (staleness math.huge)"),
]


def _rates(design: str, slow: int, steps: int) -> dict:
    from luatorch.dist.launch import command, environment

    child = [os.path.join(ROOT, "bench", "designs_step.lua"), "-design", design,
             "-slow", str(slow), "-steps", str(steps)]
    out = subprocess.run(command(4, child), env=environment(4), capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        sys.exit(f"{design}: {out.stderr.strip()}")
    return {int(n): float(r) for n, r in re.findall(r"node (\d) steps/s ([\d.]+)", out.stdout)}


def main() -> None:
    """Each design twice: no slow rank, then node 4 slowed down 2x."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=120)
    steps = ap.parse_args().steps
    print(f"4 ranks on a {os.cpu_count()}-core machine (oversubscribed when that is under 4; "
          "shared and noisy), LeNet batch 16 + 20 ms simulated work per step")
    print(f"{'design':44s} {'steps/s, all equal':>19s} {'others, node 4 at 2x':>21s} "
          f"{'kept':>6s}")
    for design, label in DESIGNS:
        even = _rates(design, 0, steps)
        slow = _rates(design, 4, steps)
        base = statistics.mean(v for n, v in even.items() if n != 4)
        others = statistics.mean(v for n, v in slow.items() if n != 4)
        print(f"{label:44s} {base:19.2f} {others:21.2f} {others / base:6.0%}", flush=True)


if __name__ == "__main__":
    main()
