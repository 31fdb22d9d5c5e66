"""Route selection, plan-cache keys and eviction, and cudnn's modes from Lua: the parts of the
GPU routes that need no GPU (kernels/routes.py).  The routes' numerics are checked against the
NumPy kernels in tests/test_gpu_routes.py, on a real GPU."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.kernels import routes
from luatorch.kernels.routes import CUDNN, FUSED, GENERIC, Flags, PlanCache, plan_key, select
from luatorch.runtime import Runtime


@pytest.fixture(autouse=True)
def _fresh_flags():
    """Every test starts from the default modes and leaves them so."""
    saved = Flags(**vars(routes.flags))
    yield
    for k, v in vars(saved).items():
        setattr(routes.flags, k, v)


# -- selection ------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(routes.CUDNN_OPS))
def test_cudnn_ops_go_to_cudnn_only_on_a_gpu_with_the_frontend(op):
    assert select(op, gpu=True, frontend=True, dtype="float32") == CUDNN
    assert select(op, gpu=True, frontend=False, dtype="float32") == GENERIC
    assert select(op, gpu=False, frontend=True, dtype="float32") == GENERIC


@pytest.mark.parametrize("op", sorted(routes.FUSED_OPS))
def test_fused_ops_go_to_cupy_kernels_on_a_gpu_whatever_the_frontend(op):
    for frontend in (True, False):
        assert select(op, gpu=True, frontend=frontend, dtype="float32") == FUSED
    assert select(op, gpu=False, frontend=True, dtype="float32") == GENERIC


def test_switches_and_element_types_send_ops_back_to_the_generic_route():
    f = Flags(cudnn=False, fused=False)
    assert select("conv_fprop", True, True, "float32", f) == GENERIC
    assert select("sgd", True, True, "float32", f) == GENERIC
    # cuDNN convolves doubles but normalizes only floats here; nothing serves integers
    assert select("conv_fprop", True, True, "float64") == CUDNN
    assert select("bn_train", True, True, "float64") == GENERIC
    assert select("conv_fprop", True, True, "int64") == GENERIC
    assert select("sgd", True, False, "int32") == GENERIC
    # pooling has no node in the frontend's graph API: never cuDNN
    assert select("max_pool", True, True, "float32") == GENERIC


def test_numpy_arrays_take_the_generic_route_without_probing_anything():
    probe = routes.frontend_available
    before = probe.result
    a = np.zeros((2, 3), np.float32)
    for op in sorted(routes.CUDNN_OPS | routes.FUSED_OPS):
        assert routes.pick(op, a) == GENERIC
    assert probe.result is before


def test_the_probe_says_why_the_frontend_cannot_serve():
    p = routes._Probe()
    ok = p()
    assert p.result is ok
    if not ok:  # this machine: no frontend, or no cuDNN library behind it
        assert "cudnn" in p.reason.lower() and p.version == 0


# -- plan cache ------------------------------------------------------------------------------
def test_plan_keys_tell_apart_shapes_strides_dtypes_parameters_devices_and_modes():
    x = np.zeros((2, 3, 8, 8), np.float32)
    w = np.zeros((4, 3, 3, 3), np.float32)
    base = plan_key("conv_fprop", 0, (x, w), ((1, 1), (1, 1), (1, 1)))
    assert base == plan_key("conv_fprop", 0, (x.copy(), w.copy()), ((1, 1), (1, 1), (1, 1)))
    others = [
        plan_key("conv_dgrad", 0, (x, w), ((1, 1), (1, 1), (1, 1))),
        plan_key("conv_fprop", 1, (x, w), ((1, 1), (1, 1), (1, 1))),
        plan_key("conv_fprop", 0, (x[:1], w), ((1, 1), (1, 1), (1, 1))),
        plan_key("conv_fprop", 0, (x.transpose(0, 1, 3, 2), w), ((1, 1), (1, 1), (1, 1))),
        plan_key("conv_fprop", 0, (x.astype(np.float64), w), ((1, 1), (1, 1), (1, 1))),
        plan_key("conv_fprop", 0, (x, w), ((0, 0), (1, 1), (1, 1))),
        plan_key("conv_fprop", 0, (x, w), ((1, 1), (1, 1), (1, 1)), Flags(benchmark=True)),
        plan_key("conv_fprop", 0, (x, w), ((1, 1), (1, 1), (1, 1)), Flags(deterministic=True)),
        plan_key("conv_fprop", 0, (x, w), ((1, 1), (1, 1), (1, 1)), Flags(fastest=True)),
    ]
    assert len({base, *others}) == len(others) + 1
    # a transposed view has the same shape but other strides: described in elements
    assert routes.geometry(x.transpose(0, 1, 3, 2))[0][1] == (192, 64, 1, 8)


def test_plan_cache_counts_hits_misses_and_evicts_the_least_recently_used():
    c = PlanCache(capacity=2)
    built = []

    def builder(name):
        return lambda: built.append(name) or name

    assert c.get("a", builder("a")) == "a"
    assert c.get("b", builder("b")) == "b"
    assert c.get("a", builder("a2")) == "a"        # hit: not rebuilt, now the most recent
    assert c.get("c", builder("c")) == "c"         # evicts b, the least recently used
    assert set(c.plans) == {"a", "c"}
    assert c.get("b", builder("b2")) == "b2"       # rebuilt after eviction (evicts a)
    assert built == ["a", "b", "c", "b2"]
    assert c.stats() == {"size": 2, "capacity": 2, "hits": 1, "misses": 4, "evictions": 2,
                         "declined": 0}
    c.clear()
    assert c.stats()["size"] == 0 and c.stats()["misses"] == 4


def test_a_failed_build_caches_nothing():
    c = PlanCache()

    def boom():
        raise RuntimeError("no plan")

    with pytest.raises(RuntimeError):
        c.get("k", boom)
    assert "k" not in c.plans
    assert c.get("k", lambda: 7) == 7


def test_a_declined_plan_is_remembered_and_sends_its_key_to_the_generic_route(capsys):
    c = PlanCache()
    calls = []

    def refuse():
        calls.append(1)
        raise RuntimeError("cudnnGraphNotSupportedError: no engine")

    key = ("conv_wgrad", 0, (((1, 2), (2, 1), "float32"),), (), ())
    routes.flags.verbose = True
    assert c.try_get(key, refuse) is None
    assert c.try_get(key, refuse) is None          # not tried again
    assert calls == [1]
    assert "no engine" in c.declined[key]
    assert "cudnn: no plan for conv_wgrad" in capsys.readouterr().err
    assert c.stats()["declined"] == 1 and c.stats()["size"] == 0
    assert c.try_get("other", lambda: "p") == "p"
    c.clear()                                       # a cleared cache tries again
    assert c.try_get(key, lambda: "built") == "built"


def test_verbose_names_each_new_plan(capsys):
    routes.flags.verbose = True
    c = PlanCache()
    c.get(("conv_fprop", 0, (((1, 2), (2, 1), "float32"),), (), ()), lambda: "p")
    c.get(("conv_fprop", 0, (((1, 2), (2, 1), "float32"),), (), ()), lambda: "p")
    err = capsys.readouterr().err
    assert err.count("cudnn: new plan for conv_fprop") == 1


# -- cudnn's modes from Lua --------------------------------------------------------------------
@pytest.fixture(scope="module")
def crt() -> Runtime:
    r = Runtime()
    r.execute("require 'cudnn'")
    return r


def test_cudnn_modes_reach_the_kernels(crt):
    assert routes.flags.benchmark is False
    for name in ("benchmark", "fastest", "deterministic", "verbose", "tf32"):
        crt.execute(f"cudnn.{name} = true")
        assert getattr(routes.flags, name) is True, name
        assert crt.eval(f"cudnn.{name}") is True
        crt.execute(f"cudnn.{name} = false")
        assert getattr(routes.flags, name) is False, name
        assert crt.eval(f"cudnn.{name}") is False
    # any Lua value counts as its truth, as cudnn.torch's `if cudnn.benchmark then`
    crt.execute("cudnn.benchmark = 1")
    assert routes.flags.benchmark is True and crt.eval("cudnn.benchmark") is True
    crt.execute("cudnn.benchmark = nil")
    assert routes.flags.benchmark is False
    # other fields stay plain fields
    crt.execute("cudnn.myField = 3")
    assert crt.eval("rawget(cudnn, 'myField')") == 3


def test_cudnn_routes_and_version_without_a_gpu(crt):
    info = crt.eval("cudnn.routes()")
    got = {k: info[k] for k in info}
    assert got["frontend"] == routes.frontend_available.reason != "not probed yet"
    assert got["plans_capacity"] == routes.plans.capacity
    assert {"cudnn", "fused", "benchmark", "fastest", "deterministic", "plans_hits"} <= set(got)
    # no real GPU here: the version the R7 bindings served
    assert crt.eval("cudnn.version") == 7605
    crt.execute("cudnn.clearPlans()")
    assert routes.plans.stats()["size"] == 0


def test_requiring_cudnn_again_resets_nothing_it_should_keep(crt):
    crt.execute("cudnn.fastest = true")
    assert crt.eval("require('cudnn') == cudnn and cudnn.fastest") is True
    crt.execute("cudnn.fastest = false")


def test_a_plan_failing_on_its_first_run_is_declined_later_failures_are_errors():
    from luatorch.kernels import cudnn_frontend

    class Plan:
        def __init__(self, fail_first: bool) -> None:
            self.ran, self.calls, self.fail_first = False, [], fail_first

        def run(self, *buffers):
            self.calls.append(buffers)
            if self.fail_first or len(self.calls) > 2:
                raise ValueError("variant pack refused")

    saved = routes.plans
    routes.plans = PlanCache()
    try:
        bad = Plan(fail_first=True)
        routes.plans.plans["k1"] = bad
        assert cudnn_frontend._execute("k1", bad, (1, 2)) is False
        assert "k1" not in routes.plans.plans
        assert routes.plans.declined["k1"].startswith("first run: ValueError")
        assert routes.plans.try_get("k1", lambda: bad) is None
        good = Plan(fail_first=False)
        routes.plans.plans["k2"] = good
        assert cudnn_frontend._execute("k2", good, (3,)) is True
        assert cudnn_frontend._execute("k2", good, (4,)) is True
        with pytest.raises(ValueError):
            cudnn_frontend._execute("k2", good, (5,))
        assert cudnn_frontend._execute("k3", None, ()) is False
    finally:
        routes.plans = saved
