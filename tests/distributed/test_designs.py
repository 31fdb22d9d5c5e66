"""The parameter server and gossip averaging across 4 real processes on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("mpi4py")
HERE = os.path.dirname(__file__)
LUATORCH = [sys.executable, "-m", "luatorch.cli", "run"]


def _run(script: str, np_: int = 4, env: dict = None, timeout: int = 120):
    cmd = LUATORCH + (["--np", str(np_)] if np_ > 1 else []) + [os.path.join(HERE, script)]
    return subprocess.run(cmd, env=dict(os.environ, **(env or {})), capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.mpi
def test_staleness_zero_is_synchronous_sgd_and_complete_gossip_is_allreduce():
    r = _run("designs.lua")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("ps servers=1 sgd", "ps servers=2 adam", "ps servers=4 adam", "ps staleness",
                 "ps downpour", "gossip stale", "gossip complete every=1",
                 "gossip complete every=2", "ring", "hypercube",
                 "random"):
        assert len(re.findall(rf"^{name} ok", r.stdout, re.M)) == 4, r.stdout + r.stderr
    # the slow first worker let the other two run ahead, never beyond the bound
    ahead = [int(a) for a in re.findall(r"staleness ok \(ran ahead by (\d+)", r.stdout)]
    assert max(ahead) >= 1 and max(ahead) <= 2, r.stdout
    # without a bound they ran further ahead than that
    ahead = [int(a) for a in re.findall(r"downpour ok \(ran ahead by (\d+)", r.stdout)]
    assert max(ahead) > 2, r.stdout


def test_designs_run_in_one_process():
    r = _run("designs.lua", np_=1)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ps servers=1 adam ok" in r.stdout and "random ok" in r.stdout


@pytest.mark.mpi
def test_parameter_server_drops_a_silent_worker_and_goes_on():
    r = _run("faults.lua", env={"FAULT": "ps"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "server node 1 dropped worker 2 (node 3): silent for" in r.stderr
    finals = re.findall(r"node (\d) (?:finished|served): (\S+)", r.stdout)
    assert sorted(n for n, _ in finals) == ["1", "2", "4"], r.stdout
    assert len({v for _, v in finals}) == 1, r.stdout
    assert "node 3 woke: ParameterServer: the servers dropped this worker (node 3)" in r.stdout
    assert "Traceback" not in r.stderr


@pytest.mark.mpi
def test_workers_fail_with_one_line_when_the_server_stops_answering():
    r = _run("faults.lua", env={"FAULT": "server", "FAULT_TIMEOUT": "1"}, timeout=60)
    assert r.returncode != 0
    assert re.search(r"faults.lua:\d+: ParameterServer: pull on node \d: the servers did not "
                     r"answer within 2 s", r.stderr), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.mpi
def test_gossip_routes_around_a_silent_node_and_the_rest_agree():
    r = _run("faults.lua", env={"FAULT": "gossip"})
    assert r.returncode == 0, r.stdout + r.stderr
    for n in (2, 4):
        assert f"node {n} dropped its link to node 3 (no answer within 1.5 s)" in r.stderr
    # only the links to node 3 went: nodes 1, 2 and 4 kept theirs
    assert "dropped its link to node 1" not in r.stderr, r.stderr
    assert "node 3 has no neighbours left" in r.stderr
    values = {int(n): float(v) for n, v in re.findall(r"node (\d) value (\S+)", r.stdout)}
    assert sorted(values) == [1, 2, 3, 4], r.stdout
    live = [values[1], values[2], values[4]]
    assert max(live) - min(live) < 1e-4, values
    assert abs(values[3] - live[0]) > 1e-3, values


@pytest.mark.parametrize("case, message", [
    ("servers", "bad_designs.lua:7: ParameterServer: servers must be a whole number from 1 to 1, "
                "got 3"),
    ("topo", "bad_designs.lua:9: Gossip: topology must be 'ring', 'hypercube', 'random' or "
             "'complete', got 'star'"),
    ("push", "bad_designs.lua:12: ParameterServer: push needs a gradient of 4 elements"),
])
def test_bad_arguments_are_lua_errors_at_the_callers_line(case, message):
    r = subprocess.run(LUATORCH + [os.path.join(HERE, "bad_designs.lua"), case],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def _final_accuracy(design: str) -> float:
    script = os.path.join(HERE, "..", "..", "models", "lenet_digits_dist.lua")
    args = [script, "-design", design, "-epochs", "16", "-batch", "64", "-optim", "adam",
            "-lr", "0.01", "-lrDecay", "0.01", "-minAccuracy", "0"]
    r = subprocess.run(LUATORCH + ["--np", "4"] + args, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"final test accuracy ([\d.]+)% \(4 processes, " + design, r.stdout)
    assert m, r.stdout
    return float(m.group(1))


@pytest.mark.mpi
@pytest.mark.slow
def test_lenet_parameter_server_and_gossip_reach_synchronous_sgds_accuracy():
    sync = _final_accuracy("allreduce")
    gossip = _final_accuracy("gossip")  # ring, every step
    # node 1 serves, staleness 4. NOTE: the order in which pushes arrive differs from run to
    # run, and with it the held-out accuracy (7 runs here: 96.30 to 98.32, mean 97.55, against
    # 97.64 for synchronous SGD): the test takes the mean of three runs (a mean of two fell
    # more than a point short in about 3% of runs, by the spread measured)
    ps = sum(_final_accuracy("ps") for _ in range(3)) / 3
    assert sync >= 95, sync
    assert abs(gossip - sync) <= 1, (sync, gossip)
    assert abs(ps - sync) <= 1, (sync, ps)


def test_ranks_share_the_cores_blas_threads():
    from luatorch.dist.launch import environment

    cores = os.cpu_count() or 1
    assert environment(4, {})["OPENBLAS_NUM_THREADS"] == str(max(1, cores // 4))
    assert environment(1, {})["OPENBLAS_NUM_THREADS"] == str(cores)
    # the user's choice stands
    assert environment(4, {"OMP_NUM_THREADS": "3"}) == {"OMP_NUM_THREADS": "3"}
    assert environment(4, {"OPENBLAS_NUM_THREADS": "2"})["OPENBLAS_NUM_THREADS"] == "2"


@pytest.mark.mpi
def test_a_node_that_never_builds_its_side_ends_the_job_after_the_timeout():
    cmd = LUATORCH + ["--np", "2", os.path.join(HERE, "bad_designs.lua"), "half"]
    r = subprocess.run(cmd, env=dict(os.environ, LUATORCH_DIST_TIMEOUT="1"),
                       capture_output=True, text=True, timeout=25)
    assert r.returncode != 0
    assert "distlearn: openChannel on rank 1 timed out after 1 s" in r.stderr, r.stderr
