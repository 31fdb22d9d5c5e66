"""Communicators for multi-process training, on one small base class.

| name    | where                          | how                                       |
| ------- | ------------------------------ | ----------------------------------------- |
| `local` | one process (no launcher)      | every collective is the identity          |
| `mpi`   | `mpiexec` / `srun` ranks       | mpi4py collectives under a timeout        |
| `nccl`  | one process per real GPU       | CuPy NCCL, its unique id sent over MPI    |

`get(name)` picks one by name; `get(None)` picks `mpi` when a launcher started us, else `local`.
The parameter server and gossip talk point to point instead, over `p2p.py`'s channels.
"""

from __future__ import annotations

import os
from typing import Optional

from luatorch.dist.base import Communicator, DistError

__all__ = ["Communicator", "DistError", "get", "launched"]

_current: Optional[Communicator] = None
_LAUNCH_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK")


def launched() -> bool:
    """Whether an MPI launcher (mpiexec, srun) started this process.

    srun counts when its step has several tasks, even with no MPI wired in (`srun` without
    --mpi=pmix): the mpi communicator then says so instead of each task training alone. A
    batch script's SLURM_NTASKS is no launch: the script is one process."""
    from luatorch.dist.mpi import srun_tasks

    return any(v in os.environ for v in _LAUNCH_VARS) or srun_tasks() > 1


def get(name: Optional[str] = None) -> Communicator:
    """The process's communicator, made once; `name` is 'local', 'mpi' or 'nccl'."""
    global _current
    if _current is not None and (name is None or _current.name == name):
        # the communicator is made once per process: every collective asks for it
        return _current
    name = name or os.environ.get("LUATORCH_DIST") or ("mpi" if launched() else "local")
    if name == "local":
        from luatorch.dist.local import LocalCommunicator
        _current = LocalCommunicator()
    elif name == "mpi":
        from luatorch.dist.mpi import MpiCommunicator
        _current = MpiCommunicator()
    elif name == "nccl":
        from luatorch.dist.nccl import NcclCommunicator
        _current = NcclCommunicator()
    else:
        raise DistError(f"unknown communicator '{name}' (expected local, mpi or nccl)")
    return _current


def leave_failed(code: int) -> None:
    """End a failed MPI rank at once: MPI_Finalize would wait for peers blocked in a
    collective, so the job would hang instead of the launcher stopping the other ranks."""
    if _current is not None and _current.name != "local":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
