"""One process: every collective is the identity (a script runs unchanged without --np)."""

from __future__ import annotations

from typing import Any

from luatorch.dist.base import Communicator


class LocalCommunicator(Communicator):
    """Rank 0 of 1."""

    name = "local"

    def allreduce(self, buf: Any) -> None:
        """Nothing to add."""

    def broadcast(self, buf: Any, root: int) -> None:
        """Already the root's."""

    def allgather(self, src: Any, dst: Any) -> None:
        """`dst` is `src`."""
        dst[...] = src

    def reduce_scatter(self, src: Any, dst: Any) -> None:
        """The whole sum is this rank's slice."""
        dst[...] = src[:dst.shape[0]]

    def barrier(self) -> None:
        """Nobody to wait for."""
