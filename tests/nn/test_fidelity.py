"""Departures of existing nn modules from Torch7 that its own test suite (torch/nn test.lua) and
real .t7 files exposed (issue 11): each test fails on the behaviour before the fix."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .gradcheck import check_module, get, load_nn, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


# -- BatchNormalization: one sample in evaluation, a batch of one in training -------------------
BN_SHAPES = [("BatchNormalization", (1, 3)), ("SpatialBatchNormalization", (1, 3, 2, 2)),
             ("VolumetricBatchNormalization", (1, 3, 2, 2, 2))]


@pytest.mark.parametrize("name,shape", BN_SHAPES)
def test_bn_batch_of_one_in_training_uses_running_stats(nnrt: Runtime, name: str,
                                                        shape: tuple) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    put(nnrt, "_x", x)
    nnrt.execute(f"_m = nn.{name}(3); _m.weight:fill(2); _m.bias:fill(0.5)"
                 "; _m.running_mean:fill(0.25); _m.running_var:fill(4)"
                 "; _o = _m:forward(_x); _gi = _m:backward(_x, _o)")
    np.testing.assert_array_equal(get(nnrt, "_m.running_mean"), [0.25] * 3)
    np.testing.assert_array_equal(get(nnrt, "_m.running_var"), [4.0] * 3)
    np.testing.assert_allclose(get(nnrt, "_o"), (x - 0.25) / np.sqrt(4 + 1e-5) * 2 + 0.5)
    check_module(nnrt, f"nn.{name}(3)", x, params=[("weight", "gradWeight")])


@pytest.mark.parametrize("name,shape", BN_SHAPES)
def test_bn_one_sample_in_evaluation_is_a_batch_of_one(nnrt: Runtime, name: str,
                                                       shape: tuple) -> None:
    x = np.random.default_rng(1).standard_normal(shape)
    put(nnrt, "_x", x)
    nnrt.execute(f"_m = nn.{name}(3); _m:evaluate(); _m.running_mean:fill(0.25)"
                 "; _b = _m:forward(_x):clone(); _o = _m:forward(_x[1])"
                 "; _gi = _m:backward(_x[1], _o)")
    assert nnrt.eval("_o:dim()") == len(shape)
    assert nnrt.eval("_x[1]:dim()") == len(shape) - 1
    np.testing.assert_array_equal(get(nnrt, "_o"), get(nnrt, "_b"))
    assert get(nnrt, "_gi").shape == shape
    check_module(nnrt, f"nn.{name}(3)", x[0], setup="_m:evaluate()")


# -- Module:share: a flag, so that shared models save and load -----------------------------------
def test_share_marks_shared_and_round_trips_through_t7(nnrt: Runtime, tmp_path) -> None:
    f = tmp_path / "shared.t7"
    nnrt.execute("_a = nn.Linear(3, 2); _b = nn.Linear(3, 2); _b:share(_a, 'weight', 'bias')"
                 "; _s = nn.Sequential():add(_a):add(_b)"
                 f"; torch.save('{f}', _s); _l = torch.load('{f}')")
    assert nnrt.eval("_a.shared == true and _b.shared == true")
    assert nnrt.eval("rawget(_b, 'accUpdateGradParameters') == nil")
    assert nnrt.eval("torch.pointer(_l:get(1).weight:storage())"
                     " == torch.pointer(_l:get(2).weight:storage())")
    # a shared module's update zeroes, accumulates and steps through its gradients (Linear
    # updates its weights directly either way)
    x = np.random.default_rng(2).standard_normal(3)
    put(nnrt, "_x", x)
    nnrt.execute("_a = nn.CMul(3); _b = nn.CMul(3); _b:share(_a, 'weight')"
                 "; _w0 = _a.weight:clone(); _b.gradWeight:fill(7); _b:forward(_x)"
                 "; _b:backwardUpdate(_x, torch.ones(3), 0.5)")
    np.testing.assert_allclose(get(nnrt, "_a.weight"), get(nnrt, "_w0") - 0.5 * x)
    np.testing.assert_allclose(get(nnrt, "_b.gradWeight"), x)
