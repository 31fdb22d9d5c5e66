"""The door functions distlearn calls: collectives on whole contiguous tensors."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from luatorch import dist
from luatorch.dist import p2p
from luatorch.dist.base import DistError, timeout_s
from luatorch.tensor import Tensor


def _flat(t: Tensor, what: str) -> Any:
    if not t.is_contiguous():
        raise DistError(f"distlearn: {what} needs contiguous tensors (call :contiguous() "
                        "or flatten with getParameters())")
    return t.a.reshape(-1)


def dist_init(name: Optional[str] = None) -> Tuple[int, int, str]:
    """Make the communicator; returns (1-based node index, node count, communicator name)."""
    c = dist.get(name)
    return c.rank + 1, c.size, c.name


def dist_where(where: Optional[str]) -> None:
    """Remember the script's file:line of the collective that follows (named on a timeout)."""
    dist.get().where = str(where or "")


def dist_allreduce(t: Tensor) -> None:
    """Sum `t` over every process, in place."""
    if t.numel():
        dist.get().allreduce(_flat(t, "allReduce"))


def dist_broadcast(t: Tensor, root: int) -> None:
    """Give `t` node `root`'s (1-based) values."""
    if t.numel():
        dist.get().broadcast(_flat(t, "scatter"), int(root) - 1)


def dist_allgather(src: Tensor, dst: Tensor) -> None:
    """`dst` holds every node's `src` one after another."""
    c = dist.get()
    if dst.numel() != c.size * src.numel():
        raise DistError(f"distlearn: allGather needs {c.size} x {src.numel()} elements "
                        f"in the result, got {dst.numel()}")
    c.allgather(_flat(src, "allGather"), _flat(dst, "allGather"))


def dist_reduce_scatter(src: Tensor, dst: Tensor) -> None:
    """`dst` gets this node's slice of the sum of every node's `src`."""
    c = dist.get()
    if src.numel() != c.size * dst.numel():
        raise DistError(f"distlearn: reduceScatter needs {c.size} x {dst.numel()} elements "
                        f"in the source, got {src.numel()}")
    c.reduce_scatter(_flat(src, "reduceScatter"), _flat(dst, "reduceScatter"))


def dist_barrier() -> None:
    """Wait for every process."""
    dist.get().barrier()


def p2p_open() -> int:
    """A new point-to-point channel (every node opens it together); returns its id."""
    return p2p.open_channel(dist.get())


def p2p_send(cid: int, t: Tensor, dest: int, tag: int, header: float) -> None:
    """Send a copy of `t` with `tag` and `header` to node `dest` (1-based); never blocks."""
    p2p.channel(cid).send(_flat(t, "send"), int(dest) - 1, int(tag), float(header))


def p2p_poll(cid: int, timeout: float) -> Tuple[Optional[int], int, float]:
    """The next message's (1-based source node, tag, header), or nil after `timeout` s."""
    got = p2p.channel(cid).poll(float(timeout))
    if got is None:
        return None, 0, 0.0
    return got[0] + 1, got[1], got[2]


def p2p_take(cid: int, t: Tensor) -> None:
    """Copy the payload of the message last polled into `t`."""
    p2p.channel(cid).take(_flat(t, "take"))


def p2p_flush(cid: int, timeout: float) -> int:
    """Wait up to `timeout` s for this node's sends to be received; returns those left."""
    return p2p.channel(cid).flush(float(timeout))


def dist_timeout() -> float:
    """LUATORCH_DIST_TIMEOUT in seconds."""
    return timeout_s()


EXPORTS = {
    "dist_init": dist_init,
    "dist_where": dist_where,
    "dist_allreduce": dist_allreduce,
    "dist_broadcast": dist_broadcast,
    "dist_allgather": dist_allgather,
    "dist_reduce_scatter": dist_reduce_scatter,
    "dist_barrier": dist_barrier,
    "dist_timeout": dist_timeout,
    "p2p_open": p2p_open,
    "p2p_send": p2p_send,
    "p2p_poll": p2p_poll,
    "p2p_take": p2p_take,
    "p2p_flush": p2p_flush,
}
