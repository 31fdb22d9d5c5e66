"""`luatorch run --np N`: N processes on this machine through the environment's mpiexec."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from typing import IO, Callable, Dict, List, Mapping, Optional, Sequence

# Open MPI's report of a rank that died (prterun/mpirun, 0-based ranks), and of one that
# exited with an error status
_SIGNALLED = re.compile(r"process rank (\d+) with PID (\d+) on node (\S+) exited on\s+"
                        r"signal (\d+)(?: \(([^)]*)\))?")
_FAILED = re.compile(r"Process name:\s*\[[^\]]*,(\d+)\].*?Exit code:\s*(\d+)", re.S)
_RULE = re.compile(r"^-{20,}\s*$")


def parse_np(raw: str) -> Optional[int]:
    """The process count from --np, or None when it is not a positive integer."""
    try:
        n = int(raw)
    except (TypeError, ValueError):
        return None
    return n if n >= 1 else None


def find_mpiexec() -> Optional[str]:
    """mpiexec beside this Python (the `mpi` extra's Open MPI), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def command(n: int, child: Sequence[str], tag_output: bool = False) -> List[str]:
    """The mpiexec command line starting `child` n times."""
    exe = find_mpiexec()
    cmd = [exe or "mpiexec", "-n", str(n)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    if n > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    if tag_output:
        cmd.append("--tag-output")
    return cmd + [sys.executable, "-m", "luatorch.cli", "run"] + list(child)


def lost_rank_line(block: str, n: int) -> Optional[str]:
    """One line, with distlearn's 1-based node numbers, for Open MPI's report of a lost rank."""
    text = " ".join(block.split())
    m = _SIGNALLED.search(text)
    if m:
        rank, pid, node, sig, name = m.groups()
        why = f"signal {sig}" + (f" ({name})" if name else "")
        return (f"luatorch: rank {int(rank) + 1} of {n} (pid {pid} on {node}) was lost: {why}; "
                "the other ranks were stopped")
    m = _FAILED.search(block)
    if m:
        rank, code = m.groups()
        return (f"luatorch: rank {int(rank) + 1} of {n} exited with status {code}; "
                "the other ranks were stopped")
    return None


def _relay(stream: IO[str], n: int, out: IO[str]) -> None:
    """Copy mpiexec's stderr to ours, replacing Open MPI's boxed report of a lost rank by one
    line; every other box and line passes unchanged."""
    box: Optional[List[str]] = None
    for line in stream:
        if box is None:
            if _RULE.match(line):
                box = [line]
            else:
                out.write(line)
                out.flush()
            continue
        box.append(line)
        if _RULE.match(line):
            one = lost_rank_line("".join(box), n)
            out.write(one + "\n" if one else "".join(box))
            out.flush()
            box = None
    if box:
        out.write("".join(box))
        out.flush()


def environment(n: int, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The ranks' environment: `base` (default ours) with the cores' BLAS threads split
    among the n ranks, unless the user chose a thread count."""
    env = dict(os.environ if base is None else base)
    if not any(v in env for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
        # NOTE: idle OpenBLAS threads spin; 4 ranks with a thread per core each took 5x longer
        # per LeNet step on 2 cores (6.3 against 32 steps/s) than with one thread each
        env["OPENBLAS_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // n))
    return env


def launch(n: int, child: Sequence[str], tag_output: bool = False,
           ready: Optional[Callable[[], Optional[int]]] = None) -> int:
    """Run `child` (luatorch run's arguments) on n ranks; returns the job's exit code.

    `ready`, once MPI is found, may refuse the job by returning an exit code (the command
    line's check that the script exists, said once rather than by every rank)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("luatorch: --np needs MPI: pip install 'luatorch[mpi]' (mpi4py and Open MPI)",
              file=sys.stderr)
        return 2
    if find_mpiexec() is None:
        print("luatorch: --np needs an mpiexec on PATH: pip install 'luatorch[mpi]'",
              file=sys.stderr)
        return 2
    refused = ready() if ready is not None else None
    if refused is not None:
        return refused
    try:
        proc = subprocess.Popen(command(n, child, tag_output), env=environment(n),
                                stderr=subprocess.PIPE, text=True, bufsize=1, errors="replace")
    except OSError as e:
        print(f"luatorch: could not start mpiexec: {e}", file=sys.stderr)
        return 1
    relay = threading.Thread(target=_relay, args=(proc.stderr, n, sys.stderr), daemon=True)
    relay.start()
    try:
        code = proc.wait()
        relay.join(timeout=5)
        return code
    except KeyboardInterrupt:
        # mpiexec got the same Ctrl-C from the terminal and is stopping every rank
        try:
            return proc.wait(timeout=30)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            proc.kill()
            return 130
