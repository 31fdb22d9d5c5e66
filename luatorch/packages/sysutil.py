"""System services for the Lua side: clocks, environment, hostname, the file system (for
`paths`, `sys`, `lfs`), and the check for optional extras."""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable
from typing import Any, Optional

from luatorch.packages import need


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
    import socket  # NOTE: here, not at the top: every start-up imports this module

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


def sys_need_extra(module: str, package: str, dist: str, extra: str) -> None:
    """Fail with one line naming the extra when `module` cannot be imported."""
    need(str(module), str(package), str(dist), str(extra))


def sys_listdir(path: str) -> Optional[tuple]:
    """Entries of directory `path` with '.' and '..' first (as readdir gives them), as several
    return values, or None."""
    try:
        return tuple([".", ".."] + sorted(os.listdir(str(path))))
    except OSError:
        return None


_KINDS = ((stat.S_ISDIR, "directory"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "link"),
          (stat.S_ISSOCK, "socket"), (stat.S_ISFIFO, "named pipe"),
          (stat.S_ISCHR, "char device"), (stat.S_ISBLK, "block device"))


def sys_stat(path: str, follow: bool = True) -> Any:
    """LuaFileSystem's attributes of `path` as key, value, key, value, ... return values, or one
    error string when it cannot be read (lfs returns nil plus that message)."""
    try:
        st = os.stat(str(path)) if follow else os.lstat(str(path))
    except OSError as e:
        return f"cannot obtain information from file '{path}': {e.strerror}"
    mode = next((name for test, name in _KINDS if test(st.st_mode)), "other")
    perms = stat.filemode(st.st_mode)[1:]
    return ("mode", mode, "size", st.st_size, "access", int(st.st_atime),
            "modification", int(st.st_mtime), "change", int(st.st_ctime), "dev", st.st_dev,
            "ino", st.st_ino, "nlink", st.st_nlink, "uid", st.st_uid, "gid", st.st_gid,
            "rdev", getattr(st, "st_rdev", 0), "permissions", perms,
            "blocks", getattr(st, "st_blocks", 0), "blksize", getattr(st, "st_blksize", 0))


def sys_fsop(op: str, path: str, other: Any = None) -> Optional[str]:
    """One file-system change: 'mkdir', 'makedirs', 'rmdir', 'rmall', 'chdir', 'touch'.
    Returns None on success, else the system's message."""
    op, path = str(op), str(path)
    try:
        if op == "mkdir":
            os.mkdir(path)
        elif op == "makedirs":
            os.makedirs(path, exist_ok=True)
        elif op == "rmdir":
            os.rmdir(path)
        elif op == "rmall":
            if os.path.isdir(path) and not os.path.islink(path):
                import shutil

                shutil.rmtree(path)
            else:
                os.remove(path)
        elif op == "chdir":
            os.chdir(path)
        elif op == "touch":
            if not os.path.exists(path):
                return "No such file or directory"
            times = None if other is None else (float(other[1]), float(other[2]))
            os.utime(path, times)
        else:
            return f"unknown operation {op}"
    except OSError as e:
        return e.strerror or str(e)
    return None


def sys_cwd() -> str:
    """The current directory."""
    return os.getcwd()


def sys_tmpname() -> str:
    """A new empty temporary file's name (removed by the caller, as Torch7's paths.tmpname)."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix="lua_")
    os.close(fd)
    return name


def sys_uname() -> tuple[str, str, str]:
    """(system, node, machine), as paths.uname gives them."""
    import platform

    u = platform.uname()
    return u.system, u.node, u.machine


def sys_which(name: str) -> Optional[str]:
    """Full path of executable `name` on $PATH, or None."""
    import shutil

    return shutil.which(str(name))


EXPORTS: dict[str, Callable] = {
    "sys_need_extra": sys_need_extra,
    "sys_listdir": sys_listdir,
    "sys_stat": sys_stat,
    "sys_fsop": sys_fsop,
    "sys_cwd": sys_cwd,
    "sys_tmpname": sys_tmpname,
    "sys_uname": sys_uname,
    "sys_which": sys_which,
    "sys_clock": sys_clock,
    "sys_time": sys_time,
    "sys_getenv": sys_getenv,
    "sys_hostname": sys_hostname,
    "sys_isatty": sys_isatty,
    "sys_sleep": sys_sleep,
}
