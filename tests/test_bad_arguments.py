"""Issue 17: every bad argument gets Torch7's error, never Python's words, a hang or a silent
wrong answer.  One test per example in the issue."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from luatorch.runtime import LuaError, Runtime
from tests.fuzz.walker import LEAK_RE


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    r.execute("require 'nn'; x = torch.randn(3, 4)")
    return r


def fails(rt: Runtime, code: str) -> str:
    """The message of the error `code` raises (the test fails if it raises none)."""
    with pytest.raises(LuaError) as info:
        rt.execute(code)
    msg = info.value.message
    assert not LEAK_RE.search(msg), msg
    assert "(command line):1:" in msg, msg
    return msg


@pytest.mark.parametrize("code, name", [
    ("x:random('abc')", "random"),
    ("x:permute('abc', 1)", "permute"),
    ("x:stride({})", None),
    ("x:expandAs()", "expandAs"),
    ("torch.exponential()", None),
    ("torch.cat(x, x, math.huge)", "cat"),
    ("torch.eye(2^31)", "eye"),
    ("x:stride(false)", None),
])
def test_python_words_become_torch7_messages(rt: Runtime, code: str, name: str) -> None:
    msg = fails(rt, code)
    if name:
        assert f"'{name}'" in msg


@pytest.mark.parametrize("mod", ["SpatialReflectionPadding(1, 1, 1, 1)",
                                 "SpatialReplicationPadding(1, 1, 1, 1)",
                                 "SpatialZeroPadding(1, 1, 1, 1)", "Padding(1, 2)"])
def test_padding_layer_given_double_input(rt: Runtime, mod: str) -> None:
    # a float module fed a DoubleTensor: either works (a copy converts) or Torch7's error
    ok, msg = rt.execute(f"return pcall(function() "
                         f"return nn.{mod}:float():forward(torch.randn(1, 3, 3)) end)")
    assert ok or not LEAK_RE.search(str(msg)), msg


def test_forward_of_a_table_names_no_lupa_type(rt: Runtime) -> None:
    fails(rt, "nn.Linear(3, 2):forward({})")


def test_cat_with_a_huge_dimension_fails_at_once(rt: Runtime) -> None:
    assert "invalid dimension 2147483648" in fails(rt, "torch.cat(x, x, 2^31)")
    assert "invalid dimension" in fails(rt, "x:cat(x, 2^31)")


@pytest.mark.parametrize("crit", ["MSECriterion", "AbsCriterion", "SmoothL1Criterion",
                                  "SoftMarginCriterion", "DistKLDivCriterion", "BCECriterion",
                                  "MultiLabelSoftMarginCriterion", "MarginCriterion",
                                  "HingeEmbeddingCriterion"])
@pytest.mark.parametrize("bad", ["nil", "{}"])
def test_elementwise_criterions_refuse_non_tensors(rt: Runtime, crit: str, bad: str) -> None:
    y = "torch.rand(4)" if crit != "HingeEmbeddingCriterion" else "torch.Tensor{1,-1,1,-1}"
    msg = fails(rt, f"nn.{crit}():forward(torch.rand(4), {bad})")
    assert "bad argument #2 to 'forward' (tensor expected" in msg
    msg = fails(rt, f"nn.{crit}():forward({bad}, {y})")
    assert "bad argument #1 to 'forward'" in msg
    fails(rt, f"local c = nn.{crit}(); c:forward(torch.rand(4), {y}); "
              f"c:backward(torch.rand(4), {bad})")


def test_number_targets_refused_where_torch7_wants_a_tensor(rt: Runtime) -> None:
    fails(rt, "nn.MSECriterion():forward(torch.rand(4), 1)")
    fails(rt, "nn.MarginCriterion():forward(torch.rand(4), 1)")
    # HingeEmbeddingCriterion takes a number y for one pair, as nn's own did
    rt.execute("nn.HingeEmbeddingCriterion():forward(torch.rand(1), -1)")


@pytest.mark.parametrize("code", ["torch.randn(2, 3):transpose(1, -1)",
                                  "torch.randn(2, 3):transpose(0, 1)",
                                  "torch.randn(2, 3):unsqueeze(0)",
                                  "torch.randn(2, 1):squeeze(0)",
                                  "torch.randn(2, 1):permute(2, 0)",
                                  "torch.squeeze(torch.randn(2, 1), 0)"])
def test_dimensions_below_one_raise(rt: Runtime, code: str) -> None:
    assert "out of range" in fails(rt, code)


def test_negative_indices_kept_where_torch7_documents_them(rt: Runtime) -> None:
    assert rt.eval("torch.range(1, 5):sub(-2, -1):sum()") == 9
    assert rt.eval("torch.range(1, 5)[-1]") == 5
    assert rt.eval("torch.range(1, 6):view(2, 3)[-1][1]") == 4
    assert rt.eval("torch.range(1, 6):view(2, 3)[{-1, -1}]") == 6
    assert rt.eval("torch.range(1, 6):view(2, 3)[{-1}]:sum()") == 15
    assert rt.eval("(function() local x = torch.zeros(2, 3) x[-1] = 7 return x:sum() end)()") == 21


def test_fractional_index_truncates(rt: Runtime) -> None:
    assert rt.eval("torch.range(1, 5)[1.5]") == 1
    assert rt.eval("torch.range(1, 6):view(2, 3)[2.7][1]") == 4


def test_expand_of_an_empty_tensor_fails(rt: Runtime) -> None:
    assert "empty" in fails(rt, "torch.FloatTensor():expand(5):sum()")


def test_classnll_target_size_must_match_the_batch(rt: Runtime) -> None:
    fails(rt, "nn.ClassNLLCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 2})")


def test_prelu_refuses_a_table(rt: Runtime) -> None:
    assert "bad argument #1 to 'forward'" in fails(rt, "nn.PReLU():forward({})")


def test_add_with_a_forgotten_gradient_raises(rt: Runtime) -> None:
    msg = fails(rt, "local p = torch.randn(3); p:add(-0.1, nil)")
    assert "invalid arguments: " in msg
    fails(rt, "local p = torch.randn(3); p:mul(2, nil)")
    fails(rt, "local p = torch.randn(3); p:csub(torch.randn(3), nil)")
    # the forms that are right still work
    assert rt.eval("torch.ones(3):add(2):sum()") == 9
    assert rt.eval("torch.ones(3):add(torch.ones(3)):sum()") == 6
    assert rt.eval("torch.ones(3):add(2, torch.ones(3)):sum()") == 9


def test_uniform_over_an_infinite_range_prints_no_python_warning(tmp_path) -> None:
    script = tmp_path / "u.lua"
    script.write_text("local t = torch.randn(3):uniform(-math.huge, math.huge)\n")
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "RuntimeWarning" not in r.stderr and ".py" not in r.stderr, r.stderr


def test_escaping_python_exception_keeps_its_traceback_for_debug(rt: Runtime) -> None:
    with pytest.raises(LuaError) as info:
        rt.execute("x:random('abc')")
    assert "invalid arguments to 'random'" in info.value.message
    assert "Traceback (most recent call last)" in info.value.traceback


# -- torch.save ----------------------------------------------------------------------------------
def test_save_to_an_unwritable_path_creates_nothing(rt: Runtime, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    for path in ["", str(tmp_path), str(blocker / "x.t7"), str(tmp_path / "no" / "x.t7")]:
        msg = fails(rt, f"torch.save({path!r}, x)")
        assert "cannot open <" in msg
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_save_sweeps_a_stale_temporary_file(rt: Runtime, tmp_path) -> None:
    # a pid no process has: the save that wrote it was killed
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".m.t7.tmp{dead.pid}.0"
    stale.write_bytes(b"half")
    rt.execute(f"torch.save({str(tmp_path / 'm.t7')!r}, x)")
    assert sorted(os.listdir(tmp_path)) == ["m.t7"]


@pytest.mark.parametrize("module", ["Tanh", "Sigmoid", "ReLU", "HardTanh", "ELU", "SoftPlus"])
def test_elementwise_layers_refuse_non_tensors(rt: Runtime, module: str) -> None:
    """Regression: a table input read as an empty tensor and gave an empty output."""
    assert "bad argument #1 to 'forward' (tensor expected, got table)" in \
        fails(rt, f"nn.{module}():forward({{1, 'a'}})")
    assert "bad argument #1 to 'forward' (tensor expected, got number)" in \
        fails(rt, f"nn.{module}():forward(3)")
    assert "bad argument #2 to 'backward' (tensor expected, got table)" in \
        fails(rt, f"local m = nn.{module}() local x = torch.randn(3) m:forward(x) "
                  f"m:backward(x, {{}})")
