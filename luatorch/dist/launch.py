"""`luatorch run --np N`: N processes on this machine through the environment's mpiexec."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import List, Optional, Sequence


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


def launch(n: int, child: Sequence[str], tag_output: bool = False) -> int:
    """Run `child` (luatorch run's arguments) on n ranks; returns the job's exit code."""
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
    try:
        proc = subprocess.Popen(command(n, child, tag_output))
    except OSError as e:
        print(f"luatorch: could not start mpiexec: {e}", file=sys.stderr)
        return 1
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # mpiexec got the same Ctrl-C from the terminal and is stopping every rank
        try:
            return proc.wait(timeout=30)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            proc.kill()
            return 130
