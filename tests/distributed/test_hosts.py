"""distlearn across two machines: two network namespaces joined by a veth pair
(bench/netns_hosts.sh), `luatorch run --np 2 --hostfile` started on one of them, the rank on
the other started through Open MPI's remote shell agent, the ranks talking TCP over the veth.

Skipped where namespaces cannot be made (not root, no iproute2, a sandbox that forbids them).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from typing import Dict, Iterator, List

import pytest

from luatorch.dist.launch import GRACE_S, _relay
from tests.distributed.ranks import curve, rank_pids

pytest.importorskip("mpi4py")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "bench", "netns_hosts.sh")
LUATORCH = [sys.executable, "-m", "luatorch.cli", "run"]
NET = "10.203.78"
_OUTER = re.compile(r"^(SLURM_|PMIX_|PMI_|OMPI_|OPAL_|PRTE_)")


class Hosts:
    """The two stand-in machines: names, state directory and the settings for a job."""

    def __init__(self, prefix: str, folder: str) -> None:
        self.a, self.b = f"{prefix}-a", f"{prefix}-b"
        self.dir = folder
        self.hostfile = os.path.join(folder, "hostfile")
        self.settings = {"LT_NETNS_PREFIX": prefix, "LT_NETNS_NET": NET,
                         "LT_NETNS_DIR": folder,
                         "LT_NETNS_BIN": os.path.dirname(sys.executable)}

    def env(self, extra: Dict[str, str] = None) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not _OUTER.match(k)}
        env.update(self.settings)
        env.update(PYTHONPATH=ROOT, PRTE_MCA_plm_ssh_agent=os.path.join(self.dir, "rsh"),
                   PRTE_MCA_oob_tcp_if_include=f"{NET}.0/24", OMPI_MCA_btl="tcp,self",
                   OMPI_MCA_btl_tcp_if_include=f"{NET}.0/24")
        env.update(extra or {})
        return env

    def script(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([SCRIPT, *args], env=self.env(), capture_output=True, text=True,
                              timeout=60)

    def on_a(self, argv: List[str]) -> List[str]:
        """argv run on host a, as a login there would."""
        return [os.path.join(self.dir, "on"), self.a] + argv

    def np2(self, args: List[str]) -> List[str]:
        return self.on_a(LUATORCH + ["--np", "2", "--hostfile", self.hostfile] + args)


@pytest.fixture(scope="session")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if not shutil.which("ip") or not shutil.which("unshare"):
        pytest.skip("no ip (iproute2) or unshare on PATH")
    h = Hosts(f"ltt{os.getpid() % 100000}", str(tmp_path_factory.mktemp("netns")))
    try:
        up = h.script("up")
        if up.returncode != 0:
            pytest.skip(f"cannot make network namespaces here: {up.stderr.strip()}")
        yield h
    finally:
        h.script("down")


def _netns(pid: int) -> str:
    return subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.mpi
def test_allreduce_across_hosts_equals_one_machine(hosts):
    script = os.path.join(HERE, "hosts.lua")
    two = subprocess.run(hosts.np2([script]), env=hosts.env(), capture_output=True, text=True,
                         timeout=60)
    assert two.returncode == 0, two.stdout + two.stderr
    one = subprocess.run(LUATORCH + ["--np", "2", script], capture_output=True, text=True,
                         timeout=60)
    assert one.returncode == 0, one.stderr
    nodes = sorted(ln for ln in two.stdout.splitlines() if ln.startswith("node"))
    assert nodes == sorted(ln for ln in one.stdout.splitlines() if ln.startswith("node"))
    assert nodes == [f"node {i} of 2 allReduce 3 3 3" for i in (1, 2)]
    # each rank really ran on its own machine
    assert sorted(ln for ln in two.stdout.splitlines() if ln.startswith("host")) == [
        f"host 1 {hosts.a}", f"host 2 {hosts.b}"]


@pytest.mark.mpi
def test_lenet_across_hosts_follows_one_machine(hosts):
    args = [os.path.join(ROOT, "models", "lenet_digits_dist.lua"), "-epochs", "2",
            "-minAccuracy", "0"]
    two = subprocess.run(hosts.np2(args), env=hosts.env(), capture_output=True, text=True,
                         timeout=120)
    one = subprocess.run(LUATORCH + ["--np", "2"] + args, capture_output=True, text=True,
                         timeout=120)
    assert two.returncode == 0 and one.returncode == 0, two.stderr + one.stderr
    assert len(curve(one.stdout)) == 3
    assert curve(two.stdout) == curve(one.stdout)


@pytest.mark.mpi
def test_killed_remote_rank_ends_the_job_with_one_line(hosts):
    p = subprocess.Popen(hosts.np2([os.path.join(HERE, "hold.lua")]), env=hosts.env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pids = rank_pids(p, 2)
        assert _netns(pids[2]) == hosts.b
        os.kill(pids[2], 9)
        t0 = time.monotonic()
        _, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert time.monotonic() - t0 < 30
    assert p.returncode != 0
    lines = [ln for ln in err.splitlines() if ln.strip(" \0")]
    assert len(lines) == 1, err
    # which of the two Open MPI reports first: the remote daemon's (the signal) or the
    # survivor's socket (a peer gone); both name the lost rank's machine
    assert re.fullmatch(rf"luatorch: (rank 2 of 2 \(pid {pids[2]} on {hosts.b}\) was lost: "
                        rf"signal 9 \(Killed\)|a rank (on {hosts.b} )?was lost \(its "
                        rf"connection to the rank on {hosts.a} closed\)); the other ranks were "
                        "stopped",
                        lines[0]), err


@pytest.mark.mpi
def test_network_partition_ends_with_the_timeout_line(hosts):
    limit = 3
    p = subprocess.Popen(hosts.np2([os.path.join(HERE, "hold.lua")]),
                         env=hosts.env({"LUATORCH_DIST_TIMEOUT": str(limit)}),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rank_pids(p, 2)
        assert hosts.script("cut").returncode == 0
        t0 = time.monotonic()
        _, err = p.communicate(timeout=limit + GRACE_S + 20)
    finally:
        p.kill()
        hosts.script("mend")
    took = time.monotonic() - t0
    assert p.returncode != 0
    assert ("hold.lua:15: distlearn: allReduce on rank 1 timed out after 3 s "
            "(LUATORCH_DIST_TIMEOUT)") in err
    assert "Traceback" not in err
    # prterun waits without end for the cut-off host's daemon; the launcher stops it
    assert took < limit + GRACE_S + 5, (took, err)


def test_remote_peer_lost_becomes_one_line():
    gone = ("-" * 74 + "\nAn MPI communication peer process has unexpectedly disconnected.  This"
            "\nusually indicates a failure in the peer process.\n\n  Local host: n1\n"
            "  Local PID:  77\n  Peer host:  n2\n" + "-" * 74 + "\n")
    fatal = "".join(f"\0[n1:00000] *** {w}\n" for w in ("An error occurred in Socket closed",
                                                         "MPI_ERRORS_ARE_FATAL"))
    abort = ("-" * 74 + "\nprterun has exited due to process rank 0 with PID 0 on node n1 "
             "calling\n\"abort\". This may have caused other processes to be terminated.\n"
             + "-" * 74 + "\n")
    out = io.StringIO()
    _relay(io.StringIO("a line\n" + gone + fatal + abort), 2, out)
    assert out.getvalue().splitlines() == [
        "a line", "luatorch: a rank on n2 was lost (its connection to the rank on n1 closed); "
        "the other ranks were stopped"]
    # the remote daemon's report of the signal wins over the survivor's view
    signalled = ("-" * 74 + "\nprterun noticed that process rank 1 with PID 9 on node n2 "
                 "exited on\nsignal 9 (Killed).\n" + "-" * 74 + "\n")
    out = io.StringIO()
    _relay(io.StringIO(fatal + gone + signalled), 2, out)
    assert out.getvalue().splitlines() == [
        "luatorch: rank 2 of 2 (pid 9 on n2) was lost: signal 9 (Killed); the other ranks "
        "were stopped"]
    # without the disconnect box, the survivor's lines still tell a peer went away
    out = io.StringIO()
    _relay(io.StringIO(fatal + abort), 2, out)
    assert out.getvalue().splitlines() == [
        "luatorch: a rank was lost (its connection to the rank on n1 closed); the other ranks "
        "were stopped"]
    btl = ("[n1][[1255,1],0][/ompi/opal/mca/btl/tcp/btl_tcp_frag.c:127:mca_btl_tcp_frag_send]"
           " peer: n2 mca_btl_tcp_frag_send: writev failed: Connection reset by peer (104)\n")
    out = io.StringIO()
    _relay(io.StringIO(btl + abort), 2, out)
    assert out.getvalue().splitlines() == [
        "luatorch: a rank on n2 was lost (its connection to the rank on n1 closed); the other "
        "ranks were stopped"]
    # an abort that no report explains is shown at the end
    out = io.StringIO()
    _relay(io.StringIO(fatal + "last\n"), 2, out)
    assert out.getvalue() == "last\n" + fatal


def test_hostfile_goes_to_mpiexec_with_the_settings_remote_ranks_need():
    from luatorch.dist.launch import command, environment

    cmd = command(8, ["x.lua"], hostfile="/h", env={"PYTHONPATH": "/p", "LUATORCH_DIST_TIMEOUT":
                                                     "5", "HOME": "/root"})
    assert cmd[cmd.index("--hostfile") + 1] == "/h"
    assert "--oversubscribe" not in cmd
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "-x"] == [
        "LUATORCH_DIST_TIMEOUT", "PYTHONPATH"]
    # thread counts are the remote node's business, not this one's core count
    assert "OPENBLAS_NUM_THREADS" not in environment(2, {}, hostfile="/h")


def test_hostfile_needs_np():
    r = subprocess.run(LUATORCH + ["--hostfile", "h", "x.lua"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == "luatorch run: --hostfile goes with --np N"
