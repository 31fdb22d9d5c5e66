"""Torch7's random generator: MT19937 with Torch7's seeding, distributions and draw order.

The Mersenne Twister itself is NumPy's (`np.random.MT19937`): a legacy `RandomState(seed)`
seeds exactly like the reference `init_genrand`, and `random_raw()` yields the tempered 32-bit
stream.  Everything built on it follows Torch7 (THRandom.c, THTensorRandom.c, TensorMath.lua):
one raw draw per uniform, Box-Muller with a cached (x, rho) pair, per-element row-major order
for tensor fills.  Tensor fills draw all their raw values at once and evaluate vectorised.

Transcendentals go through functions that agree bit for bit with the C library Torch7 used:
NumPy's SIMD `log`/`exp`/`tan` may differ from glibc by an ulp, so each is checked against
Python's `math` (which calls the C library) at first use and replaced by an element-wise map of
the `math` function when they disagree.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np

from luatorch.tensor import Storage, Tensor, TorchError

_N = 624  # MT19937 state words
_TWO32_INV = 1.0 / 4294967296.0
_MASK64 = (1 << 64) - 1
_LONG_MIN = -(1 << 63)

# ---------------------------------------------------------------------------------------------
# C-library-exact elementwise math
# ---------------------------------------------------------------------------------------------


def _safe_scalar(mf: Callable[[float], float], npf: Any) -> Callable[[float], float]:
    """`mf`, but returning the IEEE result (inf, nan) where Python's math would raise."""

    def g(v: float) -> float:
        try:
            return mf(v)
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                return float(npf(np.float64(v)))

    return g


def _mapped(mf: Callable[[float], float], npf: Any) -> Callable[[np.ndarray], np.ndarray]:
    """An array function evaluating `mf` (the C library's) element by element."""
    safe = _safe_scalar(mf, npf)

    def f(x: np.ndarray) -> np.ndarray:
        lst = x.tolist()
        try:
            return np.fromiter(map(mf, lst), np.float64, count=len(lst))
        except (ValueError, OverflowError):
            return np.fromiter(map(safe, lst), np.float64, count=len(lst))

    return f


def _pick(name: str, sample: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """NumPy's ufunc when it matches the C library on `sample`, else the mapped C function."""
    npf = getattr(np, name)
    mf = getattr(math, name)
    with np.errstate(all="ignore"):
        fast = npf(sample)
    exact = np.fromiter(map(mf, sample.tolist()), np.float64, count=sample.size)
    if np.array_equal(fast, exact):
        return npf
    return _mapped(mf, npf)


def _sample(name: str) -> np.ndarray:
    u = np.random.RandomState(12345).random_sample(1 << 14)
    if name == "log":
        return np.concatenate([1.0 - u, u * 1e3 + 1e-300])
    if name == "exp":
        return (u - 0.5) * 60.0
    if name == "tan":
        return math.pi * (u - 0.5)
    return u * 2.0 * math.pi


class _CExact:
    """`_pick(name)`, made at the first call: the check costs ~10 ms a function, which start-up
    (every `luatorch run`) need not pay for distributions it may never draw from."""

    __slots__ = ("name", "f")

    def __init__(self, name: str):
        self.name = name
        self.f: Any = None

    def __call__(self, x: Any) -> Any:
        f = self.f
        if f is None:
            f = self.f = _pick(self.name, _sample(self.name))
        return f(x)


_log = _CExact("log")
_exp = _CExact("exp")
_cos = _CExact("cos")
_sin = _CExact("sin")
_tan = _CExact("tan")

_slog = _safe_scalar(math.log, np.log)
_sexp = _safe_scalar(math.exp, np.exp)
_ssqrt = _safe_scalar(math.sqrt, np.sqrt)


def _div(a: float, b: float) -> float:
    """IEEE double division (inf / nan instead of ZeroDivisionError)."""
    with np.errstate(all="ignore"):
        return float(np.float64(a) / np.float64(b))


def _c_long(x: Any) -> int:
    """A Lua number as C `long` (truncation; out of range gives LONG_MIN like x86)."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return _LONG_MIN
        x = int(x)
    x = int(x)
    if not _LONG_MIN <= x < (1 << 63):
        return _LONG_MIN
    return x


def _signed64(x: int) -> int:
    x &= _MASK64
    return x - (1 << 64) if x >> 63 else x


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------

# get_state() layout: MT key, position, initial seed, Box-Muller cache.
_STATE_DTYPE = np.dtype([
    ("key", "<u4", (_N,)),
    ("pos", "<i8"),
    ("seed", "<i8"),
    ("nvalid", "<i8"),
    ("nx", "<f8"),
    ("nrho", "<f8"),
])


class Generator:
    """One Torch7 random generator (THGenerator): MT19937 state, initial seed, normal cache."""

    __slots__ = ("__weakref__", "_bgen", "_nrho", "_nvalid", "_nx", "_seed")

    def __init__(self, seed: int | None = None):
        self._bgen: Any = None
        self._seed = 0
        self._nvalid = False
        self._nx = 0.0
        self._nrho = 0.0
        if seed is None:
            self.seed()
        else:
            self.manual_seed(seed)

    # -- seeding --------------------------------------------------------------------------------
    def manual_seed(self, seed: Any) -> None:
        """Reseed like THRandom_manualSeed (also clears the normal cache)."""
        self._seed = _c_long(seed)
        self._bgen = None  # seeded state made at the first draw (see _bg)
        self._nvalid = False
        self._nx = 0.0
        self._nrho = 0.0

    @property
    def _bg(self) -> Any:
        """The MT19937 bit generator, seeded from `_seed` when first needed.

        NOTE: made lazily because importing numpy.random costs ~40 ms of every start-up, and
        Torch7 seeds its default generator before a script's first line."""
        bg = self._bgen
        if bg is None:
            st = np.random.RandomState(self._seed & 0xFFFFFFFF).get_state(legacy=False)["state"]
            bg = np.random.MT19937(0)
            bg.state = {"bit_generator": "MT19937", "state": {"key": st["key"], "pos": _N}}
            self._bgen = bg
        return bg

    def seed(self) -> int:
        """Reseed from /dev/urandom (kept below 2^53 so a Lua number holds it); return the seed."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 53) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed last given to manual_seed / seed."""
        return self._seed

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> np.ndarray:
        """The full state as a uint8 array."""
        st = self._bg.state["state"]
        rec = np.zeros((), _STATE_DTYPE)
        rec["key"] = st["key"]
        rec["pos"] = st["pos"]
        rec["seed"] = self._seed
        rec["nvalid"] = int(self._nvalid)
        rec["nx"] = self._nx
        rec["nrho"] = self._nrho
        return np.frombuffer(rec.tobytes(), np.uint8).copy()

    def set_state(self, data: np.ndarray) -> None:
        """Restore a state made by get_state."""
        data = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
        if data.size != _STATE_DTYPE.itemsize:
            raise TorchError("RNG state is wrong size")
        rec = np.frombuffer(data.tobytes(), _STATE_DTYPE)[0]
        pos = int(rec["pos"])
        if not 0 <= pos <= _N or int(rec["nvalid"]) not in (0, 1):
            raise TorchError("Invalid RNG state")
        self._bg.state = {"bit_generator": "MT19937",
                          "state": {"key": np.array(rec["key"], np.uint32), "pos": pos}}
        self._seed = int(rec["seed"])
        self._nvalid = bool(rec["nvalid"])
        self._nx = float(rec["nx"])
        self._nrho = float(rec["nrho"])

    # -- raw stream -----------------------------------------------------------------------------
    def random(self) -> int:
        """One raw 32-bit draw (THRandom_random)."""
        return int(self._bg.random_raw())

    def raw(self, n: int) -> np.ndarray:
        """`n` raw 32-bit draws as uint64, in stream order."""
        if n <= 0:
            return np.zeros(0, np.uint64)
        return self._bg.random_raw(n)

    def uniform_array(self, n: int) -> np.ndarray:
        """`n` doubles in [0, 1): raw / 2^32."""
        return self.raw(n).astype(np.float64) * _TWO32_INV

    # -- scalar distributions -------------------------------------------------------------------
    def uniform(self, a: float = 0.0, b: float = 1.0) -> float:
        """THRandom_uniform: u * (b - a) + a."""
        return self.random() * _TWO32_INV * (b - a) + a

    def normal(self, mean: float = 0.0, std: float = 1.0) -> float:
        """THRandom_normal: Box-Muller, the second value of each pair cached for the next call."""
        if not std > 0:
            raise TorchError("standard deviation must be strictly positive")
        if self._nvalid:
            self._nvalid = False
            return self._nrho * math.sin(2.0 * math.pi * self._nx) * std + mean
        x = self.random() * _TWO32_INV
        y = self.random() * _TWO32_INV
        self._nx = x
        self._nrho = _ssqrt(-2.0 * _slog(1.0 - y))
        self._nvalid = True
        return self._nrho * math.cos(2.0 * math.pi * x) * std + mean

    def exponential(self, lam: float) -> float:
        """THRandom_exponential."""
        return float(self.exponential_array(1, lam)[0])

    def cauchy(self, median: float = 0.0, sigma: float = 1.0) -> float:
        """THRandom_cauchy."""
        return float(self.cauchy_array(1, median, sigma)[0])

    def lognormal(self, mean: float = 1.0, std: float = 2.0) -> float:
        """THRandom_logNormal: exp(normal(mean, std)), mean / std those of the normal."""
        return float(self.lognormal_array(1, mean, std)[0])

    def geometric(self, p: float) -> int:
        """THRandom_geometric."""
        return int(self.geometric_array(1, p)[0])

    def bernoulli(self, p: float = 0.5) -> int:
        """THRandom_bernoulli: 1 when u <= p."""
        _check_bernoulli(p)
        return int(self.random() * _TWO32_INV <= p)

    # -- vectorised distributions (same stream use as n scalar calls) ---------------------------
    def normal_array(self, n: int, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        """`n` successive normal() values, continuing and leaving the pair cache like Torch7."""
        out = np.empty(n, np.float64)
        if n <= 0:
            return out
        if not std > 0:
            raise TorchError("standard deviation must be strictly positive")
        i = 0
        if self._nvalid:
            out[0] = self._nrho * math.sin(2.0 * math.pi * self._nx) * std + mean
            self._nvalid = False
            i = 1
        m = n - i
        if m:
            k = (m + 1) // 2
            u = self.uniform_array(2 * k)
            x = u[0::2]
            y = u[1::2]
            with np.errstate(all="ignore"):
                rho = np.sqrt(-2.0 * _log(1.0 - y))
                ang = 2.0 * math.pi * x
                vals = np.empty(2 * k, np.float64)
                vals[0::2] = rho * _cos(ang) * std + mean
                vals[1::2] = rho * _sin(ang) * std + mean
            out[i:] = vals[:m]
            if m % 2:
                self._nvalid = True
                self._nx = float(x[-1])
                self._nrho = float(rho[-1])
        return out

    def exponential_array(self, n: int, lam: float) -> np.ndarray:
        """`n` exponential draws: -1/lambda * log(1 - u)."""
        u = self.uniform_array(n)
        with np.errstate(all="ignore"):
            return _div(-1.0, lam) * _log(1.0 - u)

    def cauchy_array(self, n: int, median: float, sigma: float) -> np.ndarray:
        """`n` Cauchy draws: median + sigma * tan(pi * (u - 0.5))."""
        u = self.uniform_array(n)
        with np.errstate(all="ignore"):
            return median + sigma * _tan(math.pi * (u - 0.5))

    def lognormal_array(self, n: int, mean: float, std: float) -> np.ndarray:
        """`n` log-normal draws: exp of normal(mean, std) (Torch7 since 2016 takes the
        parameters of the underlying normal)."""
        if n <= 0:
            return np.empty(0, np.float64)
        if not std > 0:
            raise TorchError("standard deviation must be strictly positive")
        vals = self.normal_array(n, mean, std)
        with np.errstate(all="ignore"):
            return _exp(vals)

    def geometric_array(self, n: int, p: float) -> np.ndarray:
        """`n` geometric draws as C ints: (int)(log(1 - u) / log(p)) + 1."""
        if not (p > 0 and p < 1):
            raise TorchError("must be > 0 and < 1")
        u = self.uniform_array(n)
        with np.errstate(all="ignore"):
            q = _log(1.0 - u) / _slog(p)
        return _c_int_trunc(q) + np.int32(1)

    def bernoulli_array(self, n: int, p: Any) -> np.ndarray:
        """`n` Bernoulli draws (int32 0/1); `p` a number or an array of n probabilities."""
        if isinstance(p, np.ndarray):
            if not np.all((p >= 0) & (p <= 1)):
                raise TorchError("must be >= 0 and <= 1")
        else:
            _check_bernoulli(p)
        u = self.uniform_array(n)
        return (u <= p).astype(np.int32)


def _check_bernoulli(p: float) -> None:
    if not (p >= 0 and p <= 1):
        raise TorchError("must be >= 0 and <= 1")


def _c_int_trunc(q: np.ndarray) -> np.ndarray:
    """C's (int) of doubles on x86: truncation; NaN / out of range give INT_MIN."""
    with np.errstate(all="ignore"):
        t = np.trunc(q)
        bad = ~((t >= -2147483648.0) & (t <= 2147483647.0))
        t[bad] = -2147483648.0
    return t.astype(np.int32)


default_generator = Generator()


def get_generator(g: Generator | None) -> Generator:
    """`g`, or the default generator when None."""
    if g is None:
        return default_generator
    if not isinstance(g, Generator):
        raise TorchError("expected a torch.Generator")
    return g


# ---------------------------------------------------------------------------------------------
# Tensor helpers
# ---------------------------------------------------------------------------------------------

# Modulus of the argument-less random fill, per type (THTensor_(random)).
_RANDOM_MOD = {
    np.dtype(np.uint8): 1 << 8,
    np.dtype(np.int8): 1 << 7,
    np.dtype(np.int16): 1 << 15,
    np.dtype(np.int32): 1 << 31,
    np.dtype(np.int64): 1 << 63,
    np.dtype(np.float32): (1 << 24) + 1,
    np.dtype(np.float64): (1 << 53) + 1,
}


def _host(a: Any) -> np.ndarray:
    """A NumPy copy-or-view of a NumPy/CuPy array."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    return get() if get is not None else np.asarray(a)


def _store(t: Tensor, vals: np.ndarray) -> None:
    """Write `vals` (already t's dtype, row-major) into t, through any strides or device."""
    if t.numel() == 0:
        return
    vals = vals.reshape(t.a.shape)
    if t.xp is not np:
        vals = t.storage.device.send(vals)
    t.a[...] = vals


def _from_double(vals: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """C conversion of doubles to a tensor type: rounding for floats, truncation for integers."""
    if dtype.kind == "f":
        return vals.astype(dtype, copy=False)
    with np.errstate(all="ignore"):
        return np.trunc(vals).astype(dtype)


def _real(t: Tensor, x: float) -> float:
    """A parameter passed as the tensor's `real` (float tensors round it to float32)."""
    x = float(x)
    if t.dtype == np.float32:
        with np.errstate(all="ignore"):
            return float(np.float32(x))
    return x


def _opt(x: Any, default: float) -> float:
    return default if x is None else float(x)


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def rng_new() -> Generator:
    """A new, randomly seeded generator (torch.Generator())."""
    return Generator()


def rng_manual_seed(g: Generator | None, s: Any) -> None:
    """torch.manualSeed."""
    get_generator(g).manual_seed(s)


def rng_seed(g: Generator | None) -> int:
    """torch.seed: reseed randomly and return the seed."""
    return get_generator(g).seed()


def rng_initial_seed(g: Generator | None) -> int:
    """torch.initialSeed."""
    return get_generator(g).initial_seed()


def rng_get_state(g: Generator | None) -> Tensor:
    """torch.getRNGState: a ByteTensor copy of the whole state."""
    return Tensor.from_array(get_generator(g).get_state(), np.uint8)


def rng_set_state(g: Generator | None, t: Tensor) -> None:
    """torch.setRNGState."""
    if t.dtype != np.uint8:
        raise TorchError("RNG state must be a ByteTensor")
    get_generator(g).set_state(_host(t.a))


# Torch7's THGenerator on LP64 Linux: a torch.Generator in a .t7 file is these raw bytes.
_TH_GENERATOR = np.dtype([
    ("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
    ("state", "<u8", (_N,)), ("normal_x", "<f8"), ("normal_y", "<f8"), ("normal_rho", "<f8"),
    ("normal_is_valid", "<i4"),
], align=True)


def rng_th_size() -> int:
    """Bytes of a serialized torch.Generator (sizeof(THGenerator))."""
    return _TH_GENERATOR.itemsize


def rng_th_bytes(g: Generator) -> Storage:
    """The generator as Torch7's THGenerator bytes (Generator:write)."""
    st = g._bg.state["state"]
    pos = int(st["pos"])
    rec = np.zeros((), _TH_GENERATOR)
    rec["the_initial_seed"] = g._seed & _MASK64
    # THRandom_random draws state[next++] after --left; left + next stays N + 1 between draws
    rec["left"] = _N + 1 - pos
    rec["seeded"] = 1
    rec["next"] = pos
    rec["state"] = st["key"]
    rec["normal_x"] = g._nx
    rec["normal_y"] = -math.expm1(-g._nrho * g._nrho / 2.0)
    rec["normal_rho"] = g._nrho
    rec["normal_is_valid"] = int(g._nvalid)
    return Storage(np.frombuffer(rec.tobytes(), np.uint8).copy())


def rng_from_th_bytes(g: Generator, st: Storage) -> None:
    """Restore the generator from Torch7's THGenerator bytes (Generator:read)."""
    data = _host(st.buf)
    if data.size != _TH_GENERATOR.itemsize:
        raise TorchError("torch.Generator state is wrong size")
    rec = np.frombuffer(data.tobytes(), _TH_GENERATOR)[0]
    pos = min(max(_N + 1 - int(rec["left"]), 0), _N)
    g._bg.state = {"bit_generator": "MT19937",
                   "state": {"key": (rec["state"] & 0xFFFFFFFF).astype(np.uint32), "pos": pos}}
    g._seed = _signed64(int(rec["the_initial_seed"]))
    g._nvalid = bool(rec["normal_is_valid"])
    g._nx = float(rec["normal_x"])
    g._nrho = float(rec["normal_rho"])


def rng_random(g: Generator | None, a: Any = None, b: Any = None) -> int:
    """torch.random(), random(b) in [1, b], random(a, b) in [a, b] (Torch7's modulo draws)."""
    gen = get_generator(g)
    if a is None and b is None:
        return gen.random()
    if b is None:
        hi = _c_long(a)
        if hi <= 0:
            raise TorchError("upper bound must be strictly positive")
        return gen.random() % hi + 1
    lo, hi = _c_long(a), _c_long(b)
    if hi < lo:
        raise TorchError("upper bound must be larger than lower bound")
    span = (hi + 1 - lo) & _MASK64
    if span == 0:
        raise TorchError("range too large")
    return _signed64(gen.random() % span + lo)


def rng_uniform(g: Generator | None, a: Any = None, b: Any = None) -> float:
    """torch.uniform([a], [b])."""
    return get_generator(g).uniform(_opt(a, 0.0), _opt(b, 1.0))


def rng_normal(g: Generator | None, mean: Any = None, std: Any = None) -> float:
    """torch.normal([mean], [std])."""
    return get_generator(g).normal(_opt(mean, 0.0), _opt(std, 1.0))


def rng_exponential(g: Generator | None, lam: Any) -> float:
    """torch.exponential(lambda)."""
    return get_generator(g).exponential(float(lam))


def rng_cauchy(g: Generator | None, median: Any = None, sigma: Any = None) -> float:
    """torch.cauchy([median], [sigma])."""
    return get_generator(g).cauchy(_opt(median, 0.0), _opt(sigma, 1.0))


def rng_lognormal(g: Generator | None, mean: Any = None, std: Any = None) -> float:
    """torch.logNormal([mean], [std])."""
    return get_generator(g).lognormal(_opt(mean, 1.0), _opt(std, 2.0))


def rng_geometric(g: Generator | None, p: Any) -> int:
    """torch.geometric(p)."""
    return get_generator(g).geometric(float(p))


def rng_bernoulli(g: Generator | None, p: Any = None) -> int:
    """torch.bernoulli([p])."""
    return get_generator(g).bernoulli(_opt(p, 0.5))


def rng_fill_random_(g: Generator | None, t: Tensor, a: Any = None, b: Any = None) -> None:
    """t:random(), t:random(b), t:random(a, b) with Torch7's per-type arithmetic."""
    gen = get_generator(g)
    n = t.numel()
    dt = t.dtype
    if a is None and b is None:
        if dt not in _RANDOM_MOD:
            raise TorchError(f"random: unsupported tensor type {dt}")
        if n:
            _store(t, (gen.raw(n) % np.uint64(_RANDOM_MOD[dt])).astype(dt))
        return
    if b is None:
        hi = _c_long(a)
        if hi <= 0:
            raise TorchError("upper bound must be strictly positive")
        if n:
            vals = gen.raw(n) % np.uint64(hi) + np.uint64(1)
            _store(t, vals.astype(dt))
        return
    lo, hi = _c_long(a), _c_long(b)
    if hi < lo:
        raise TorchError("upper bound must be larger than lower bound")
    span = (hi + 1 - lo) & _MASK64
    if span == 0:
        raise TorchError("range too large")
    if n:
        # Unsigned long arithmetic as in Torch7: a negative lower bound wraps around 2^64,
        # so floating tensors receive huge values there (integer tensors wrap back).
        vals = gen.raw(n) % np.uint64(span) + np.uint64(lo & _MASK64)
        _store(t, vals.astype(dt))


def rng_fill_uniform_(g: Generator | None, t: Tensor, a: Any = None, b: Any = None) -> None:
    """t:uniform([a], [b])."""
    gen = get_generator(g)
    lo, hi = _real(t, _opt(a, 0.0)), _real(t, _opt(b, 1.0))
    n = t.numel()
    if n:
        # NOTE: an infinite range gives nan, as Torch7's arithmetic did, without NumPy's warning
        with np.errstate(invalid="ignore", over="ignore"):
            _store(t, _from_double(gen.uniform_array(n) * (hi - lo) + lo, t.dtype))


def rng_fill_normal_(g: Generator | None, t: Tensor, mean: Any = None,
                     std: Any = None) -> None:
    """t:normal([mean], [std])."""
    gen = get_generator(g)
    m, s = _real(t, _opt(mean, 0.0)), _real(t, _opt(std, 1.0))
    n = t.numel()
    if n:
        _store(t, _from_double(gen.normal_array(n, m, s), t.dtype))


def rng_fill_exponential_(g: Generator | None, t: Tensor, lam: Any) -> None:
    """t:exponential(lambda)."""
    gen = get_generator(g)
    n = t.numel()
    if n:
        _store(t, _from_double(gen.exponential_array(n, _real(t, lam)), t.dtype))


def rng_fill_cauchy_(g: Generator | None, t: Tensor, median: Any = None,
                     sigma: Any = None) -> None:
    """t:cauchy([median], [sigma])."""
    gen = get_generator(g)
    m, s = _real(t, _opt(median, 0.0)), _real(t, _opt(sigma, 1.0))
    n = t.numel()
    if n:
        _store(t, _from_double(gen.cauchy_array(n, m, s), t.dtype))


def rng_fill_lognormal_(g: Generator | None, t: Tensor, mean: Any = None,
                        std: Any = None) -> None:
    """t:logNormal([mean], [std])."""
    gen = get_generator(g)
    m, s = _real(t, _opt(mean, 1.0)), _real(t, _opt(std, 2.0))
    n = t.numel()
    if n:
        _store(t, _from_double(gen.lognormal_array(n, m, s), t.dtype))


def rng_fill_geometric_(g: Generator | None, t: Tensor, p: Any) -> None:
    """t:geometric(p)."""
    gen = get_generator(g)
    n = t.numel()
    if n:
        _store(t, gen.geometric_array(n, float(p)).astype(t.dtype))


def rng_fill_bernoulli_(g: Generator | None, t: Tensor, p: Any = None) -> None:
    """t:bernoulli([p]); `p` a number or a tensor of probabilities with as many elements."""
    gen = get_generator(g)
    n = t.numel()
    if isinstance(p, Tensor):
        if p.numel() != n:
            raise TorchError("inconsistent tensor size")
        pv = _host(p.a).astype(np.float64).reshape(-1)
        if n:
            _store(t, gen.bernoulli_array(n, pv).astype(t.dtype))
        return
    pf = _opt(p, 0.5)
    if n:
        _store(t, gen.bernoulli_array(n, pf).astype(t.dtype))


def rng_randperm_(g: Generator | None, t: Tensor, n: Any) -> None:
    """torch.randperm(n): resize t to n and fill it with a permutation of 1..n."""
    gen = get_generator(g)
    n = _c_long(n)
    if n <= 0:
        raise TorchError("must be strictly positive")
    t.resize((n,))
    # z_i = random() % (n - i); swap positions i and i + z_i, for i = 0 .. n-2.
    z = (gen.raw(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
    perm = list(range(n))
    for i, zi in enumerate(z):
        j = i + zi
        perm[i], perm[j] = perm[j], perm[i]
    vals = np.array(perm, np.int64).astype(t.dtype)
    with np.errstate(all="ignore"):
        vals += np.ones(1, t.dtype)
    _store(t, vals)


def _bsearch(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Torch7's binary search, vectorised over u: the first slot with cum[slot] >= u."""
    k = cum.shape[0]
    left = np.zeros(u.shape, np.int64)
    right = np.full(u.shape, k, np.int64)
    while True:
        active = right > left
        if not active.any():
            return left
        mid = left + (right - left) // 2
        below = cum[np.minimum(mid, k - 1)] < u
        left = np.where(active & below, mid + 1, left)
        right = np.where(active & ~below, mid, right)


def rng_multinomial_(g: Generator | None, out: Tensor, prob: Tensor, n: Any,
                     replacement: Any = False) -> None:
    """torch.multinomial(prob, n, [replacement]): 1-based category indices into `out`."""
    gen = get_generator(g)
    if prob.dim() not in (1, 2):
        raise TorchError("prob_dist must be 1 or 2 dim")
    p = _host(prob.a).astype(np.float64)
    one_d = p.ndim == 1
    if one_d:
        p = p.reshape(1, -1)
    n_dist, n_cat = p.shape
    n_sample = int(_c_long(n))
    with_repl = bool(replacement)
    if n_sample <= 0:
        raise TorchError("cannot sample n_sample < 0 samples")
    if not with_repl and n_sample > n_cat:
        raise TorchError("cannot sample n_sample > prob_dist:size(1) samples without replacement")
    cums = np.cumsum(p, axis=1)
    sums = cums[:, -1].copy()
    bad = np.nonzero(~(sums > 0))[0]
    if bad.size:
        gen.raw(int(bad[0]) * n_sample)  # rows before the bad one were drawn in Torch7
        raise TorchError("invalid multinomial distribution (sum of probabilities <= 0)")
    u = gen.uniform_array(n_dist * n_sample).reshape(n_dist, n_sample)
    res = np.empty((n_dist, n_sample), np.int64)
    with np.errstate(all="ignore"):
        for i in range(n_dist):
            cum = cums[i] / sums[i]
            cum[n_cat - 1] = 1.0
            if with_repl:
                res[i] = _bsearch(cum, u[i])
                continue
            for j in range(n_sample):
                cum[n_cat - 1] = 1.0
                idx = int(_bsearch(cum, u[i, j:j + 1])[0])
                res[i, j] = idx
                prev = cum[idx - 1] if idx else 0.0
                diff = cum[idx] - prev
                cum[idx:] -= diff
                cum /= 1.0 - diff
    out.resize((n_sample,) if one_d else (n_dist, n_sample))
    _store(out, (res + 1).astype(out.dtype))


def rng_alias_setup_(probs: Tensor, j: Tensor, q: Tensor) -> None:
    """torch.multinomialAliasSetup: the alias table `j` (1-based, a LongTensor) and the
    probability table `q` (probs' type) of Torch7's alias method for `probs`."""
    p = _host(probs.a).reshape(-1)
    dt = p.dtype if p.dtype.kind == "f" else np.dtype(np.float64)
    n = p.size
    q0 = (p * dt.type(n)).astype(dt)
    # Torch7 pairs them with two stacks: the large on top of its stack takes the smalls from
    # the top of theirs until its own share falls below 1; it then becomes the next small, and
    # the next large goes on.  The same pairing in cumulative sums: large k is used up once
    # the deficits consumed exceed the excesses of larges 1..k.
    small = np.flatnonzero(q0 < 1)[::-1]
    large = np.flatnonzero(~(q0 < 1))[::-1]
    ns, nl = small.size, large.size
    alias = np.zeros(n, np.int64)  # 0: no alias
    q_ = q0.astype(np.float64)
    if ns and nl:
        deficit = np.cumsum(1.0 - q_[small])
        excess = np.cumsum(q_[large] - 1.0)
        # smalls consumed (1-based count) when large k is used up; ns + 1: never
        used_up = np.searchsorted(deficit, excess, side="right") + 1
        nex = int(np.count_nonzero(used_up <= ns))
        owner = np.searchsorted(used_up, np.arange(1, ns + 1), side="left")
        taken = owner < nl
        alias[small[taken]] = large[owner[taken]] + 1
        ex = np.arange(min(nex, nl - 1))  # used-up larges taken by the next large
        alias[large[ex]] = large[ex + 1] + 1
        q_[large[:nex]] = 1.0 - (deficit[used_up[:nex] - 1] - excess[:nex])
        if nex < nl:
            q_[large[nex]] = 1.0 + excess[nex] - deficit[-1]
    qv = q_.astype(dt)
    if n and not qv.min() > 0:
        raise TorchError("bad argument #2 to 'multinomialAliasSetup' (q_min is less than 0)")
    qmax = qv.max() if n else dt.type(0)
    if qmax > 1:
        qv /= qmax
    # NOTE: Torch7 tests "no alias" as a 0-based alias <= 0, which also hits a genuine alias to
    # the first class; here only outcomes without an alias always keep their own index
    qv[alias == 0] = 1
    alias[alias == 0] = 1
    j.resize((n,))
    q.resize((n,))
    _store(j, alias.astype(j.dtype))
    _store(q, qv.astype(q.dtype))


def rng_alias_draw_(g: Generator | None, out: Tensor, j: Tensor, q: Tensor) -> None:
    """torch.multinomialAlias: fill `out` with 1-based classes drawn with the alias tables."""
    gen = get_generator(g)
    n = out.numel()
    k = j.numel()
    if not n:
        return
    alias = _host(j.a).reshape(-1).astype(np.int64)
    qv = _host(q.a).reshape(-1).astype(np.float64)
    if qv.size != k:
        raise TorchError("inconsistent tensor size")
    # per sample, as Torch7: a class uniform in [0, K), then a Bernoulli(q[class]) draw
    u = gen.uniform_array(2 * n)
    cls = (u[0::2] * float(k)).astype(np.int64)
    keep = u[1::2] <= qv[cls]
    # NOTE: Torch7 returns the alias 0-based (and leaves state[1] lowered by one after each
    # call); the alias is taken here as the class it names
    _store(out, np.where(keep, cls + 1, alias[cls]).astype(out.dtype))


EXPORTS = {
    "rng_new": rng_new,
    "rng_manual_seed": rng_manual_seed,
    "rng_seed": rng_seed,
    "rng_initial_seed": rng_initial_seed,
    "rng_get_state": rng_get_state,
    "rng_th_size": rng_th_size,
    "rng_th_bytes": rng_th_bytes,
    "rng_from_th_bytes": rng_from_th_bytes,
    "rng_set_state": rng_set_state,
    "rng_random": rng_random,
    "rng_uniform": rng_uniform,
    "rng_normal": rng_normal,
    "rng_exponential": rng_exponential,
    "rng_cauchy": rng_cauchy,
    "rng_lognormal": rng_lognormal,
    "rng_geometric": rng_geometric,
    "rng_bernoulli": rng_bernoulli,
    "rng_fill_random_": rng_fill_random_,
    "rng_fill_uniform_": rng_fill_uniform_,
    "rng_fill_normal_": rng_fill_normal_,
    "rng_fill_exponential_": rng_fill_exponential_,
    "rng_fill_cauchy_": rng_fill_cauchy_,
    "rng_fill_lognormal_": rng_fill_lognormal_,
    "rng_fill_geometric_": rng_fill_geometric_,
    "rng_fill_bernoulli_": rng_fill_bernoulli_,
    "rng_randperm_": rng_randperm_,
    "rng_multinomial_": rng_multinomial_,
    "rng_alias_setup_": rng_alias_setup_,
    "rng_alias_draw_": rng_alias_draw_,
}
