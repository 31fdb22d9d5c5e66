"""optim.ConfusionMatrix: counting, accuracies and Torch7's printed form."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .helpers import runtime


@pytest.fixture(scope="module")
def r() -> Runtime:
    return runtime()


def mat(r: Runtime, expr: str = "cm.mat") -> np.ndarray:
    t = r.eval(f"{expr}:totable()")
    n = len(t)
    return np.array([[t[i][j] for j in range(1, len(t[i]) + 1)] for i in range(1, n + 1)])


def lua_str(v: float) -> str:
    """Lua's tostring of a number (LuaJIT writes '%.14g')."""
    return "%.14g" % v


def test_add_numbers_vectors_and_missing_targets(r):
    r.execute("""
        cm = optim.ConfusionMatrix(3)
        cm:add(2, 2)
        cm:add(3, 1)
        cm:add(torch.Tensor({0.1, 0.7, 0.2}), 2)           -- scores: predicted class 2
        cm:add(torch.Tensor({0.5, 0.1, 0.2}), torch.Tensor({0, 0, 1}))   -- one-hot target 3
        cm:add(1, 0)                                       -- missing label: ignored
        cm:add(torch.Tensor({0.5, 0.1, 0.2}), -1)          -- ignored too
    """)
    want = np.zeros((3, 3), int)
    want[1, 1] += 2
    want[0, 2] += 1
    want[2, 0] += 1
    np.testing.assert_array_equal(mat(r), want)


def test_batch_add_forms(r):
    r.execute("""
        cm = optim.ConfusionMatrix({'a', 'b', 'c', 'd'})
        cm:batchAdd(torch.Tensor({1, 2, 3, 4, 4}), torch.Tensor({1, 2, 4, 4, 0}))
        cm:batchAdd(torch.Tensor({{0.1, 0.9, 0, 0}, {0.8, 0.1, 0.1, 0}}),
                    torch.LongTensor({2, 3}))
        cm:batchAdd(torch.Tensor({{3}, {1}}), torch.Tensor({{0, 0, 1, 0}, {1, 0, 0, 0}}))
    """)
    want = np.zeros((4, 4), int)
    for t, p in [(1, 1), (2, 2), (4, 3), (4, 4), (2, 2), (3, 1), (3, 3), (1, 1)]:
        want[t - 1, p - 1] += 1
    np.testing.assert_array_equal(mat(r), want)
    assert r.eval("cm.nclasses") == 4
    assert r.eval("cm.classes[3]") == "c"


def test_batch_add_matches_a_numpy_count(r):
    rng = np.random.default_rng(5)
    n, k = 200, 7
    scores = rng.standard_normal((n, k))
    targets = rng.integers(0, k + 1, n)           # 0 marks a missing label
    rows = ", ".join("{" + ", ".join(repr(float(v)) for v in row) + "}" for row in scores)
    tg = ", ".join(str(int(v)) for v in targets)
    r.execute(f"""
        cm = optim.ConfusionMatrix({k})
        cm:batchAdd(torch.Tensor({{{rows}}}), torch.Tensor({{{tg}}}))
    """)
    want = np.zeros((k, k), int)
    for s, t in zip(scores, targets):
        if t > 0:
            want[t - 1, int(np.argmax(s))] += 1
    np.testing.assert_array_equal(mat(r), want)


def test_zero_and_valids(r):
    r.execute("""
        cm = optim.ConfusionMatrix(3)
        cm:batchAdd(torch.Tensor({1, 1, 2, 3, 3, 3}), torch.Tensor({1, 2, 2, 3, 3, 1}))
        cm:updateValids()
    """)
    m = mat(r)
    valids = np.diag(m) / m.sum(1)
    assert r.eval("cm.totalValid") == pytest.approx(np.trace(m) / m.sum())
    got = r.eval("cm.valids:totable()")
    np.testing.assert_allclose([got[i] for i in (1, 2, 3)], valids.astype(np.float32))
    assert r.eval("cm.averageValid") == pytest.approx(valids.mean(), rel=1e-6)
    r.execute("cm:zero()")
    assert mat(r).sum() == 0
    assert r.eval("cm.totalValid") == 0


def test_average_skips_classes_without_samples(r):
    r.execute("""
        cm = optim.ConfusionMatrix(3)
        cm:batchAdd(torch.Tensor({1, 2, 1}), torch.Tensor({1, 1, 2}))
        cm:updateValids()
    """)
    # class 3 has no samples: its accuracy is NaN and it is left out of the average
    assert r.eval("cm.valids[3] ~= cm.valids[3]")
    assert r.eval("cm.averageValid") == pytest.approx((0.5 + 0.0) / 2)
    text = r.eval("tostring(cm)")
    assert text.startswith("ConfusionMatrix:\n[[")


def test_tostring_with_class_names(r):
    r.execute("""
        cm = optim.ConfusionMatrix({'a', 'b', 'c'})
        cm.mat:copy(torch.LongTensor({{2, 1, 0}, {0, 3, 0}, {1, 0, 1}}))
    """)
    m = np.array([[2, 1, 0], [0, 3, 0], [1, 0, 1]])
    rows, cols = m.sum(1), m.sum(0)
    valids = (np.diag(m) / rows).astype(np.float32).astype(np.float64)
    unions = (np.diag(m) / (rows + cols - np.diag(m))).astype(np.float32).astype(np.float64)
    avg = sum(valids) / 3
    avg_u = sum(unions) / 3
    total = np.trace(m) / m.sum()
    want = (
        "ConfusionMatrix:\n"
        "[[       2       1       0]   %2.3f%% \t[class: a]\n"
        " [       0       3       0]   %2.3f%% \t[class: b]\n"
        " [       1       0       1]]  %2.3f%% \t[class: c]\n"
        % tuple(v * 100 for v in valids)
        + " + average row correct: " + lua_str(avg * 100) + "% \n"
        + " + average rowUcol correct (VOC measure): " + lua_str(avg_u * 100) + "% \n"
        + " + global correct: " + lua_str(total * 100) + "%"
    )
    assert r.eval("tostring(cm)") == want
    assert "66.667%" in want and "[class: b]" in want


def test_tostring_without_names_and_wide_counts(r):
    r.execute("""
        cm = optim.ConfusionMatrix(2)
        cm.mat:copy(torch.LongTensor({{123456789, 0}, {1, 1}}))
    """)
    text = r.eval("tostring(cm)")
    lines = text.split("\n")
    # counts above 8 digits widen every column to 1 + ceil(log10(max))
    assert lines[1] == "[[" + "%10d%10d" % (123456789, 0) + "]   100.000% "
    assert lines[2] == " [" + "%10d%10d" % (1, 1) + "]]  50.000% "
    assert lines[3].startswith(" + average row correct: 75")
    assert lines[5].startswith(" + global correct: ")


def test_far_frr_on_identity(r):
    total = r.execute("""
        cm = optim.ConfusionMatrix(4)
        cm.mat = torch.eye(4, 4)
        local cfrr, cfar, frr, far = cm:farFrr()
        return cfrr:sum() + cfar:sum() + frr:sum() + far:sum()
    """)
    assert total == 0


def test_far_frr_values(r):
    vals = r.execute("""
        cm = optim.ConfusionMatrix(3)
        cm.mat:copy(torch.LongTensor({{3, 1, 0}, {1, 1, 0}, {0, 0, 0}}))
        local cfrr, cfar, frr, far = cm:farFrr()
        return {cfrr:totable(), cfar:totable(), frr:totable(), far:totable()}
    """)
    cfrr, cfar, frr, far = ([t[i] for i in range(1, len(t) + 1)] for t in
                            (vals[1], vals[2], vals[3], vals[4]))
    assert cfrr == pytest.approx([0.25, 0.5, -1])
    assert cfar == pytest.approx([0.5, 0.25, -1])
    assert frr == pytest.approx([0.25, 0.5])
    assert far == pytest.approx([0.5, 0.25])
