"""The GPUs of one process working as one: DataParallelTable's streams, reduce and broadcast.

cunn's DataParallelTable runs one replica per GPU.  Here every replica's work is issued on a
stream of its own (one per replica), from one Lua state, without waiting on the host between
replicas, so that on real GPUs the replicas run at the same time; events order each replica
after the callers' work and the callers' later work after every replica.

Gradients are summed onto the first replica and parameters copied back out by one of two routes:

| route  | when                                                     | how                          |
| ------ | -------------------------------------------------------- | ---------------------------- |
| `nccl` | asked for (useNCCL), flat parameters, >= 2 distinct real | CuPy's NCCL: one communicator |
|        | GPUs, CuPy's NCCL loads, CUDA_LAUNCH_BLOCKING unset      | per GPU (initAll), grouped    |
| `copy` | any other case (virtual GPUs among them)                 | device-to-device copies      |

Virtual GPUs compute as soon as an op is called, so their streams are nothing but the order
of the calls; the route they take is the copy one.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from luatorch import backend
from luatorch.tensor import Tensor, TorchError

_NCCL_TYPES = {"float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64", "float16": "NCCL_FLOAT16"}


def choose_route(want_nccl: bool, flat: bool, gpus: Sequence[int], real: bool,
                 nccl_loads: bool, launch_blocking: bool) -> Tuple[str, str]:
    """('nccl' or 'copy', why) for replicas on `gpus` (1-based, one per replica)."""
    if not want_nccl:
        return "copy", "useNCCL was not asked for"
    if not flat:
        return "copy", "NCCL needs flattened parameters (flattenParams)"
    if len(set(gpus)) < 2:
        return "copy", "fewer than two GPUs: nothing to reduce"
    if len(set(gpus)) != len(gpus):
        return "copy", "a GPU holds two replicas (NCCL takes each GPU once)"
    if not real:
        return "copy", "virtual GPUs: NCCL needs real devices"
    if launch_blocking:
        return "copy", "CUDA_LAUNCH_BLOCKING=1: NCCL does not work with it"
    if not nccl_loads:
        return "copy", "CuPy's NCCL does not load (pip install 'luatorch[cuda]')"
    return "nccl", "NCCL over the GPUs of this process"


def _nccl() -> Optional[Any]:
    """CuPy's NCCL module, or None when it cannot be used."""
    try:
        from cupy.cuda import nccl  # noqa: PLC0415
    except Exception:
        return None
    return nccl if getattr(nccl, "available", True) else None


class ReplicaGroup:
    """The devices of a DataParallelTable's replicas, their streams and their route."""

    def __init__(self, gpus: Sequence[int], want_nccl: bool, flat: bool):
        devs = backend.gpu_devices()
        if not gpus:
            raise TorchError("DataParallelTable: no GPU assigned yet (add a module with "
                             ":add(module, gpus) first)")
        for g in gpus:
            if not 1 <= g <= len(devs):
                raise TorchError(f"DataParallelTable: GPU {g} does not exist "
                                 f"({len(devs)} available)")
        self.gpus = list(gpus)
        self.devices = [devs[g - 1] for g in gpus]
        self.real = all(d.xp is not np for d in self.devices)
        self.cp: Any = self.devices[0].xp if self.real else None
        nccl = _nccl() if (self.real and want_nccl) else None
        self.route, self.reason = choose_route(
            bool(want_nccl), bool(flat), self.gpus, self.real, nccl is not None,
            os.environ.get("CUDA_LAUNCH_BLOCKING") == "1")
        self.nccl = nccl if self.route == "nccl" else None
        self.comms: Optional[List[Any]] = None
        self.streams: Optional[List[Any]] = None
        self.saved: Optional[dict] = None
        if self.real:
            cp = self.cp
            self.streams = []
            for d in self.devices:
                with cp.cuda.Device(d.index):
                    self.streams.append(cp.cuda.Stream(non_blocking=True))

    # -- streams ---------------------------------------------------------------------------------
    def enter(self) -> None:
        """Each replica's stream waits for the work the callers queued on every device."""
        if not self.real or self.saved is not None:
            return
        cp = self.cp
        saved, events = {}, []
        for d in self.devices:
            if d.index not in saved:
                with cp.cuda.Device(d.index):
                    s = cp.cuda.get_current_stream()
                    saved[d.index] = s
                    events.append(s.record())
        for s in self.streams:
            for e in events:
                s.wait_event(e)
        self.saved = saved

    def use(self, i: int) -> None:
        """Replica `i`'s (1-based) stream becomes its device's current one."""
        if self.saved is not None:
            with self.cp.cuda.Device(self.devices[i - 1].index):
                self.streams[i - 1].use()

    def leave(self) -> None:
        """The callers' streams, current again, wait for every replica's work."""
        if self.saved is None:
            return
        cp = self.cp
        events = []
        for d, s in zip(self.devices, self.streams):
            with cp.cuda.Device(d.index):
                events.append(s.record())
        for idx, s in self.saved.items():
            with cp.cuda.Device(idx):
                s.use()
                for e in events:
                    s.wait_event(e)
        self.saved = None

    # -- NCCL ------------------------------------------------------------------------------------
    def _arrays(self, ts: Sequence[Tensor], what: str) -> tuple:
        if len(ts) != len(self.devices):
            raise TorchError(f"DataParallelTable: {what} needs one tensor per replica "
                             f"({len(self.devices)}), got {len(ts)}")
        n = ts[0].numel()
        for t, d in zip(ts, self.devices):
            if not t.is_contiguous() or t.numel() != n or t.storage.device is not d:
                raise TorchError(f"DataParallelTable: {what} needs contiguous tensors of one "
                                 "size, one on each replica's GPU")
        code = _NCCL_TYPES.get(ts[0].dtype.name)
        if code is None:
            raise TorchError(f"DataParallelTable: NCCL cannot reduce {ts[0].dtype.name}")
        return [t.a for t in ts], getattr(self.nccl, code), n

    def _collective(self, ts: Sequence[Tensor], what: str, call: Any) -> None:
        if self.nccl is None:
            raise TorchError(f"DataParallelTable: {what} by NCCL on the {self.route} route "
                             f"({self.reason})")
        arrays, dtype, n = self._arrays(ts, what)
        if not n:
            return
        cp, nccl = self.cp, self.nccl
        if self.comms is None:
            self.comms = nccl.NcclCommunicator.initAll([d.index for d in self.devices])
        # NOTE: one group, so that NCCL launches every device's part before any waits
        nccl.groupStart()
        try:
            for c, a, d in zip(self.comms, arrays, self.devices):
                with cp.cuda.Device(d.index):
                    call(c, a, dtype, n, cp.cuda.get_current_stream().ptr)
        finally:
            nccl.groupEnd()

    def reduce(self, ts: Sequence[Tensor]) -> None:
        """ts[0] += every other replica's tensor (NCCL reduce to the first GPU)."""
        op = self.nccl.NCCL_SUM if self.nccl else 0
        self._collective(ts, "reduce",
                         lambda c, a, dt, n, s: c.reduce(a.data.ptr, a.data.ptr, n, dt, op, 0, s))

    def broadcast(self, ts: Sequence[Tensor]) -> None:
        """Every replica's tensor gets the first one's values (NCCL broadcast)."""
        self._collective(ts, "broadcast",
                         lambda c, a, dt, n, s: c.bcast(a.data.ptr, n, dt, 0, s))


def dpt_group(want_nccl: bool, flat: bool, *gpus: int) -> ReplicaGroup:
    """The replica group of a DataParallelTable on `gpus` (1-based)."""
    return ReplicaGroup([int(g) for g in gpus], bool(want_nccl), bool(flat))


def dpt_route(g: ReplicaGroup) -> Tuple[str, str, bool]:
    """(route, why, whether replicas run on streams of their own)."""
    return g.route, g.reason, g.real


def dpt_enter(g: ReplicaGroup) -> None:
    g.enter()


def dpt_use(g: ReplicaGroup, i: int) -> None:
    g.use(int(i))


def dpt_leave(g: ReplicaGroup) -> None:
    g.leave()


def dpt_reduce(g: ReplicaGroup, *ts: Tensor) -> None:
    g.reduce(ts)


def dpt_broadcast(g: ReplicaGroup, *ts: Tensor) -> None:
    g.broadcast(ts)


EXPORTS = {
    "dpt_group": dpt_group, "dpt_route": dpt_route, "dpt_enter": dpt_enter, "dpt_use": dpt_use,
    "dpt_leave": dpt_leave, "dpt_reduce": dpt_reduce, "dpt_broadcast": dpt_broadcast,
}
