"""distlearn across real processes on loopback (mpiexec from the mpi extra)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from luatorch.cli import main

pytest.importorskip("mpi4py")
HERE = os.path.dirname(__file__)
LUATORCH = [sys.executable, "-m", "luatorch.cli", "run"]


def _np(n: int, script: str, env: dict = None, timeout: int = 60) -> subprocess.CompletedProcess:
    e = dict(os.environ, **(env or {}))
    return subprocess.run(LUATORCH + ["--np", str(n), os.path.join(HERE, script)], env=e,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.mpi
def test_four_ranks_equal_one_whole_batch():
    r = _np(4, "equivalence.lua")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("AllReduceSGD", "TensorDSM sgd", "TensorDSM adam", "AllReduceEA", "uneven"):
        assert r.stdout.count(f"{name} ok") == 4, r.stdout + r.stderr


def test_single_process_runs_unchanged():
    r = subprocess.run(LUATORCH + [os.path.join(HERE, "equivalence.lua")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ok") == 5


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 3])
def test_killed_rank_stops_the_others(n):
    cmd = LUATORCH + ["--np", str(n), os.path.join(HERE, "hold.lua")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids = {}
    while len(pids) < n:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        m = re.match(r"pid (\d+) (\d+)", line)
        if m:
            pids[int(m.group(1))] = int(m.group(2))
    os.kill(pids[n], 9)
    t0 = time.monotonic()
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("the other ranks did not stop within 30 s") from None
    assert time.monotonic() - t0 < 30
    assert p.returncode != 0
    # Open MPI's runtime names the lost rank (0-based) and ends the job
    assert re.search(rf"rank {n - 1}\b", err), err
    for pid in pids.values():
        assert _gone(pid), f"process {pid} still running"


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.mark.mpi
def test_collective_timeout_names_the_collective():
    r = _np(2, "hold.lua", {"HOLD_SKIP": "2", "LUATORCH_DIST_TIMEOUT": "1"})
    assert r.returncode != 0
    assert "allReduce on rank 1 timed out after 1 s (LUATORCH_DIST_TIMEOUT)" in r.stderr


@pytest.mark.parametrize("bad", ["0", "-2", "two"])
def test_bad_np(bad, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--np", bad, os.path.join(HERE, "hold.lua")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"luatorch run: --np needs a positive number of processes, got '{bad}'"]


def test_np_without_mpi_names_the_extra():
    code = ("import sys; sys.modules['mpi4py'] = None; from luatorch.cli import main; "
            "main(['run', '--np', '2', 'x.lua'])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2
    assert "pip install 'luatorch[mpi]'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_timeout_setting():
    r = subprocess.run(LUATORCH + ["-e", "require('distlearn').init().barrier()"],
                       env=dict(os.environ, LUATORCH_DIST="mpi", LUATORCH_DIST_TIMEOUT="soon"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "LUATORCH_DIST_TIMEOUT must be a number of seconds, got 'soon'" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.gpu
def test_nccl_allreduce_on_gpus():
    cp = pytest.importorskip("cupy")
    if cp.cuda.runtime.getDeviceCount() < 1:
        pytest.skip("no GPU")
    r = _np(1, "equivalence.lua", {"LUATORCH_DIST": "nccl"})
    assert r.returncode == 0, r.stderr


def _curve(out: str) -> list:
    return [re.sub(r"\(\d+ processes.*\)", "", ln) for ln in out.splitlines()
            if ln.startswith(("epoch", "final"))]


@pytest.mark.mpi
@pytest.mark.slow
def test_lenet_two_processes_follow_one():
    script = os.path.join(HERE, "..", "..", "models", "lenet_digits_dist.lua")
    args = [script, "-epochs", "2", "-minAccuracy", "0"]
    one = subprocess.run(LUATORCH + args, capture_output=True, text=True, timeout=120)
    two = subprocess.run(LUATORCH + ["--np", "2"] + args, capture_output=True, text=True,
                         timeout=120)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert len(_curve(one.stdout)) == 3
    assert _curve(two.stdout) == _curve(one.stdout)


@pytest.mark.mpi
def test_tensordsm_checkpoint_resumes_on_another_node_count(tmp_path):
    ckpt = str(tmp_path / "dsm.t7")
    script = os.path.join(HERE, "dsm_resume.lua")
    r = subprocess.run(LUATORCH + ["--np", "2", script, "save", ckpt], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(LUATORCH + ["--np", "3", script, "resume", ckpt], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("resumed on 3 ok") == 3


@pytest.mark.mpi
def test_lua_error_on_one_rank_ends_the_job_without_waiting_for_the_timeout():
    r = _np(2, "hold.lua", {"HOLD_FAIL": "2", "LUATORCH_DIST_TIMEOUT": "600"}, timeout=30)
    assert r.returncode != 0
    assert "hold.lua:8: failed on purpose" in r.stderr
    assert "timed out" not in r.stderr
