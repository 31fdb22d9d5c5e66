"""Collectives through mpi4py (Open MPI from PyPI, or the cluster's own MPI).

Collectives are MPI's blocking ones (its tuned algorithms; the nonblocking ones ran 1.7x to
20x slower here). A watchdog thread enforces LUATORCH_DIST_TIMEOUT: a collective that waits
longer ends this process with one line naming it, and the launcher then stops the others.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable, Optional

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
        self.limit = timeout_s()
        self._what: Optional[str] = None
        self._since = 0.0
        threading.Thread(target=self._watch, name="distlearn-watchdog", daemon=True).start()

    def _watch(self) -> None:
        tick = min(0.25, self.limit / 4)
        while True:
            time.sleep(tick)
            what = self._what
            if what is not None and time.monotonic() - self._since > self.limit:
                sys.stdout.flush()
                place = f"{self.where}: " if self.where else ""
                sys.stderr.write(f"{place}distlearn: {what} on rank {self.rank + 1} timed out "
                                 f"after {self.limit:g} s (LUATORCH_DIST_TIMEOUT): a rank is "
                                 "missing or stuck\n")
                sys.stderr.flush()
                # NOTE: the main thread is blocked inside MPI and MPI_Finalize would wait for
                # it: leave at once; the launcher sees a failed rank and stops the others
                os._exit(1)

    def _run(self, what: str, fn: Callable[[], Any]) -> None:
        self._since = time.monotonic()
        self._what = what
        try:
            fn()
        finally:
            self._what = None

    def allreduce(self, buf: Any) -> None:
        """Sum `buf` over all ranks, in place."""
        MPI = self.MPI
        self._run("allReduce", lambda: self.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM))

    def broadcast(self, buf: Any, root: int) -> None:
        """Overwrite `buf` with rank `root`'s."""
        self._run("scatter", lambda: self.comm.Bcast(buf, root=root))

    def allgather(self, src: Any, dst: Any) -> None:
        """`dst` gets every rank's `src`, in rank order."""
        self._run("allGather", lambda: self.comm.Allgather(src, dst))

    def reduce_scatter(self, src: Any, dst: Any) -> None:
        """`dst` gets this rank's slice of the sum."""
        MPI = self.MPI
        self._run("reduceScatter",
                  lambda: self.comm.Reduce_scatter_block(src, dst, op=MPI.SUM))

    def barrier(self) -> None:
        """Wait for every rank."""
        self._run("barrier", self.comm.Barrier)
