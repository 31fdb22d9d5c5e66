"""Collectives on GPU buffers through CuPy's NCCL; the NCCL unique id travels over MPI.

One process per GPU: the local rank picks the device (cutorch.setDevice does the same from Lua).
Host (NumPy) buffers still go through MPI, so a mixed script keeps working.
"""

from __future__ import annotations

import os
from typing import Any

from luatorch.dist.base import DistError
from luatorch.dist.mpi import MpiCommunicator


def _local_rank(default: int) -> int:
    for v in ("OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"):
        if v in os.environ:
            return int(os.environ[v])
    return default


class NcclCommunicator(MpiCommunicator):
    """MPI for host arrays, NCCL for CuPy arrays."""

    name = "nccl"

    def __init__(self) -> None:
        super().__init__()
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError:
            raise DistError("the nccl communicator needs CuPy with NCCL: "
                            "pip install 'luatorch[cuda]'") from None
        self.cp, self.nccl = cupy, nccl
        ngpu = cupy.cuda.runtime.getDeviceCount()
        if ngpu == 0:
            raise DistError("the nccl communicator needs a GPU; none is visible")
        cupy.cuda.Device(_local_rank(self.rank) % ngpu).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.comm.bcast(uid, root=0)
        self.nc = nccl.NcclCommunicator(self.size, uid, self.rank)

    def _gpu(self, *bufs: Any) -> bool:
        return any(isinstance(b, self.cp.ndarray) for b in bufs)

    def _dtype(self, buf: Any) -> int:
        n = self.nccl
        table = {"float32": n.NCCL_FLOAT32, "float64": n.NCCL_FLOAT64,
                 "float16": n.NCCL_FLOAT16, "int64": n.NCCL_INT64, "int32": n.NCCL_INT32,
                 "uint8": n.NCCL_UINT8, "int8": n.NCCL_INT8}
        try:
            return table[buf.dtype.name]
        except KeyError:
            raise DistError(f"NCCL cannot reduce {buf.dtype.name} buffers") from None

    def _sync(self) -> None:
        self.cp.cuda.get_current_stream().synchronize()

    def allreduce(self, buf: Any) -> None:
        """Sum `buf` over all ranks, in place."""
        if not self._gpu(buf):
            return super().allreduce(buf)
        s = self.cp.cuda.get_current_stream().ptr
        self.nc.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._dtype(buf),
                          self.nccl.NCCL_SUM, s)
        self._sync()

    def broadcast(self, buf: Any, root: int) -> None:
        """Overwrite `buf` with rank `root`'s."""
        if not self._gpu(buf):
            return super().broadcast(buf, root)
        s = self.cp.cuda.get_current_stream().ptr
        self.nc.bcast(buf.data.ptr, buf.size, self._dtype(buf), root, s)
        self._sync()

    def allgather(self, src: Any, dst: Any) -> None:
        """`dst` gets every rank's `src`, in rank order."""
        if not self._gpu(src, dst):
            return super().allgather(src, dst)
        s = self.cp.cuda.get_current_stream().ptr
        self.nc.allGather(src.data.ptr, dst.data.ptr, src.size, self._dtype(src), s)
        self._sync()

    def reduce_scatter(self, src: Any, dst: Any) -> None:
        """`dst` gets this rank's slice of the sum."""
        if not self._gpu(src, dst):
            return super().reduce_scatter(src, dst)
        s = self.cp.cuda.get_current_stream().ptr
        self.nc.reduceScatter(src.data.ptr, dst.data.ptr, dst.size, self._dtype(src),
                              self.nccl.NCCL_SUM, s)
        self._sync()
