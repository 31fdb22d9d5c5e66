"""The base communicator: rank, size and the collectives distlearn needs, on flat arrays."""

from __future__ import annotations

import os
from typing import Any

from luatorch.tensor import TorchError


class DistError(TorchError):
    """A collective that failed or timed out; reaches Lua as an error."""


def timeout_s() -> float:
    """Seconds a collective may wait (LUATORCH_DIST_TIMEOUT, default 1800)."""
    raw = os.environ.get("LUATORCH_DIST_TIMEOUT", "1800")
    try:
        v = float(raw)
    except ValueError:
        raise DistError(f"LUATORCH_DIST_TIMEOUT must be a number of seconds, got '{raw}'") from None
    if v <= 0:
        raise DistError(f"LUATORCH_DIST_TIMEOUT must be positive, got '{raw}'") from None
    return v


class Communicator:
    """Collectives over contiguous 1-D arrays, ranks 0-based; subclasses fill them in."""

    name = "base"
    rank = 0
    size = 1
    # the script's file:line of the collective under way (set from Lua), for the timeout line
    where = ""

    def allreduce(self, buf: Any) -> None:
        """Sum `buf` over all ranks, in place."""
        raise NotImplementedError

    def broadcast(self, buf: Any, root: int) -> None:
        """Overwrite `buf` with rank `root`'s."""
        raise NotImplementedError

    def allgather(self, src: Any, dst: Any) -> None:
        """`dst` (size * len(src)) gets every rank's `src`, in rank order."""
        raise NotImplementedError

    def reduce_scatter(self, src: Any, dst: Any) -> None:
        """`dst` gets this rank's slice (len(dst)) of the sum of every rank's `src`."""
        raise NotImplementedError

    def barrier(self) -> None:
        """Wait for every rank."""
        raise NotImplementedError
