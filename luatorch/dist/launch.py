"""`luatorch run --np N [--hostfile H]`: N processes through the environment's mpiexec, on this
machine or on the hostfile's machines.

Across machines Open MPI's ranks talk TCP, and two things differ from one machine (both seen
with two network namespaces as hosts, bench/netns_hosts.sh): a killed remote rank is first
noticed by its peers' sockets, so Open MPI reports a peer that disconnected and a survivor
that aborted, not the signal; and when a host is cut off, prterun waits without end for that
host's daemon to stop its ranks, though they end themselves at LUATORCH_DIST_TIMEOUT.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from typing import IO, Callable, Dict, List, Mapping, Optional, Sequence

# Open MPI's report of a rank that died (prterun/mpirun, 0-based ranks), and of one that
# exited with an error status
_SIGNALLED = re.compile(r"process rank (\d+) with PID (\d+) on node (\S+) exited on\s+"
                        r"signal (\d+)(?: \(([^)]*)\))?")
_FAILED = re.compile(r"Process name:\s*\[[^\]]*,(\d+)\].*?Exit code:\s*(\d+)", re.S)
_RULE = re.compile(r"^-{20,}\s*$")
# a rank's TCP peer that went away, and the MPI_ERRORS_ARE_FATAL lines of the rank it left
_DISCONNECT = re.compile(r"peer process has\s+unexpectedly disconnected.*?Local host:\s*(\S+)"
                         r".*?Peer host:\s*(\S+)", re.S)
_ABORT_LINE = re.compile(r"^[\s\0]*\[[^\]]+\] \*\*\* |^[\s\0]*\[[^\]]+\]\[\[[\d,]+\],\d+\]"
                         r"\[[^\]]*btl_tcp")
_PEER = re.compile(r"btl_tcp\S* peer: (\S+)")
_ABORTED = re.compile(r"exited due to process rank \d+ with PID \d+ on node (\S+) calling\s+"
                      r"\"abort\"")
# the seconds prterun has to end once it reported a failure, before it is stopped: it waits
# without end for the daemon of a host it cannot reach
GRACE_S = 5.0
# settings the ranks on other hosts get as the launcher has them (mpiexec -x): a remote
# daemon starts them with the login's environment, not ours
_FORWARD = re.compile(r"^(PYTHONPATH|LUATORCH_\w+)$")


def parse_np(raw: str) -> Optional[int]:
    """The process count from --np, or None when it is not a positive integer."""
    try:
        n = int(raw)
    except (TypeError, ValueError):
        return None
    return n if n >= 1 else None


def find_mpiexec() -> Optional[str]:
    """mpiexec beside this Python (the `mpi` extra's Open MPI), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def command(n: int, child: Sequence[str], tag_output: bool = False,
            hostfile: Optional[str] = None,
            env: Optional[Mapping[str, str]] = None) -> List[str]:
    """The mpiexec command line starting `child` n times, here or on `hostfile`'s hosts."""
    exe = find_mpiexec()
    cmd = [exe or "mpiexec", "-n", str(n)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    if hostfile is not None:
        # the hostfile's slots say how many ranks each host takes
        cmd += ["--hostfile", hostfile]
        for k in sorted(os.environ if env is None else env):
            if _FORWARD.match(k):
                cmd += ["-x", k]
    elif n > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    if tag_output:
        cmd.append("--tag-output")
    return cmd + [sys.executable, "-m", "luatorch.cli", "run"] + list(child)


def lost_rank_line(block: str, n: int) -> Optional[str]:
    """One line, with distlearn's 1-based node numbers, for Open MPI's report of a lost rank."""
    text = " ".join(block.split())
    m = _SIGNALLED.search(text)
    if m:
        rank, pid, node, sig, name = m.groups()
        why = f"signal {sig}" + (f" ({name})" if name else "")
        return (f"luatorch: rank {int(rank) + 1} of {n} (pid {pid} on {node}) was lost: {why}; "
                "the other ranks were stopped")
    m = _FAILED.search(block)
    if m:
        rank, code = m.groups()
        return (f"luatorch: rank {int(rank) + 1} of {n} exited with status {code}; "
                "the other ranks were stopped")
    return None


def _relay(stream: IO[str], n: int, out: IO[str],
           failed: Optional[threading.Event] = None) -> None:
    """Copy mpiexec's stderr to ours, replacing Open MPI's boxed report of a lost rank by one
    line; every other box and line passes unchanged. `failed` is set once a rank failed.

    A rank lost on another host shows as a peer that disconnected, then the survivor's abort:
    those become one line naming the lost rank's host (Open MPI does not say which rank).
    MPI_ERRORS_ARE_FATAL lines wait for the report they belong to, or the end."""
    box: Optional[List[str]] = None
    # the disconnect box and abort lines held back until Open MPI says how the job ended
    held: List[str] = []
    lost: Optional[str] = None

    def say(text: str) -> None:
        out.write(text)
        out.flush()

    for line in stream:
        if box is None:
            if _RULE.match(line):
                box = [line]
            elif _ABORT_LINE.match(line):
                # the survivor's stderr and Open MPI's boxes come by different ways: these
                # may come before the disconnect box they follow
                held.append(line)
            else:
                say(line)
            continue
        box.append(line)
        if not _RULE.match(line):
            continue
        text, box = "".join(box), None
        one = lost_rank_line(text, n)
        gone = _DISCONNECT.search(text)
        if gone and lost is None:
            lost = (f"luatorch: a rank on {gone.group(2)} was lost (its connection to the rank "
                    f"on {gone.group(1)} closed); the other ranks were stopped")
            held.append(text)
            continue
        aborted = _ABORTED.search(" ".join(text.split()))
        if one is None and aborted and lost is None and any(
                "Socket closed" in h or _PEER.search(h) for h in held):
            # the disconnect box does not always come: the survivor's own lines say as much
            peer = next((m.group(1) for m in map(_PEER.search, held) if m), None)
            on = f" on {peer}" if peer else ""
            lost = (f"luatorch: a rank{on} was lost (its connection to the rank on "
                    f"{aborted.group(1)} closed); the other ranks were stopped")
        if one is None and lost is not None and aborted:
            one = lost
        if one is not None:
            # the held report was this failure seen from the survivor's side
            held, lost = [], None
            if failed is not None:
                failed.set()
            say(one + "\n")
        else:
            say(text)
    if box:
        held.append("".join(box))
    if held:
        say("".join(held))


def environment(n: int, base: Optional[Mapping[str, str]] = None,
                hostfile: Optional[str] = None) -> Dict[str, str]:
    """The ranks' environment: `base` (default ours) with the cores' BLAS threads split
    among the n ranks, unless the user chose a thread count or the ranks go to a hostfile's
    hosts (each rank then splits its own node's cores, at distlearn.init())."""
    env = dict(os.environ if base is None else base)
    if hostfile is None and not any(v in env for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
        # NOTE: idle OpenBLAS threads spin; 4 ranks with a thread per core each took 5x longer
        # per LeNet step on 2 cores (6.3 against 32 steps/s) than with one thread each
        env["OPENBLAS_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // n))
    return env


def launch(n: int, child: Sequence[str], tag_output: bool = False,
           ready: Optional[Callable[[], Optional[int]]] = None,
           hostfile: Optional[str] = None) -> int:
    """Run `child` (luatorch run's arguments) on n ranks; returns the job's exit code.

    `ready`, once MPI is found, may refuse the job by returning an exit code (the command
    line's check that the script exists, said once rather than by every rank)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("luatorch: --np needs MPI: pip install 'luatorch[mpi]' (mpi4py and Open MPI)",
              file=sys.stderr)
        return 2
    if find_mpiexec() is None:
        print("luatorch: --np needs an mpiexec on PATH: pip install 'luatorch[mpi]'",
              file=sys.stderr)
        return 2
    refused = ready() if ready is not None else None
    if refused is not None:
        return refused
    try:
        proc = subprocess.Popen(command(n, child, tag_output, hostfile),
                                env=environment(n, hostfile=hostfile), stderr=subprocess.PIPE,
                                text=True, bufsize=1, errors="replace")
    except OSError as e:
        print(f"luatorch: could not start mpiexec: {e}", file=sys.stderr)
        return 1
    failed = threading.Event()
    relay = threading.Thread(target=_relay, args=(proc.stderr, n, sys.stderr, failed),
                             daemon=True)
    relay.start()
    try:
        while proc.poll() is None:
            if failed.wait(0.2):
                return _stop_after_failure(proc, relay)
        relay.join(timeout=5)
        return proc.returncode
    except KeyboardInterrupt:
        # mpiexec got the same Ctrl-C from the terminal and is stopping every rank
        try:
            return proc.wait(timeout=30)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            proc.kill()
            return 130


def _stop_after_failure(proc: "subprocess.Popen[str]", relay: threading.Thread) -> int:
    """mpiexec's exit code once it has reported a failed rank; it is killed when it has not
    ended within GRACE_S (it waits without end for a host it cannot reach)."""
    try:
        code = proc.wait(timeout=GRACE_S)
        relay.join(timeout=5)
        return code
    except subprocess.TimeoutExpired:
        pass
    # prterun keeps waiting through SIGTERM; the ranks it can reach were stopped already.
    # Its remote shells (ssh) go too: left behind, they hold our stderr open
    for pid in [proc.pid] + _descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proc.wait()
    relay.join(timeout=1)
    print(f"luatorch: mpiexec was stopped {GRACE_S:g} s after the failure: a host did not "
          "answer (its ranks end at LUATORCH_DIST_TIMEOUT)", file=sys.stderr)
    return 1


def _descendants(pid: int) -> List[int]:
    """The processes below `pid`, from /proc (none where there is no /proc)."""
    parent: Dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for e in entries:
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                parent[int(e)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found: List[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    return found
