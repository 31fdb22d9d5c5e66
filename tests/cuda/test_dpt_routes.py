"""DataParallelTable's reduction routes (NCCL or device copies) and its per-replica streams.

The route is chosen from what the script asked (useNCCL, flattenParams) and what the machine
has; on virtual GPUs it is always the copy route, with the same results as the bare model.
The NCCL route and the streams need real GPUs: those tests are marked `gpu`.
"""

from __future__ import annotations

import numpy as np
import pytest

from luatorch import backend
from luatorch.backend import cuda as cuda_backend
from luatorch.dist.replicas import choose_route
from luatorch.runtime import LuaError, Runtime
from tests.conftest import arr
from tests.cuda.test_parallel import CONVNET

ALL = dict(want_nccl=True, flat=True, gpus=[1, 2], real=True, nccl_loads=True,
           launch_blocking=False)


@pytest.mark.parametrize("change,route,why", [
    ({}, "nccl", "NCCL over the GPUs"),
    ({"want_nccl": False}, "copy", "useNCCL was not asked for"),
    ({"flat": False}, "copy", "flattenParams"),
    ({"gpus": [2]}, "copy", "fewer than two GPUs"),
    ({"gpus": [1, 1]}, "copy", "fewer than two GPUs"),
    ({"gpus": [1, 2, 2]}, "copy", "a GPU holds two replicas"),
    ({"real": False}, "copy", "virtual GPUs"),
    ({"launch_blocking": True}, "copy", "CUDA_LAUNCH_BLOCKING=1"),
    ({"nccl_loads": False}, "copy", "luatorch[cuda]"),
])
def test_route_choice(change, route, why):
    got, reason = choose_route(**{**ALL, **change})
    assert got == route and why in reason


@pytest.fixture(scope="module")
def prt() -> Runtime:
    r = Runtime(virtual_gpus=4)
    r.require("cunn")
    return r


@pytest.fixture(autouse=True)
def _four_gpus(request):
    if "prt" in request.fixturenames:
        backend.configure_gpus(4)
    yield


@pytest.mark.parametrize("args,why", [("1, true, true", "virtual GPUs"),
                                      ("1, true", "useNCCL was not asked for"),
                                      ("1", "useNCCL was not asked for")])
def test_virtual_gpus_take_the_copy_route_with_the_bare_models_results(prt, args, why):
    prt.execute(CONVNET + f"""
       single = base:clone()
       dpt = nn.DataParallelTable({args}):add(base:clone(), {{1, 2, 3, 4}})
       train(single, 4)
       train(dpt, 4)
       route, why, streams = dpt:route()
    """)
    assert prt.eval("route") == "copy" and why in prt.eval("why")
    assert prt.eval("streams") is False and prt.eval("dpt.usenccl") is False
    assert prt.eval("maxdiff(single, dpt)") < 1e-5
    assert prt.eval("maxdiff(dpt.replicas[1], dpt.replicas[4])") == 0


def test_an_error_inside_a_replica_leaves_the_table_usable(prt):
    prt.execute(CONVNET + """
       dpt = nn.DataParallelTable(1, true, true):add(base:clone(), {1, 2})
       cutorch.setDevice(3)
    """)
    with pytest.raises(LuaError, match="size"):
        prt.execute("dpt:forward(torch.CudaTensor(4, 2, 8, 8):uniform())")
    assert prt.eval("dpt._active") is None
    prt.execute("cutorch.setDevice(1) o = dpt:forward(x) ref = base:forward(x)")
    np.testing.assert_allclose(arr(prt, "o:float()"), arr(prt, "ref:float()"), atol=1e-6)


def test_use_nccl_survives_a_checkpoint_and_is_decided_again(prt, tmp_path):
    path = str(tmp_path / "dpt.t7")
    prt.execute(CONVNET + f"""
       dpt = nn.DataParallelTable(1, true, true):add(base:clone(), {{1, 2}})
       dpt:forward(x)
       torch.save('{path}', dpt)
       old = nn.DataParallelTable(1, true):add(base:clone(), {{1, 2}})
       old.wantNCCL, old.usenccl = nil, true     -- what cunn's own checkpoints hold
       torch.save('{path}.old', old)
       a, b = torch.load('{path}'), torch.load('{path}.old')
       ra, rb = a:route(), b:route()
    """)
    for v in ("a", "b"):
        assert prt.eval(f"{v}.wantNCCL") is True and prt.eval(f"{v}.usenccl") is False
        assert prt.eval(f"{v}.comm") is not None
    assert prt.eval("ra") == "copy" and prt.eval("rb") == "copy"


def test_nccl_without_flat_parameters_is_refused(prt):
    with pytest.raises(LuaError, match="cannot use nccl without flattenParams"):
        prt.execute("nn.DataParallelTable(1, false, true)")


# -- real GPUs ----------------------------------------------------------------------------------
NREAL = cuda_backend.device_count()


@pytest.fixture()
def grt():
    r = Runtime(virtual_gpus=0)
    r.require("cunn")
    backend.configure_gpus(0)
    yield r


def _train_pair(grt, gpus: str, args: str) -> None:
    grt.execute(CONVNET + f"""
       single = base:clone()
       dpt = nn.DataParallelTable({args}):add(base:clone(), {gpus})
       train(single, 5)
       train(dpt, 5)
       route, why, streams = dpt:route()
       out1, out2 = single:forward(x), dpt:forward(x)
    """)
    assert grt.eval("streams") is True
    assert grt.eval("maxdiff(single, dpt)") < 1e-4
    np.testing.assert_allclose(arr(grt, "out2:float()"), arr(grt, "out1:float()"), atol=1e-4)


@pytest.mark.gpu
@pytest.mark.skipif(NREAL < 1, reason="needs a real GPU")
@pytest.mark.parametrize("gpus", ["{1}", "{1, 1}"])
def test_replica_streams_on_one_real_gpu(grt, gpus):
    # two replicas on one GPU: two streams of one device, ordered by events only
    _train_pair(grt, gpus, "1, true, true")
    assert grt.eval("route") == "copy" and "fewer than two GPUs" in grt.eval("why")


@pytest.mark.gpu
@pytest.mark.skipif(NREAL < 2, reason="needs two real GPUs")
def test_nccl_route_on_real_gpus(grt):
    gpus = "{" + ", ".join(str(i + 1) for i in range(NREAL)) + "}"
    _train_pair(grt, gpus, "1, true, true")
    assert grt.eval("route") == "nccl" and grt.eval("dpt.usenccl") is True
    assert grt.eval(f"maxdiff(dpt.replicas[1], dpt.replicas[{NREAL}])") == 0
