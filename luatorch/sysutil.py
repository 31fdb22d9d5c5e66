"""System services for the Lua side: clocks, environment, hostname."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable


def sys_clock() -> tuple[float, float, float]:
    """Return (wall, user CPU, system CPU) seconds; wall is monotonic, for torch.Timer."""
    # os.times() is used rather than resource.getrusage because it also exists on Windows.
    cpu = os.times()
    return time.perf_counter(), cpu.user, cpu.system


def sys_time() -> float:
    """Return seconds since the Unix epoch (what Torch7's tic/toc measure with gettimeofday)."""
    return time.time()


def sys_getenv(name: str) -> str | None:
    """Return the environment variable `name`, or None when it is unset."""
    return os.environ.get(str(name))


def sys_hostname() -> str:
    """Return this machine's host name."""
    return socket.gethostname()


def sys_isatty(stream: str = "stdout") -> bool:
    """Say whether the named standard stream ('stdout', 'stderr', 'stdin') is a terminal."""
    handle = {"stdin": sys.stdin, "stdout": sys.stdout, "stderr": sys.stderr}.get(str(stream))
    try:
        return bool(handle is not None and handle.isatty())
    except (AttributeError, ValueError):
        return False


def sys_sleep(seconds: float) -> None:
    """Block for `seconds` seconds."""
    time.sleep(max(0.0, float(seconds)))


EXPORTS: dict[str, Callable] = {
    "sys_clock": sys_clock,
    "sys_time": sys_time,
    "sys_getenv": sys_getenv,
    "sys_hostname": sys_hostname,
    "sys_isatty": sys_isatty,
    "sys_sleep": sys_sleep,
}
