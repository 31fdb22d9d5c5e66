"""What the multi-process tests share: reading the ranks' pids, checking they are gone, and
the loss curve that distributed and single-process runs must agree on."""

from __future__ import annotations

import re
import subprocess
from typing import Dict, List


def rank_pids(p: subprocess.Popen, n: int) -> Dict[int, int]:
    """node index -> pid, from the `pid NODE PID` lines the test scripts print first."""
    pids: Dict[int, int] = {}
    while len(pids) < n:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        m = re.match(r"pid (\d+) (\d+)", line)
        if m:
            pids[int(m.group(1))] = int(m.group(2))
    return pids


def gone(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] in ("Z", "X")
    except OSError:
        return True


def curve(out: str) -> List[str]:
    """The epoch and final lines of lenet_digits_dist.lua, without their timing part."""
    return [re.sub(r"\(\d+ processes.*\)", "", ln) for ln in out.splitlines()
            if ln.startswith(("epoch", "final"))]
