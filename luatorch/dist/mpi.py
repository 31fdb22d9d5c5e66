"""Collectives through mpi4py (Open MPI from PyPI, or the cluster's own MPI).

Every collective is nonblocking and polled against LUATORCH_DIST_TIMEOUT, so a rank that never
arrives fails the call with its name instead of hanging the job.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from typing import Any, Callable

from luatorch.dist.base import Communicator, DistError, timeout_s


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError:
        raise DistError("the mpi communicator needs mpi4py: pip install 'luatorch[mpi]'") from None
    return MPI


class MpiCommunicator(Communicator):
    """COMM_WORLD of the launcher that started us."""

    name = "mpi"

    def __init__(self) -> None:
        self.MPI = _mpi()
        self.comm = self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.broken = False
        atexit.register(self._leave)

    def _leave(self) -> None:
        # NOTE: MPI_Finalize waits for the collective that timed out, forever; leaving without
        # it lets the launcher see a failed rank and stop the others
        if self.broken:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)

    def _wait(self, what: str, start: Callable[[], Any]) -> None:
        limit = timeout_s()
        req = start()
        t0 = time.monotonic()
        spins = 0
        # NOTE: Test() also drives Open MPI's progress engine; spinning first keeps small
        # collectives fast, short sleeps after that keep long ones from eating a core
        while not req.Test():
            spins += 1
            if spins > 2000:
                time.sleep(0.0005)
                if time.monotonic() - t0 > limit:
                    self.broken = True
                    raise DistError(f"distlearn: {what} on rank {self.rank + 1} timed out after "
                                    f"{limit:g} s (LUATORCH_DIST_TIMEOUT): a rank is missing")

    def allreduce(self, buf: Any) -> None:
        """Sum `buf` over all ranks, in place."""
        MPI = self.MPI
        self._wait("allReduce", lambda: self.comm.Iallreduce(MPI.IN_PLACE, buf, op=MPI.SUM))

    def broadcast(self, buf: Any, root: int) -> None:
        """Overwrite `buf` with rank `root`'s."""
        self._wait("scatter", lambda: self.comm.Ibcast(buf, root=root))

    def allgather(self, src: Any, dst: Any) -> None:
        """`dst` gets every rank's `src`, in rank order."""
        self._wait("allGather", lambda: self.comm.Iallgather(src, dst))

    def reduce_scatter(self, src: Any, dst: Any) -> None:
        """`dst` gets this rank's slice of the sum."""
        MPI = self.MPI
        self._wait("reduceScatter",
                   lambda: self.comm.Ireduce_scatter_block(src, dst, op=MPI.SUM))

    def barrier(self) -> None:
        """Wait for every rank."""
        self._wait("barrier", self.comm.Ibarrier)
