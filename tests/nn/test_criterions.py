"""Criterions: losses against NumPy references (sizeAverage on and off, class weights, vector
and batch inputs), finite-difference gradients in Float and Double, and Torch7-style errors."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.random import Generator
from luatorch.runtime import Runtime

from .gradcheck import check_criterion, get, load_nn, lua_error, put, put_table


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


RNG = np.random.default_rng(2024)


def _away(shape: tuple, lo: float = 0.2, hi: float = 2.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def _logsoftmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _avg(v: np.ndarray, sa: bool) -> float:
    return float(v.mean() if sa else v.sum())


# -- element-wise regression criterions ----------------------------------------------------------
X2 = _away((3, 4), seed=1)
T2 = X2 + _away((3, 4), 0.1, 1.5, seed=2)  # |x - t| in [0.1, 1.5]: clear of Abs' kink
P2 = np.random.default_rng(3).uniform(0.05, 0.95, (3, 4))
Y2 = np.random.default_rng(4).choice([-1.0, 1.0], (3, 4))

ELEMENTWISE = [
    ("nn.MSECriterion", X2, T2, lambda x, t, sa: _avg((x - t) ** 2, sa)),
    ("nn.AbsCriterion", X2, T2, lambda x, t, sa: _avg(np.abs(x - t), sa)),
    ("nn.SmoothL1Criterion", X2, T2,
     lambda x, t, sa: _avg(np.where(np.abs(x - t) < 1, 0.5 * (x - t) ** 2,
                                    np.abs(x - t) - 0.5), sa)),
    ("nn.DistKLDivCriterion", X2, P2, lambda x, t, sa: _avg(t * (np.log(t) - x), sa)),
    ("nn.SoftMarginCriterion", X2, Y2, lambda x, y, sa: _avg(np.log1p(np.exp(-y * x)), sa)),
    ("nn.MarginCriterion", X2 * 0.4, Y2,  # |x| <= 0.8: y x never equals the margin 1
     lambda x, y, sa: _avg(np.maximum(0, 1 - y * x), sa)),
    ("nn.MarginCriterion(0.5)", X2, Y2,
     lambda x, y, sa: _avg(np.maximum(0, 0.5 - y * x), sa)),
    ("nn.HingeEmbeddingCriterion", X2, Y2,
     lambda x, y, sa: _avg(np.where(y == 1, x, np.maximum(0, 1 - x)), sa)),
    ("nn.HingeEmbeddingCriterion(0.3)", X2, Y2,
     lambda x, y, sa: _avg(np.where(y == 1, x, np.maximum(0, 0.3 - x)), sa)),
    ("nn.BCECriterion", P2, np.random.default_rng(5).uniform(0, 1, (3, 4)),
     lambda o, t, sa: _avg(-(t * np.log(o + 1e-12) + (1 - t) * np.log(1 - o + 1e-12)), sa)),
]


def _ctor(name: str) -> str:
    return name if "(" in name else name + "()"


@pytest.mark.parametrize("name,x,t,ref", ELEMENTWISE, ids=[c[0] for c in ELEMENTWISE])
@pytest.mark.parametrize("sl", [slice(None), 1], ids=["batch", "vector"])
@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_elementwise(nnrt: Runtime, name: str, x: np.ndarray, t: np.ndarray, ref, sl,
                     ttype: str) -> None:
    x, t = x[sl], t[sl]
    tol = 1e-12 if ttype == "Double" else 1e-5
    for sa in (True, False):
        ctor = f"(function() local c = {_ctor(name)}; c.sizeAverage = {str(sa).lower()}; " \
               "return c end)()"
        loss = check_criterion(nnrt, ctor, x, t, ttype)
        dt = np.float64 if ttype == "Double" else np.float32
        want = ref(x.astype(dt).astype(np.float64), t.astype(dt).astype(np.float64), sa)
        assert loss == pytest.approx(want, rel=tol, abs=tol)


def test_mse_other_shape_same_count(nnrt: Runtime) -> None:
    put(nnrt, "_x", X2)
    put(nnrt, "_t", T2.reshape(12))
    assert nnrt.eval("nn.MSECriterion():forward(_x, _t)") == pytest.approx(((X2 - T2) ** 2).mean())


def test_mse_size_average_argument(nnrt: Runtime) -> None:
    put(nnrt, "_x", X2)
    put(nnrt, "_t", T2)
    assert nnrt.eval("nn.MSECriterion(false):forward(_x, _t)") == pytest.approx(
        ((X2 - T2) ** 2).sum())


def test_l1cost(nnrt: Runtime) -> None:
    for ttype in ("Double", "Float"):
        for x in (X2, X2[0]):
            loss = check_criterion(nnrt, "nn.L1Cost()", x, 0, ttype)
            assert loss == pytest.approx(np.abs(x).sum(), rel=1e-6)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_weighted_mse(nnrt: Runtime, ttype: str) -> None:
    w = np.array([0.5, 1.0, 2.0, -1.0])
    put(nnrt, "_w", w)
    for x, t in ((X2, T2), (X2[0], T2[0])):
        loss = check_criterion(nnrt, "nn.WeightedMSECriterion(_w)", x, t, ttype)
        assert loss == pytest.approx(((x - w * t) ** 2).mean(), rel=1e-5)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_bce_weights(nnrt: Runtime, ttype: str) -> None:
    t = np.random.default_rng(6).integers(0, 2, (3, 4)).astype(float)
    w = np.array([1.0, 2.0, 0.5, 3.0])
    put(nnrt, "_w", w)
    for x, tt in ((P2, t), (P2[0], t[0])):
        for sa in ("true", "false"):
            loss = check_criterion(nnrt, f"nn.BCECriterion(_w, {sa})", x, tt, ttype)
            v = -w * (tt * np.log(x + 1e-12) + (1 - tt) * np.log(1 - x + 1e-12))
            assert loss == pytest.approx(v.mean() if sa == "true" else v.sum(), rel=1e-5)


# -- class-index criterions ----------------------------------------------------------------------
def _nll_ref(x: np.ndarray, t: np.ndarray, w=None, sa: bool = True, ignore: int = -100) -> float:
    x2 = np.atleast_2d(x)
    t = np.atleast_1d(t).astype(int)[: x2.shape[0]]
    keep = t != ignore
    cw = np.ones(len(t)) if w is None else np.where(keep, w[np.where(keep, t - 1, 0)], 0)
    cw = cw * keep
    loss = -(x2[np.arange(len(t)), np.where(keep, t - 1, 0)] * cw).sum()
    total = cw.sum()
    return loss / total if sa and total else loss


XB = _away((5, 4), seed=7)
TB = np.array([1, 4, 2, 4, 3])
WC = np.array([0.2, 1.0, 2.5, 0.7])


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("crit", ["ClassNLL", "CrossEntropy"])
def test_class_losses(nnrt: Runtime, ttype: str, crit: str) -> None:
    ce = crit == "CrossEntropy"
    tol = 1e-12 if ttype == "Double" else 1e-5

    def ref(x, t, w=None, sa=True):
        return _nll_ref(_logsoftmax(x) if ce else x, t, w, sa)

    put(nnrt, "_w", WC)
    for weights in ("nil", "_w"):
        w = WC if weights == "_w" else None
        for sa in ("true", "false"):
            ctor = f"nn.{crit}Criterion({weights}, {sa})"
            # batch with a LongTensor target, then with a DoubleTensor target
            loss = check_criterion(nnrt, ctor, XB, TB, ttype, target_type="Long")
            assert loss == pytest.approx(ref(XB, TB, w, sa == "true"), rel=tol, abs=tol)
            loss = check_criterion(nnrt, ctor, XB, TB, ttype, target_type="Double")
            assert loss == pytest.approx(ref(XB, TB, w, sa == "true"), rel=tol, abs=tol)
            # a vector with a number target, and with a one-element tensor target
            loss = check_criterion(nnrt, ctor, XB[1], 3, ttype)
            assert loss == pytest.approx(ref(XB[1], np.array([3]), w, sa == "true"), rel=tol,
                                         abs=tol)
            loss = check_criterion(nnrt, ctor, XB[1], np.array([2]), ttype, target_type="Long")
            assert loss == pytest.approx(ref(XB[1], np.array([2]), w, sa == "true"), rel=tol,
                                         abs=tol)


def test_nll_size_average_field_and_return(nnrt: Runtime) -> None:
    put(nnrt, "_x", XB)
    put(nnrt, "_t", TB, "Long")
    put(nnrt, "_w", WC)
    out, tw = nnrt.eval("nn.ClassNLLCriterion(_w):forward(_x, _t)")
    assert tw == pytest.approx(WC[TB - 1].sum())
    assert out == pytest.approx(_nll_ref(XB, TB, WC))
    nnrt.execute("_c = nn.ClassNLLCriterion(); _c.sizeAverage = false")
    assert nnrt.eval("_c:forward(_x, _t)")[0] == pytest.approx(_nll_ref(XB, TB, sa=False))
    assert nnrt.eval("nn.ClassNLLCriterion(_w):__len()[1]") == 4


def test_nll_ignore_index(nnrt: Runtime) -> None:
    t = np.array([1, 0, 2, 0, 3])
    put(nnrt, "_x", XB)
    put(nnrt, "_t", t, "Long")
    loss, _ = nnrt.eval("nn.ClassNLLCriterion(nil, true, 0):forward(_x, _t)")
    assert loss == pytest.approx(_nll_ref(XB, t, ignore=0))
    nnrt.execute("_c = nn.ClassNLLCriterion(nil, true, 0); _c:forward(_x, _t)")
    gi = get(nnrt, "_c:backward(_x, _t)")
    assert np.all(gi[[1, 3]] == 0)
    assert gi[0, 0] == pytest.approx(-1 / 3)


def test_cross_entropy_squeezes(nnrt: Runtime) -> None:
    x = XB[2:3]  # 1 x 4: one sample
    put(nnrt, "_x", x)
    put(nnrt, "_t", np.array([[2]]), "Long")
    assert nnrt.eval("nn.CrossEntropyCriterion():forward(_x, _t)") == pytest.approx(
        -_logsoftmax(x[0])[1])
    gi = get(nnrt, "nn.CrossEntropyCriterion():backward(_x, _t)")
    assert gi.shape == (1, 4)
    want = np.exp(_logsoftmax(x[0]))
    want[1] -= 1
    np.testing.assert_allclose(gi[0], want)


def test_cross_entropy_matches_lsm_nll(nnrt: Runtime) -> None:
    put(nnrt, "_x", XB)
    put(nnrt, "_t", TB, "Long")
    nnrt.execute("_l = nn.LogSoftMax(); _n = nn.ClassNLLCriterion()"
                 "; _c = nn.CrossEntropyCriterion(); _a = _n:forward(_l:forward(_x), _t)"
                 "; _b = _c:forward(_x, _t)"
                 "; _ga = _l:backward(_x, _n:backward(_l.output, _t)); _gb = _c:backward(_x, _t)")
    assert nnrt.eval("_a") == pytest.approx(nnrt.eval("_b"), rel=1e-12)
    np.testing.assert_allclose(get(nnrt, "_ga"), get(nnrt, "_gb"), rtol=1e-10, atol=1e-15)


def _multimargin_ref(x, t, p=1, margin=1.0, w=None, sa=True):
    x2 = np.atleast_2d(x)
    t = np.atleast_1d(t)
    total = 0.0
    for i, row in enumerate(x2):
        y = int(t[i]) - 1
        for d in range(row.size):
            if d != y:
                z = max(0.0, margin - row[y] + row[d]) ** p
                total += z * (w[y] if w is not None else 1)
    total /= x2.shape[1]
    return total / x2.shape[0] if sa else total


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_multimargin(nnrt: Runtime, ttype: str) -> None:
    x = np.random.default_rng(8).uniform(-1, 1, (5, 4)).round(1) + 0.03
    put(nnrt, "_w", WC)
    for p in (1, 2):
        for margin, weights in ((1.0, "nil"), (0.55, "_w")):
            w = WC if weights == "_w" else None
            for sa in (True, False):
                ctor = f"(function() local c = nn.MultiMarginCriterion({p}, {weights}, " \
                       f"{margin}); c.sizeAverage = {str(sa).lower()}; return c end)()"
                loss = check_criterion(nnrt, ctor, x, TB, ttype, target_type="Long")
                assert loss == pytest.approx(_multimargin_ref(x, TB, p, margin, w, sa),
                                             rel=1e-5)
                loss = check_criterion(nnrt, ctor, x[0], 2, ttype)
                assert loss == pytest.approx(_multimargin_ref(x[0], [2], p, margin, w, sa),
                                             rel=1e-5)


def _mlm_ref(x, t, sa=True):
    x2 = np.atleast_2d(x)
    t2 = np.atleast_2d(t).astype(int)
    total = 0.0
    for row, trow in zip(x2, t2):
        targets = []
        for v in trow:
            if v == 0:
                break
            targets.append(v - 1)
        for j in targets:
            for i in range(row.size):
                if i not in targets:
                    total += max(0.0, 1 - (row[j] - row[i]))
    total /= x2.shape[1]
    return total / x2.shape[0] if sa else total


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_multilabel_margin(nnrt: Runtime, ttype: str) -> None:
    x = np.random.default_rng(9).uniform(-1, 1, (2, 4)).round(1) + 0.03
    t = np.array([[1, 3, 0, 0], [4, 0, 2, 0]])
    for sa in (True, False):
        ctor = f"(function() local c = nn.MultiLabelMarginCriterion(); " \
               f"c.sizeAverage = {str(sa).lower()}; return c end)()"
        loss = check_criterion(nnrt, ctor, x, t, ttype, target_type="Long")
        assert loss == pytest.approx(_mlm_ref(x, t, sa), rel=1e-5)
        loss = check_criterion(nnrt, ctor, x[0], t[0], ttype, target_type="Long")
        assert loss == pytest.approx(_mlm_ref(x[0], t[0], sa), rel=1e-5)
    want = np.array([[1, 0, 1, 0], [0, 0, 0, 1]], float)
    np.testing.assert_array_equal(get(nnrt, "_c.isTarget"), want[0])


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_multilabel_soft_margin(nnrt: Runtime, ttype: str) -> None:
    x = _away((3, 4), seed=10)
    t = np.random.default_rng(11).integers(0, 2, (3, 4)).astype(float)
    put(nnrt, "_w", WC)
    for weights in ("", "_w"):
        w = WC if weights else np.ones(4)
        for xx, tt in ((x, t), (x[0], t[0])):
            loss = check_criterion(nnrt, f"nn.MultiLabelSoftMarginCriterion({weights})", xx, tt,
                                   ttype)
            p = _sig(xx)
            v = -w * (tt * np.log(p + 1e-12) + (1 - tt) * np.log(1 - p + 1e-12))
            assert loss == pytest.approx(v.mean(), rel=1e-5)


def test_class_simplex(nnrt: Runtime) -> None:
    n = 4
    nnrt.execute(f"_c = nn.ClassSimplexCriterion({n})")
    s = get(nnrt, "_c.simplex")
    assert s.shape == (n, n)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1, rtol=1e-12)
    gram = s @ s.T
    np.testing.assert_allclose(gram[~np.eye(n, dtype=bool)], -1 / (n - 1), rtol=1e-12)
    np.testing.assert_allclose(s[:, n - 1], 0)
    x = _away((3, n), seed=12)
    t = np.array([2, 4, 1])
    for ttype in ("Double", "Float"):
        loss = check_criterion(nnrt, f"nn.ClassSimplexCriterion({n})", x, t, ttype,
                               target_type="Long")
        assert loss == pytest.approx(((x - s[t - 1]) ** 2).mean(), rel=1e-5)
        loss = check_criterion(nnrt, f"nn.ClassSimplexCriterion({n})", x[0], 3, ttype)
        assert loss == pytest.approx(((x[0] - s[2]) ** 2).mean(), rel=1e-5)


# -- embedding criterions with table inputs ------------------------------------------------------
@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_cosine_embedding(nnrt: Runtime, ttype: str) -> None:
    a, b = _away((4, 5), seed=13), _away((4, 5), seed=14)
    y = np.array([1.0, -1.0, -1.0, 1.0])
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    for margin in (0.0, -0.5):
        per = np.where(y == 1, 1 - cos, np.maximum(0, cos - margin))
        loss = check_criterion(nnrt, f"nn.CosineEmbeddingCriterion({margin})", [a, b], y,
                               ttype, table_input=True)
        assert loss == pytest.approx(per.mean(), rel=1e-5)
        for i in (0, 1):
            loss = check_criterion(nnrt, f"nn.CosineEmbeddingCriterion({margin})",
                                   [a[i], b[i]], float(y[i]), ttype, table_input=True)
            assert loss == pytest.approx(per[i], rel=1e-5)
    nnrt.execute("_c = nn.CosineEmbeddingCriterion(); _c.sizeAverage = false")
    put_table(nnrt, "_x", [a, b])
    put(nnrt, "_t", y)
    per = np.where(y == 1, 1 - cos, np.maximum(0, cos))
    assert nnrt.eval("_c:forward(_x, _t)") == pytest.approx(per.sum())


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_margin_ranking(nnrt: Runtime, ttype: str) -> None:
    a, b = _away((6,), seed=15), _away((6,), seed=16)
    y = np.array([1.0, -1, 1, -1, 1, -1])
    for margin in (0.1, 1.0):
        d = np.maximum(0, -y * (a - b) + margin)
        assert np.all(np.abs(-y * (a - b) + margin) > 0.02)
        loss = check_criterion(nnrt, f"nn.MarginRankingCriterion({margin})", [a, b], y, ttype,
                               table_input=True)
        assert loss == pytest.approx(d.mean(), rel=1e-5)
        loss = check_criterion(nnrt, f"nn.MarginRankingCriterion({margin})",
                               [a[:1], b[:1]], -1, ttype, table_input=True)
        assert loss == pytest.approx(max(0, (a[0] - b[0]) + margin), rel=1e-5)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_l1_hinge_embedding(nnrt: Runtime, ttype: str) -> None:
    a, b = _away((5,), seed=17), _away((5,), seed=18)
    dist = np.abs(a - b).sum()
    loss = check_criterion(nnrt, "nn.L1HingeEmbeddingCriterion()", [a, b], 1, ttype,
                           table_input=True)
    assert loss == pytest.approx(dist, rel=1e-5)
    margin = dist + 1
    loss = check_criterion(nnrt, f"nn.L1HingeEmbeddingCriterion({margin})", [a, b], -1, ttype,
                           table_input=True)
    assert loss == pytest.approx(1.0, rel=1e-4)
    loss = check_criterion(nnrt, "nn.L1HingeEmbeddingCriterion(1)", [a, b], -1, ttype,
                           table_input=True)
    assert loss == 0


def test_l1_hinge_random_sign_at_zero(nnrt: Runtime) -> None:
    a = np.array([1.0, 2.0, 3.0])
    put_table(nnrt, "_x", [a, a.copy()])
    nnrt.execute("torch.manualSeed(5); _c = nn.L1HingeEmbeddingCriterion(); "
                 "_c:forward(_x, 1); _gi = _c:backward(_x, 1)")
    draws = Generator(5).raw(3) % 2
    np.testing.assert_array_equal(get(nnrt, "_gi[1]"), 2.0 * (draws + 1) - 3)
    np.testing.assert_array_equal(get(nnrt, "_gi[2]"), -(2.0 * (draws + 1) - 3))


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_distance_ratio(nnrt: Runtime, ttype: str) -> None:
    xs, ys = np.abs(_away((5,), seed=19)), np.abs(_away((5,), seed=20))
    per = xs + np.log(np.exp(-xs) + np.exp(-ys))
    for sa in ("true", "false"):
        loss = check_criterion(nnrt, f"nn.DistanceRatioCriterion({sa})", [xs, ys], 0, ttype,
                               table_input=True)
        assert loss == pytest.approx(per.mean() if sa == "true" else per.sum(), rel=1e-5)


# -- composite criterions ------------------------------------------------------------------------
def test_multi_criterion(nnrt: Runtime) -> None:
    ctor = "nn.MultiCriterion():add(nn.MSECriterion(), 0.5):add(nn.AbsCriterion())"
    for ttype in ("Double", "Float"):
        loss = check_criterion(nnrt, ctor, X2, T2, ttype)
        assert loss == pytest.approx(0.5 * ((X2 - T2) ** 2).mean() + np.abs(X2 - T2).mean(),
                                     rel=1e-5)


def test_parallel_criterion(nnrt: Runtime) -> None:
    put_table(nnrt, "_x", [XB, X2])
    put(nnrt, "_t1", TB, "Long")
    put(nnrt, "_t2", T2)
    nnrt.execute("_c = nn.ParallelCriterion():add(nn.ClassNLLCriterion(), 0.5)"
                 ":add(nn.MSECriterion()); _l = _c:forward(_x, {_t1, _t2})"
                 "; _gi = _c:backward(_x, {_t1, _t2})")
    assert nnrt.eval("_l") == pytest.approx(0.5 * _nll_ref(XB, TB) + ((X2 - T2) ** 2).mean())
    g1 = np.zeros_like(XB)
    g1[np.arange(5), TB - 1] = -0.5 / 5
    np.testing.assert_allclose(get(nnrt, "_gi[1]"), g1)
    np.testing.assert_allclose(get(nnrt, "_gi[2]"), 2 * (X2 - T2) / 12)
    # repeatTarget: every criterion sees the whole target
    put_table(nnrt, "_x", [X2, X2 * 2])
    nnrt.execute("_c = nn.ParallelCriterion(true):add(nn.MSECriterion()):add(nn.MSECriterion())")
    assert nnrt.eval("_c:forward(_x, _t2)") == pytest.approx(
        ((X2 - T2) ** 2).mean() + ((2 * X2 - T2) ** 2).mean())


def test_module_criterion(nnrt: Runtime) -> None:
    for ttype in ("Double", "Float"):
        loss = check_criterion(nnrt, "nn.ModuleCriterion(nn.MSECriterion(), nn.Tanh())", X2, T2,
                               ttype)
        assert loss == pytest.approx(((np.tanh(X2) - T2) ** 2).mean(), rel=1e-5)
        loss = check_criterion(
            nnrt, "nn.ModuleCriterion(nn.MSECriterion(), nn.Tanh(), nn.Sigmoid())", X2, T2,
            ttype)
        assert loss == pytest.approx(((np.tanh(X2) - _sig(T2)) ** 2).mean(), rel=1e-5)


# -- the base class ------------------------------------------------------------------------------
def test_call_clone_and_type(nnrt: Runtime) -> None:
    put(nnrt, "_x", X2)
    put(nnrt, "_t", T2)
    nnrt.execute("_c = nn.MSECriterion(); _l, _g = _c(_x, _t)")
    assert nnrt.eval("_l") == pytest.approx(((X2 - T2) ** 2).mean())
    np.testing.assert_allclose(get(nnrt, "_g"), 2 * (X2 - T2) / 12)
    assert nnrt.eval("_c.output == _l and _c.gradInput == _g")
    nnrt.execute("_w = torch.Tensor{1, 2, 3, 4}; _c = nn.ClassNLLCriterion(_w):float()")
    assert nnrt.eval("torch.type(_c.weights)") == "torch.FloatTensor"
    assert nnrt.eval("torch.type(_c.gradInput)") == "torch.FloatTensor"
    nnrt.execute("_d = _c:clone(); _d.weights[1] = 7")
    assert nnrt.eval("_c.weights[1]") == 1
    assert nnrt.eval("torch.type(nn.CrossEntropyCriterion():float().lsm.output)") == \
        "torch.FloatTensor"
    assert nnrt.eval("torch.isTypeOf(nn.MSECriterion(), 'nn.Criterion')")
    assert nnrt.eval("nn.Criterion():forward(1, 2)") is None


def test_mlp_step_reference(nnrt: Runtime) -> None:
    """The talk's MLP tail: Threshold -> LogSoftMax -> ClassNLL, forward and backward."""
    x = _away((8, 10), seed=21)
    t = np.random.default_rng(22).integers(1, 11, 8)
    put(nnrt, "_x", x, "Float")
    put(nnrt, "_t", t, "Long")
    nnrt.execute("_m = nn.Sequential():add(nn.Threshold()):add(nn.LogSoftMax()):float()"
                 "; _c = nn.ClassNLLCriterion():float(); _o = _m:forward(_x)"
                 "; _l = _c:forward(_o, _t); _gi = _m:backward(_x, _c:backward(_o, _t))")
    h = np.where(x > 1e-6, x, 0)
    lsm = _logsoftmax(h)
    assert nnrt.eval("_l") == pytest.approx(_nll_ref(lsm, t), rel=1e-5)
    g = np.zeros_like(x)
    g[np.arange(8), t - 1] = -1 / 8
    want = (g - np.exp(lsm) * g.sum(1, keepdims=True)) * (x > 1e-6)
    np.testing.assert_allclose(get(nnrt, "_gi"), want, rtol=1e-4, atol=1e-7)


# -- errors --------------------------------------------------------------------------------------
ERRORS = [
    ("nn.ClassNLLCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 5, 2})",
     "nn.ClassNLLCriterion: target out of range (got 5"),
    ("nn.ClassNLLCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 0, 2})",
     "nn.ClassNLLCriterion: target out of range (got 0"),
    ("nn.ClassNLLCriterion():forward(torch.randn(4), 9)",
     "nn.ClassNLLCriterion: target out of range"),
    ("nn.ClassNLLCriterion():backward(torch.randn(3, 4), torch.LongTensor{1, 5, 2})",
     "nn.ClassNLLCriterion: target out of range"),
    ("nn.CrossEntropyCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 7, 2})",
     "nn.CrossEntropyCriterion: target out of range (got 7"),
    ("nn.MultiMarginCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 7, 2})",
     "nn.MultiMarginCriterion: target out of range"),
    ("nn.MultiLabelMarginCriterion():forward(torch.randn(4), torch.LongTensor{1, 5, 0, 0})",
     "nn.MultiLabelMarginCriterion: target out of range"),
    ("nn.ClassSimplexCriterion(3):forward(torch.randn(3), 4)",
     "nn.ClassSimplexCriterion: target out of range"),
    ("nn.ClassNLLCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 2})",
     "nn.ClassNLLCriterion: size mismatch (got input: [3 x 4], target: [2])"),
    ("nn.ClassNLLCriterion(torch.ones(3)):forward(torch.randn(3, 4), torch.LongTensor{1, 2, 1})",
     "weight tensor should be defined either for all 4 classes or no classes"),
    ("nn.ClassNLLCriterion():forward(torch.randn(2, 3, 4), torch.LongTensor{1, 2})",
     "input tensor should be 1D or 2D"),
    ("nn.MSECriterion():forward(torch.randn(3, 4), torch.randn(5))",
     "input and target have different number of elements: input[3 x 4] has 12 elements, while "
     "target[5] has 5 elements"),
    ("nn.AbsCriterion():backward(torch.randn(3, 4), torch.randn(5))",
     "input and target have different number of elements"),
    ("nn.BCECriterion():forward(torch.rand(3, 4), torch.rand(5))",
     "input and target size mismatch"),
    ("nn.MultiMarginCriterion():forward(torch.randn(3, 4), torch.LongTensor{1, 2})",
     "nn.MultiMarginCriterion: inconsistent target size"),
    ("nn.ClassNLLCriterion(torch.ones(2, 2))", "weights input should be 1-D Tensor"),
    ("nn.MultiMarginCriterion(3)", "only p=1 and p=2 supported"),
]


@pytest.mark.parametrize("code,msg", ERRORS, ids=[f"{i}:{e[1][:28]}" for i, e in
                                                   enumerate(ERRORS)])
def test_errors(nnrt: Runtime, code: str, msg: str) -> None:
    err = lua_error(nnrt, "local a = 1\nlocal l = " + code)
    assert err.startswith("user.lua:2: "), err
    assert msg in err, err
    assert "\n" not in err
