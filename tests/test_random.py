"""Tests for luatorch.random: Torch7-identical streams, caches, state and tensor fills."""

from __future__ import annotations

import math

import numpy as np
import pytest

from luatorch import random as R
from luatorch.tensor import Tensor, TorchError


def _t(*size: int, dtype: object = np.float64) -> Tensor:
    return Tensor.empty(size, dtype)


def _gen(seed: int = 1) -> R.Generator:
    return R.Generator(seed)


# -- Figures printed by the original Torch7 (x86_64) ----------------------------------------------


def test_first_raw_draws_seed_1() -> None:
    g = _gen(1)
    assert [g.random() for _ in range(3)] == [1791095845, 4282876139, 3093770124]


def test_torch_random_no_args() -> None:
    g = _gen(1)
    assert R.rng_random(g, None, None) == 1791095845


def test_rand3_after_manual_seed_1() -> None:
    g = _gen(7)
    R.rng_manual_seed(g, 1)
    t = _t(3)
    R.rng_fill_uniform_(g, t, None, None)
    expected = [0.417021998437122, 0.997184808133170, 0.720324489288032]
    assert t.a.tolist() == pytest.approx(expected, abs=1e-15)


def test_randn3_after_manual_seed_1() -> None:
    g = _gen(1)
    t = _t(3)
    R.rng_fill_normal_(g, t, None, None)
    expected = [-2.971829030930406, 1.706951063411611, -0.430498971038916]
    assert t.a.tolist() == pytest.approx(expected, abs=1e-14)


def test_randperm5_after_manual_seed_1() -> None:
    g = _gen(1)
    t = _t(1)
    R.rng_randperm_(g, t, 5)
    assert t.size == (5,)
    assert t.a.tolist() == [1, 5, 3, 4, 2]


def test_default_generator_figures() -> None:
    R.rng_manual_seed(None, 1)
    assert R.rng_initial_seed(None) == 1
    assert R.rng_random(None) == 1791095845
    R.rng_manual_seed(None, 1)
    assert R.rng_uniform(None) == pytest.approx(0.417021998437122, abs=1e-15)


# -- Normal pair cache ------------------------------------------------------------------------


def test_pair_cache_continuity() -> None:
    g = _gen(1)
    a, b = _t(3), _t(3)
    R.rng_fill_normal_(g, a, None, None)
    R.rng_fill_normal_(g, b, None, None)
    g.manual_seed(1)
    c = _t(6)
    R.rng_fill_normal_(g, c, None, None)
    assert a.a.tolist() + b.a.tolist() == c.a.tolist()


@pytest.mark.parametrize("chunks", [[1, 1, 1, 4], [2, 3, 5], [5, 1, 2, 1], [7]])
def test_pair_cache_matches_scalar_calls(chunks: list) -> None:
    g = _gen(42)
    got = []
    for k in chunks:
        t = _t(k)
        R.rng_fill_normal_(g, t, 0.5, 2.0)
        got += t.a.tolist()
    g.manual_seed(42)
    want = [g.normal(0.5, 2.0) for _ in range(sum(chunks))]
    assert got == want


def test_cached_value_uses_new_mean_and_std() -> None:
    g = _gen(3)
    g.normal()
    second = g.normal(10.0, 3.0)
    g.manual_seed(3)
    g.normal()
    assert second == pytest.approx(g.normal() * 3.0 + 10.0, rel=1e-14)


def test_manual_seed_resets_pair_cache() -> None:
    g = _gen(1)
    R.rng_fill_normal_(g, _t(1), None, None)  # leaves the cache valid
    g.manual_seed(1)
    t = _t(3)
    R.rng_fill_normal_(g, t, None, None)
    assert t.a[0] == pytest.approx(-2.971829030930406, abs=1e-14)


def test_vector_normal_bit_identical_to_libm_scalar() -> None:
    g = _gen(2024)
    t = _t(2001)
    R.rng_fill_normal_(g, t, 1.0, 0.25)
    g.manual_seed(2024)
    assert t.a.tolist() == [g.normal(1.0, 0.25) for _ in range(2001)]


# -- State ------------------------------------------------------------------------------------


def test_state_round_trip_including_normal_cache() -> None:
    g = _gen(5)
    R.rng_fill_normal_(g, _t(3), None, None)  # odd count: cache holds a value
    state = R.rng_get_state(g)
    assert state.dtype == np.uint8
    first = _t(5)
    R.rng_fill_normal_(g, first, None, None)
    r1 = R.rng_random(g, None, None)
    R.rng_manual_seed(g, 99)  # scramble
    R.rng_set_state(g, state)
    second = _t(5)
    R.rng_fill_normal_(g, second, None, None)
    assert first.a.tolist() == second.a.tolist()
    assert R.rng_random(g, None, None) == r1
    assert R.rng_initial_seed(g) == 5


def test_state_across_generators() -> None:
    g1, g2 = _gen(11), _gen(12)
    for _ in range(700):  # cross a twist boundary
        g1.random()
    R.rng_set_state(g2, R.rng_get_state(g1))
    assert g2.raw(1000).tolist() == g1.raw(1000).tolist()


def test_set_state_rejects_bad_input() -> None:
    g = _gen(1)
    with pytest.raises(TorchError):
        R.rng_set_state(g, Tensor.from_array(np.zeros(10, np.uint8)))
    bad = g.get_state()
    bad[R._N * 4:R._N * 4 + 8] = np.frombuffer(np.int64(5000).tobytes(), np.uint8)
    with pytest.raises(TorchError):
        R.rng_set_state(g, Tensor.from_array(bad))


def test_seed_and_initial_seed() -> None:
    g = _gen(1)
    s = R.rng_seed(g)
    assert isinstance(s, int) and 0 <= s < 2 ** 53
    assert R.rng_initial_seed(g) == s
    a = g.raw(4).tolist()
    R.rng_manual_seed(g, R.rng_initial_seed(g))
    assert g.raw(4).tolist() == a


def test_seed_uses_low_32_bits_for_state() -> None:
    g1, g2 = _gen(1), _gen(1 + (1 << 32))
    assert g1.raw(5).tolist() == g2.raw(5).tolist()
    assert g2.initial_seed() == 1 + (1 << 32)


# -- Generators -------------------------------------------------------------------------------


def test_generators_are_independent() -> None:
    g1 = R.rng_new()
    g2 = R.rng_new()
    R.rng_manual_seed(g1, 123)
    R.rng_manual_seed(g2, 123)
    R.rng_manual_seed(None, 123)
    a = [R.rng_random(g1) for _ in range(10)]
    R.rng_fill_normal_(g1, _t(3), None, None)  # g1 now has a cached normal; g2 does not
    b = [R.rng_random(g2) for _ in range(10)]
    assert a == b
    assert R.rng_random(None) == a[0]
    assert R.rng_normal(g2) != R.rng_normal(g1)


# -- Scalar forms ------------------------------------------------------------------------------


def test_random_bounds_formulas() -> None:
    g = _gen(8)
    raws = g.raw(40).tolist()
    g.manual_seed(8)
    got1 = [R.rng_random(g, 6, None) for _ in range(20)]
    got2 = [R.rng_random(g, -3, 4) for _ in range(20)]
    assert got1 == [r % 6 + 1 for r in raws[:20]]
    assert got2 == [r % 8 - 3 for r in raws[20:]]
    assert all(1 <= v <= 6 for v in got1) and all(-3 <= v <= 4 for v in got2)
    with pytest.raises(TorchError):
        R.rng_random(g, 0, None)
    with pytest.raises(TorchError):
        R.rng_random(g, 5, 4)


def test_scalar_distributions_match_formulas() -> None:
    g = _gen(17)
    u = (g.raw(6).astype(np.float64) / 2.0 ** 32).tolist()
    g.manual_seed(17)
    assert R.rng_uniform(g, -2, 3) == u[0] * 5 + -2
    assert R.rng_exponential(g, 2.0) == -1.0 / 2.0 * math.log(1 - u[1])
    assert R.rng_cauchy(g, 1.0, 0.5) == 1.0 + 0.5 * math.tan(math.pi * (u[2] - 0.5))
    assert R.rng_geometric(g, 0.3) == int(math.log(1 - u[3]) / math.log(0.3)) + 1
    assert R.rng_bernoulli(g, 0.5) == int(u[4] <= 0.5)
    assert R.rng_bernoulli(g, None) == int(u[5] <= 0.5)


def test_lognormal_takes_the_normal_parameters() -> None:
    # Torch7 since 2016: exp(normal(mean, std)), one normal draw per value
    g = _gen(4)
    got = R.rng_lognormal(g, 3.0, 2.0)
    g.manual_seed(4)
    assert got == math.exp(g.normal(3.0, 2.0))
    t = _t(20000)
    R.rng_fill_lognormal_(g, t, 0.5, 0.25)
    g.manual_seed(4)
    g.normal(3.0, 2.0)
    assert t.a.tolist() == [math.exp(v) for v in g.normal_array(20000, 0.5, 0.25).tolist()]
    assert np.log(t.a).mean() == pytest.approx(0.5, abs=0.01)
    assert np.log(t.a).std() == pytest.approx(0.25, rel=0.05)


def test_argument_checks() -> None:
    g = _gen(1)
    with pytest.raises(TorchError):
        R.rng_normal(g, 0, 0)
    with pytest.raises(TorchError):
        R.rng_fill_normal_(g, _t(2), 0, -1)
    with pytest.raises(TorchError):
        R.rng_bernoulli(g, 1.5)
    with pytest.raises(TorchError):
        R.rng_fill_geometric_(g, _t(2), 1.0)
    with pytest.raises(TorchError):
        R.rng_randperm_(g, _t(1), 0)


# -- Tensor fills ------------------------------------------------------------------------------


def test_fills_match_scalar_stream() -> None:
    g = _gen(31)
    for fill, scalar, args in [
        (R.rng_fill_exponential_, R.rng_exponential, (1.5,)),
        (R.rng_fill_cauchy_, R.rng_cauchy, (0.2, 3.0)),
        (R.rng_fill_lognormal_, R.rng_lognormal, (2.0, 0.5)),
        (R.rng_fill_geometric_, R.rng_geometric, (0.25,)),
        (R.rng_fill_bernoulli_, R.rng_bernoulli, (0.3,)),
        (R.rng_fill_uniform_, R.rng_uniform, (-1.0, 4.0)),
    ]:
        g.manual_seed(31)
        t = _t(257)
        fill(g, t, *args)
        g.manual_seed(31)
        assert t.a.tolist() == [scalar(g, *args) for _ in range(257)], fill.__name__


def test_non_contiguous_fill_row_major_order() -> None:
    g = _gen(1)
    base = _t(3, 4)
    base.a[...] = -7.0
    view = base.transpose(0, 1)  # 4 x 3, non-contiguous
    assert not view.is_contiguous()
    R.rng_fill_uniform_(g, view, None, None)
    g.manual_seed(1)
    ref = _t(12)
    R.rng_fill_uniform_(g, ref, None, None)
    assert view.a.reshape(-1).tolist() == ref.a.tolist()
    assert base.a.T.reshape(-1).tolist() == ref.a.tolist()


def test_narrowed_fill_leaves_rest_untouched() -> None:
    g = _gen(1)
    base = _t(4, 5)
    base.a[...] = -7.0
    view = base.narrow(1, 1, 3)
    R.rng_fill_normal_(g, view, None, None)
    assert (base.a[:, 0] == -7).all() and (base.a[:, 4] == -7).all()
    g.manual_seed(1)
    assert view.a.reshape(-1).tolist() == g.normal_array(12).tolist()


def test_integer_tensor_conversion_truncates() -> None:
    g = _gen(1)
    t = _t(50, dtype=np.int32)
    R.rng_fill_uniform_(g, t, -10, 10)
    g.manual_seed(1)
    ref = g.uniform_array(50) * 20 - 10
    assert t.a.tolist() == np.trunc(ref).astype(np.int32).tolist()


def test_float_tensor_rounds_to_float32() -> None:
    g = _gen(1)
    t = _t(11, dtype=np.float32)
    R.rng_fill_normal_(g, t, None, None)
    g.manual_seed(1)
    assert t.a.tolist() == g.normal_array(11).astype(np.float32).tolist()


@pytest.mark.parametrize("dtype,mod", [
    (np.uint8, 256), (np.int8, 128), (np.int16, 32768), (np.int32, 2 ** 31),
    (np.int64, 2 ** 63), (np.float32, 2 ** 24 + 1), (np.float64, 2 ** 53 + 1)])
def test_random_fill_no_args_per_type(dtype: object, mod: int) -> None:
    g = _gen(1)
    t = _t(100, dtype=dtype)
    R.rng_fill_random_(g, t, None, None)
    g.manual_seed(1)
    assert t.a.tolist() == [r % mod for r in g.raw(100).tolist()]


def test_random_fill_bounds() -> None:
    g = _gen(9)
    t = _t(200, dtype=np.int64)
    R.rng_fill_random_(g, t, -5, 5)
    assert t.a.min() >= -5 and t.a.max() <= 5 and t.a.min() < 0
    g.manual_seed(9)
    assert t.a.tolist() == [r % 11 - 5 for r in g.raw(200).tolist()]
    d = _t(300)
    R.rng_fill_random_(g, d, 10, None)
    assert d.a.min() >= 1 and d.a.max() <= 10
    # Torch7's unsigned arithmetic: a negative result in a floating tensor wraps past 2^64.
    R.rng_fill_random_(g, d, -2, 2)
    vals = set(d.a.tolist())
    assert vals <= {0.0, 1.0, 2.0, 2.0 ** 64, 2.0 ** 64 - 2}


def test_bernoulli_statistics() -> None:
    g = _gen(2)
    t = _t(200000)
    R.rng_fill_bernoulli_(g, t, 0.3)
    assert set(np.unique(t.a).tolist()) <= {0.0, 1.0}
    assert t.a.mean() == pytest.approx(0.3, abs=0.005)
    R.rng_fill_bernoulli_(g, t, 0.0)
    assert t.a.sum() == 0
    R.rng_fill_bernoulli_(g, t, 1.0)
    assert t.a.sum() == t.numel()


def test_bernoulli_tensor_probabilities() -> None:
    g = _gen(2)
    p = Tensor.from_array(np.tile(np.array([0.0, 0.25, 1.0, 0.75], np.float32), 20000))
    out = _t(20000, 4, dtype=np.uint8)
    R.rng_fill_bernoulli_(g, out, p)
    m = out.a.astype(np.float64).mean(axis=0)
    assert m[0] == 0 and m[2] == 1
    assert m[1] == pytest.approx(0.25, abs=0.01) and m[3] == pytest.approx(0.75, abs=0.01)
    g.manual_seed(2)
    u = g.uniform_array(80000)
    assert out.a.reshape(-1).tolist() == (u <= p.a.astype(np.float64)).astype(int).tolist()
    with pytest.raises(TorchError):
        R.rng_fill_bernoulli_(g, _t(3), Tensor.from_array(np.array([0.5, 2.0, 0.1])))


def test_randperm_is_permutation_and_resizes() -> None:
    g = _gen(6)
    t = _t(2, 2, dtype=np.int64)
    R.rng_randperm_(g, t, 1000)
    assert t.size == (1000,)
    assert sorted(t.a.tolist()) == list(range(1, 1001))


def test_multinomial_with_replacement_statistics() -> None:
    g = _gen(3)
    probs = np.array([1.0, 0.0, 3.0, 6.0])
    out = _t(1, dtype=np.int64)
    R.rng_multinomial_(g, out, Tensor.from_array(probs), 50000, True)
    assert out.size == (50000,)
    counts = np.bincount(out.a, minlength=5)
    assert counts[0] == 0 and counts[2] == 0
    freq = counts[1:] / 50000
    assert freq.tolist() == pytest.approx([0.1, 0.0, 0.3, 0.6], abs=0.01)


def test_multinomial_draw_order_and_search() -> None:
    g = _gen(3)
    probs = np.array([[0.2, 0.3, 0.5], [0.5, 0.0, 0.5]])
    out = _t(1, dtype=np.int64)
    R.rng_multinomial_(g, out, Tensor.from_array(probs), 4, True)
    assert out.size == (2, 4)
    g.manual_seed(3)
    u = g.uniform_array(8).reshape(2, 4)
    cum = np.cumsum(probs, axis=1)
    want = [[int(np.argmax(cum[i] >= x)) + 1 for x in u[i]] for i in range(2)]
    assert out.a.tolist() == want


def test_multinomial_without_replacement() -> None:
    g = _gen(4)
    probs = Tensor.from_array(np.array([[0.1, 0.2, 0.0, 0.7], [1.0, 1.0, 1.0, 1.0]], np.float32))
    out = _t(1, dtype=np.int64)
    for _ in range(200):
        R.rng_multinomial_(g, out, probs, 3, False)
        row0, row1 = out.a.tolist()
        assert len(set(row0)) == 3 and 3 not in row0
        assert len(set(row1)) == 3 and set(row1) <= {1, 2, 3, 4}
    R.rng_multinomial_(g, out, Tensor.from_array(np.array([0.5, 0.25, 0.25])), 3, False)
    assert sorted(out.a.tolist()) == [1, 2, 3]
    with pytest.raises(TorchError):
        R.rng_multinomial_(g, out, probs, 5, False)
    with pytest.raises(TorchError):
        R.rng_multinomial_(g, out, Tensor.from_array(np.zeros(3)), 1, True)


def test_multinomial_without_replacement_first_pick_statistics() -> None:
    g = _gen(5)
    probs = Tensor.from_array(np.array([0.6, 0.3, 0.1]))
    out = _t(1, dtype=np.int64)
    firsts = []
    for _ in range(5000):
        R.rng_multinomial_(g, out, probs, 2, False)
        firsts.append(out.a[0])
    freq = np.bincount(firsts, minlength=4)[1:] / 5000
    assert freq.tolist() == pytest.approx([0.6, 0.3, 0.1], abs=0.03)


def test_exports_are_prefixed() -> None:
    assert R.EXPORTS and all(k.startswith("rng_") for k in R.EXPORTS)
    for name in ["rng_new", "rng_manual_seed", "rng_seed", "rng_initial_seed", "rng_get_state",
                 "rng_set_state", "rng_random", "rng_uniform", "rng_normal", "rng_fill_random_",
                 "rng_fill_uniform_", "rng_fill_normal_", "rng_fill_exponential_",
                 "rng_fill_cauchy_", "rng_fill_lognormal_", "rng_fill_geometric_",
                 "rng_fill_bernoulli_", "rng_randperm_", "rng_multinomial_"]:
        assert callable(R.EXPORTS[name])
