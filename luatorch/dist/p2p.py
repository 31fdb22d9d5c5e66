"""Point-to-point channels for the parameter server and gossip: tagged messages, no barrier.

A channel carries messages of (tag, header number, payload bytes) between ranks. Sends never
block; a receiver polls for the next message that has fully arrived, with a timeout, and copies
its payload into a tensor it picks after seeing who sent it and why.

NOTE: MPI nonblocking point-to-point (Isend, and Improbe + Irecv on the receiving side) rather
than one-sided windows. The optimizer that a server applies is a Lua function, so it can only
run on the Lua state's own thread, inside a library call: the server side makes progress when
the rank calls in (serve, push, pull, average), never behind the script's back. Passive-target
RMA would let workers read and write a server's memory while it computes, but applying
`optim.adam` to an arriving gradient still needs the server's thread, and Open MPI's RMA over
shared memory needs the target to progress anyway. Matched probes (Improbe) followed by Irecv
keep a large message from stalling the receiver while its sender is busy computing, and keep
each sender's messages in the order it sent them.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Deque, List, Optional, Tuple

import numpy as np

from luatorch.dist.base import DistError

_HEADER = 8  # one float64 before the payload


def _host(arr: Any) -> np.ndarray:
    """A NumPy view (or host copy, for CuPy) of a contiguous 1-D array."""
    if isinstance(arr, np.ndarray):
        return arr
    return arr.get()  # CuPy: the payload travels through host memory


def _pack(arr: Any, header: float) -> np.ndarray:
    src = _host(arr)
    buf = np.empty(_HEADER + src.nbytes, np.uint8)
    buf[:_HEADER].view(np.float64)[0] = header
    buf[_HEADER:] = src.view(np.uint8)
    return buf


class Channel:
    """Messages between ranks; the base works inside one process (messages to itself)."""

    def __init__(self) -> None:
        self.ready: Deque[Tuple[int, int, np.ndarray]] = deque()
        self.current: Optional[np.ndarray] = None
        self.rank = 0

    def send(self, arr: Any, dest: int, tag: int, header: float) -> None:
        """Queue `arr` (copied) with `tag` and `header` for rank `dest`; returns at once."""
        if dest != self.rank:
            raise DistError(f"distlearn: no rank {dest + 1} in a single process")
        self.ready.append((dest, tag, _pack(arr, header)))

    def _pump(self) -> None:
        """Start receiving whatever has arrived (nothing to do in one process)."""

    def pending_sends(self) -> int:
        """Sends not yet taken by their receivers."""
        return 0

    def poll(self, timeout: float) -> Optional[Tuple[int, int, float]]:
        """The next complete message as (source, tag, header), waiting up to `timeout` s."""
        self._pump()
        if not self.ready and timeout > 0:
            deadline = time.monotonic() + timeout
            nap = 5e-5
            while not self.ready:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                # NOTE: sleep, not spin: ranks often outnumber cores, and a spinning waiter
                # would steal the CPU from the rank it waits for
                time.sleep(min(nap, left))
                nap = min(nap * 2, 2e-3)
                self._pump()
        if not self.ready:
            return None
        src, tag, buf = self.ready.popleft()
        self.current = buf
        return src, tag, float(buf[:_HEADER].view(np.float64)[0])

    def take(self, dst: Any) -> None:
        """Copy the payload of the message last returned by poll into `dst` (same size)."""
        buf = self.current
        if buf is None:
            raise DistError("distlearn: no message to take")
        if buf.size - _HEADER != dst.nbytes:
            raise DistError(f"distlearn: a message of {buf.size - _HEADER} bytes does not fit "
                            f"a tensor of {dst.nbytes} bytes")
        payload = buf[_HEADER:].view(dst.dtype)
        if isinstance(dst, np.ndarray):
            dst[...] = payload
        else:
            dst.set(payload)

    def flush(self, timeout: float) -> int:
        """Wait up to `timeout` s for sends to be taken; returns how many are still pending."""
        return 0


class MpiChannel(Channel):
    """A channel on its own duplicate of COMM_WORLD (so its tags meet no one else's)."""

    def __init__(self, comm: Any, MPI: Any) -> None:
        super().__init__()
        self.MPI = MPI
        self.comm = comm.Dup()
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.sends: List[Tuple[Any, np.ndarray]] = []
        self.inflight: Deque[List[Any]] = deque()

    def send(self, arr: Any, dest: int, tag: int, header: float) -> None:
        """Isend a copy of `arr`; the copy lives until the send completes."""
        if not 0 <= dest < self.size:
            raise DistError(f"distlearn: no rank {dest + 1} among {self.size}")
        buf = _pack(arr, header)
        req = self.comm.Isend([buf, self.MPI.BYTE], dest=dest, tag=tag)
        self.sends.append((req, buf))
        self._reap()

    def _reap(self) -> None:
        if self.sends:
            self.sends = [s for s in self.sends if not s[0].Test()]

    def _pump(self) -> None:
        MPI = self.MPI
        status = MPI.Status()
        while True:
            msg = self.comm.improbe(MPI.ANY_SOURCE, MPI.ANY_TAG, status)
            if msg is None:
                break
            buf = np.empty(status.Get_count(MPI.BYTE), np.uint8)
            req = msg.Irecv([buf, MPI.BYTE])
            self.inflight.append([req, status.Get_source(), status.Get_tag(), buf])
        # delivered in the order the receives started, which keeps each sender's order
        while self.inflight and self.inflight[0][0].Test():
            _, src, tag, buf = self.inflight.popleft()
            self.ready.append((src, tag, buf))
        self._reap()

    def pending_sends(self) -> int:
        """Sends not yet taken by their receivers."""
        self._reap()
        return len(self.sends)

    def flush(self, timeout: float) -> int:
        """Wait up to `timeout` s for every send to complete, still receiving meanwhile."""
        deadline = time.monotonic() + timeout
        while self.pending_sends() and time.monotonic() < deadline:
            time.sleep(1e-3)
            self._pump()
        return len(self.sends)


_channels: List[Channel] = []


def open_channel(comm: Any) -> int:
    """A new channel on communicator `comm` (collective under MPI); returns its 1-based id."""
    if comm.name == "local":
        _channels.append(Channel())
    else:
        made: List[Channel] = []
        # the duplicate is a collective: under the communicator's watchdog, so a node that
        # never opens its side ends the job after LUATORCH_DIST_TIMEOUT instead of hanging it
        comm._run("openChannel", lambda: made.append(MpiChannel(comm.comm, comm.MPI)))
        _channels.append(made[0])
    return len(_channels)


def channel(cid: int) -> Channel:
    """The channel with 1-based id `cid`."""
    if not 1 <= cid <= len(_channels):
        raise DistError(f"distlearn: no channel {cid}")
    return _channels[cid - 1]
