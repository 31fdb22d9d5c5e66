"""distlearn across real processes on loopback (mpiexec from the mpi extra)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from luatorch.cli import main
from tests.distributed.ranks import curve, gone, rank_pids

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
    pids = rank_pids(p, n)
    os.kill(pids[n], 9)
    t0 = time.monotonic()
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("the other ranks did not stop within 30 s") from None
    assert time.monotonic() - t0 < 30
    assert p.returncode != 0
    # one line names the lost rank as distlearn numbers it (Open MPI's box is 0-based)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert re.fullmatch(rf"luatorch: rank {n} of {n} \(pid {pids[n]} on \S+\) was lost: "
                        r"signal 9 \(Killed\); the other ranks were stopped", lines[0]), err
    for pid in pids.values():
        assert gone(pid), f"process {pid} still running"


@pytest.mark.mpi
def test_ctrl_c_on_the_launcher_stops_every_rank():
    """Ctrl-C reaches the launcher's whole process group, as a terminal sends it."""
    cmd = LUATORCH + ["--np", "2", os.path.join(HERE, "hold.lua")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    pids = rank_pids(p, 2)
    os.killpg(p.pid, signal.SIGINT)
    try:
        p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError("Ctrl-C did not stop the job within 30 s") from None
    assert p.returncode != 0
    for pid in pids.values():
        assert gone(pid), f"process {pid} still running"


@pytest.mark.mpi
def test_checkpoint_written_while_a_rank_dies_is_whole(tmp_path):
    """Node 1 saves 16 MB checkpoints in a loop; node 2 is killed mid-save: the file left is a
    whole checkpoint, the last one announced or the one after it."""
    path = tmp_path / "ckpt.t7"
    cmd = LUATORCH + ["--np", "2", os.path.join(HERE, "ckpt.lua"), str(path)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids, last = {}, 0
    while last < 2:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        m = re.match(r"pid (\d+) (\d+)", line)
        if m:
            pids[int(m.group(1))] = int(m.group(2))
        m = re.match(r"saved (\d+)", line)
        if m:
            last = int(m.group(1))
    os.kill(pids[2], 9)
    try:
        out, _ = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("node 1 did not stop within 30 s") from None
    saved = [int(x) for x in re.findall(r"saved (\d+)", out)]
    last = max([last] + saved)
    from luatorch.runtime import Runtime

    rt = Runtime()
    rt.execute(f"c = torch.load('{path}')")
    step = rt.eval("c.step")
    assert step in (last, last + 1)
    assert rt.eval("c.weights:min() == c.step and c.weights:max() == c.step")
    assert rt.eval("c.weights:nElement()") == 2_000_000


@pytest.mark.mpi
def test_local_rank_picks_the_gpu():
    """One process per GPU: each node's default device comes from its local rank."""
    r = _np(2, "device.lua", {"LUATORCH_VIRTUAL_GPUS": "2"})
    assert r.returncode == 0, r.stdout + r.stderr
    found = sorted(re.findall(r"node (\d) device (\d) tensor (\d)", r.stdout))
    assert len(found) == 2, r.stdout
    assert sorted(dev for _, dev, _ in found) == ["1", "2"]
    assert all(dev == t for _, dev, t in found)


def test_lost_rank_box_becomes_one_line():
    import io

    from luatorch.dist.launch import _relay

    box = ("-" * 74 + "\nprterun noticed that process rank 2 with PID 4242 on node n7 exited on\n"
           "signal 9 (Killed).\n" + "-" * 74 + "\n")
    failed = ("-" * 74 + "\nprterun detected that one or more processes exited with non-zero "
              "status,\nthus causing the job to be terminated. The first process to do so "
              "was:\n\n  Process name: [prterun-vm-99@1,0]\n  Exit code:    3\n" + "-" * 74 + "\n")
    other = "-" * 74 + "\nsomething else Open MPI says\n" + "-" * 74 + "\n"
    out = io.StringIO()
    _relay(io.StringIO("a Lua error line\n" + box + failed + other), 4, out)
    assert out.getvalue().splitlines() == [
        "a Lua error line",
        "luatorch: rank 3 of 4 (pid 4242 on n7) was lost: signal 9 (Killed); the other ranks "
        "were stopped",
        "luatorch: rank 1 of 4 exited with status 3; the other ranks were stopped",
    ] + other.splitlines()


@pytest.mark.mpi
def test_collective_timeout_names_the_collective():
    r = _np(2, "hold.lua", {"HOLD_SKIP": "2", "LUATORCH_DIST_TIMEOUT": "1"})
    assert r.returncode != 0
    assert ("hold.lua:15: distlearn: allReduce on rank 1 timed out after 1 s "
            "(LUATORCH_DIST_TIMEOUT)") in r.stderr


@pytest.mark.parametrize("bad", ["0", "-2", "two"])
def test_bad_np(bad, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--np", bad, os.path.join(HERE, "hold.lua")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"luatorch run: --np needs a positive number of processes, got '{bad}'"]


def test_np_with_a_missing_script_says_so_once(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--np", "2", os.path.join(HERE, "no_such_script.lua")])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"cannot open {os.path.join(HERE, 'no_such_script.lua')}: No such file or "
                   "directory"]


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


@pytest.mark.mpi
@pytest.mark.slow
def test_lenet_two_processes_follow_one():
    script = os.path.join(HERE, "..", "..", "models", "lenet_digits_dist.lua")
    args = [script, "-epochs", "2", "-minAccuracy", "0"]
    one = subprocess.run(LUATORCH + args, capture_output=True, text=True, timeout=120)
    two = subprocess.run(LUATORCH + ["--np", "2"] + args, capture_output=True, text=True,
                         timeout=120)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert len(curve(one.stdout)) == 3
    assert curve(two.stdout) == curve(one.stdout)


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
