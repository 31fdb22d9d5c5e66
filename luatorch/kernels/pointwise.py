"""Element-wise math, comparisons and constructors of Torch7's TensorMath, as door functions.

Every `pw_*` function takes the result tensor first (Torch7's `[res,]` argument, already made by
Lua when the script gave none), then the sources.  The result is resized only when its size
differs from the first source's (Torch7's resizeAs), so a result view keeps its strides.
Sources need the same number of elements as the result, not the same shape.  Work goes through
ufuncs with `out=` on the cached `.a` views: NumPy ufuncs hand CuPy arrays on to CuPy through
`__array_ufunc__`, and the few non-ufunc calls use the tensor's own array module (`t.xp`).

Integer tensors follow C: a Lua number is first converted to the element type (truncated toward
zero, wrapped into range), integer division truncates, `fmod` keeps the dividend's sign and
`remainder` the divisor's.  Float-only functions (exp, log, ...) compute integer tensors in
double precision and truncate back, as a C assignment would.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from luatorch.tensor import Tensor, TorchError, size_str

# Torch7 computes 1/0, log(-1), overflow... silently; NumPy would warn for each of them.
warnings.filterwarnings("ignore", category=RuntimeWarning,
                        module=r"luatorch\.kernels\.(pointwise|indexing)\Z")

_add, _sub, _mul, _div = np.add, np.subtract, np.multiply, np.divide
_F64 = np.dtype(np.float64)
_U8 = np.dtype(np.uint8)

# integer dtype -> (lowest, highest) for C-style wrap-around of converted numbers
_IRANGE = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
           for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}


# -- helpers --------------------------------------------------------------------------------------
def ival(dtype: np.dtype, v: Any) -> int:
    """A Lua number converted to an integer element type the way C converts it (truncated).

    Out of range, C leaves the result to the hardware: x86 converts to a 32-bit int (64-bit for
    long) and keeps the low bits, with the 'integer indefinite' (INT_MIN) for what does not fit,
    NaN included.  NumPy's cast is that same conversion, so scalars agree with tensor copies.
    """
    try:
        iv = int(v)
    except (ValueError, OverflowError):
        pass
    else:
        lo, hi = _IRANGE[dtype]
        if lo <= iv <= hi:
            return iv
    with np.errstate(invalid="ignore"):
        return int(np.float64(v).astype(dtype))


def scalar(t: Tensor, v: Any) -> Any:
    """A Lua number as an element of `t`'s type (ints truncate and wrap; floats pass)."""
    dt = t.a.dtype
    if dt.kind == "f":
        return v
    return ival(dt, v)


def _mismatch(a: Tensor, b: Tensor) -> TorchError:
    return TorchError(
        f"inconsistent tensor size, expected tensor {size_str(a.size)} and src "
        f"{size_str(b.size)} to have the same number of elements, but got {a.numel()} and "
        f"{b.numel()} elements respectively")


def other(a: Tensor, b: Tensor) -> Any:
    """`b`'s array seen with `a`'s shape (element counts must match, shapes need not)."""
    ba = b.a
    if ba.shape != a.a.shape:
        if ba.size != a.a.size:
            raise _mismatch(a, b)
        ba = ba.reshape(a.a.shape)
    return ba


def _prep(r: Tensor, a: Tensor) -> Any:
    """Resize `r` like `a` when the sizes differ; return `r`'s array."""
    if r.size != a.size:
        r.resize(a.size)
    return r.a


def _isint(t: Tensor) -> bool:
    return t.a.dtype.kind in "iu"


def _assign(r: Tensor, value: Any) -> None:
    """Store a computed array into `r` (same shape), converting like C."""
    if r.size:
        r.a[...] = value


def _idiv(a: Any, b: Any, unsigned: bool) -> Any:
    """C integer division (truncating toward zero) of arrays/scalars; x/0 gives 0."""
    q = np.floor_divide(a, b)
    if not unsigned:
        m = np.remainder(a, b)
        # compare the operands as they are: np.asarray would pull a CuPy array to the host
        # (CuPy refuses that); `a` is an array, `b` an array or a Python number
        q += (m != 0) & ((a < 0) != (b < 0))
    return q


# -- unary functions ------------------------------------------------------------------------------
def _round(x: Any, out: Any) -> None:
    """C round(): halves away from zero (np.round goes to even)."""
    ax = np.abs(x)
    f = np.floor(ax)
    f += (ax - f) >= 0.5
    np.copysign(f, x, out=out)


def _frac(x: Any, out: Any) -> None:
    t = np.trunc(x)
    np.subtract(x, t, out=out)


def _sigmoid(x: Any, out: Any) -> None:
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)


def _rsqrt(x: Any, out: Any) -> None:
    np.sqrt(x, out=out)
    np.reciprocal(out, out=out)


def _cinv(x: Any, out: Any) -> None:
    np.divide(1, x, out=out)


def _log1p(x: Any, out: Any) -> None:
    np.log1p(x, out=out)


# functions that keep integers integral (NumPy handles integer dtypes directly)
_INT_SAFE: dict = {
    "abs": np.abs, "neg": np.negative, "sign": np.sign,
}
# functions meaningful for floats only; integer inputs go through double precision
_FLOAT_FNS: dict = {
    "exp": np.exp, "log": np.log, "log1p": _log1p, "sqrt": np.sqrt, "rsqrt": _rsqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "sigmoid": _sigmoid, "cinv": _cinv, "frac": _frac,
    "ceil": np.ceil, "floor": np.floor, "round": _round, "trunc": np.trunc,
}
# rounding functions are the identity on integers
_INT_IDENTITY = {"ceil", "floor", "round", "trunc"}


def _make_unary(name: str, fn: Callable) -> Callable:
    int_safe = name in _INT_SAFE
    ident = name in _INT_IDENTITY

    def k(r: Tensor, a: Tensor) -> None:
        out = _prep(r, a)
        if not a.size:
            return
        aa = a.a
        if aa.dtype.kind == "f" or int_safe:
            fn(aa, out=out)
        elif ident:
            if out is not aa:
                out[...] = aa
        elif name == "frac":
            out[...] = 0
        else:
            tmp = np.empty(aa.shape, _F64) if a.xp is np else a.xp.empty(aa.shape, _F64)
            fn(aa.astype(_F64), out=tmp)
            out[...] = tmp

    k.__name__ = "pw_" + name
    k.__doc__ = f"res = {name}(x), element-wise."
    return k


_UNARY = {**_INT_SAFE, **_FLOAT_FNS}


# -- add / sub / mul / div (the hot paths: one ufunc call, no temporaries) ------------------------
def pw_add(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a + b."""
    aa, ba = a.a, b.a
    if ba.shape != aa.shape:
        ba = other(a, b)
    if r is not a and r.size != a.size:
        r.resize(a.size)
    _add(aa, ba, out=r.a)


def pw_add_scalar(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a + v."""
    aa = a.a
    if aa.dtype.kind != "f":
        v = ival(aa.dtype, v)
    if r is not a and r.size != a.size:
        r.resize(a.size)
    _add(aa, v, out=r.a)


def pw_add_scaled(r: Tensor, a: Tensor, v: Any, b: Tensor) -> None:
    """res = a + v * b."""
    ba = other(a, b)
    v = scalar(a, v)
    out = _prep(r, a)
    if v == 1:
        _add(a.a, ba, out=out)
    else:
        _add(a.a, _mul(ba, v), out=out)


def pw_sub(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a - b."""
    ba = other(a, b)
    _sub(a.a, ba, out=_prep(r, a))


def pw_sub_scalar(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a - v."""
    _sub(a.a, scalar(a, v), out=_prep(r, a))


def pw_sub_scaled(r: Tensor, a: Tensor, v: Any, b: Tensor) -> None:
    """res = a - v * b."""
    ba = other(a, b)
    v = scalar(a, v)
    out = _prep(r, a)
    if v == 1:
        _sub(a.a, ba, out=out)
    else:
        _sub(a.a, _mul(ba, v), out=out)


def pw_rsub_scalar(r: Tensor, v: Any, a: Tensor) -> None:
    """res = v - a (for `number - tensor`)."""
    _sub(scalar(a, v), a.a, out=_prep(r, a))


def pw_mul(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a * v."""
    aa = a.a
    if aa.dtype.kind != "f":
        v = ival(aa.dtype, v)
    if r is not a and r.size != a.size:
        r.resize(a.size)
    _mul(aa, v, out=r.a)


def pw_cmul(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a .* b."""
    aa, ba = a.a, b.a
    if ba.shape != aa.shape:
        ba = other(a, b)
    if r is not a and r.size != a.size:
        r.resize(a.size)
    _mul(aa, ba, out=r.a)


def pw_div(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a / v (truncating for integer types)."""
    aa = a.a
    out = _prep(r, a)
    if aa.dtype.kind == "f":
        _div(aa, v, out=out)
    else:
        _assign(r, _idiv(aa, ival(aa.dtype, v), aa.dtype.kind == "u"))


def pw_cdiv(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a ./ b (truncating for integer types)."""
    ba = other(a, b)
    aa = a.a
    out = _prep(r, a)
    if aa.dtype.kind == "f":
        _div(aa, ba, out=out)
    else:
        _assign(r, _idiv(aa, ba, aa.dtype.kind == "u"))


def pw_addcmul(r: Tensor, a: Tensor, v: Any, b: Tensor, c: Tensor) -> None:
    """res = a + v * b .* c."""
    ba, ca = other(a, b), other(a, c)
    v = scalar(a, v)
    tmp = _mul(ba, v) if v != 1 else ba.copy()
    _mul(tmp, ca, out=tmp)
    _add(a.a, tmp, out=_prep(r, a))


def pw_addcdiv(r: Tensor, a: Tensor, v: Any, b: Tensor, c: Tensor) -> None:
    """res = a + v * b ./ c (truncating division for integer types)."""
    ba, ca = other(a, b), other(a, c)
    v = scalar(a, v)
    if a.a.dtype.kind == "f":
        tmp = _mul(ba, v) if v != 1 else ba.copy()
        _div(tmp, ca, out=tmp)
    else:
        tmp = _idiv(_mul(ba, v), ca, a.a.dtype.kind == "u").astype(a.a.dtype)
    _add(a.a, tmp, out=_prep(r, a))


# -- modulo, powers, min/max, clamp ---------------------------------------------------------------
def _remainder(x: Any, y: Any, out: Any, isint: bool) -> Any:
    if isint:
        np.remainder(x, y, out=out)
    else:
        q = np.floor(np.divide(x, y))
        np.subtract(x, np.multiply(q, y), out=out)


def pw_fmod(r: Tensor, a: Tensor, v: Any) -> None:
    """res = fmod(a, v): the remainder has the dividend's sign."""
    np.fmod(a.a, scalar(a, v), out=_prep(r, a))


def pw_cfmod(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = fmod(a, b) element-wise."""
    ba = other(a, b)
    np.fmod(a.a, ba, out=_prep(r, a))


def pw_remainder(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a - v * floor(a / v): the remainder has the divisor's sign."""
    _remainder(a.a, scalar(a, v), _prep(r, a), _isint(a))


def pw_cremainder(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = remainder(a, b) element-wise."""
    ba = other(a, b)
    _remainder(a.a, ba, _prep(r, a), _isint(a))


def _ipow(base: Any, expo: Any) -> Any:
    """Integer powers computed as C's pow() in double precision."""
    # astype keeps a CuPy base on its device (np.asarray would need it on the host); a number
    # becomes a NumPy double, which CuPy's ufuncs take as a scalar
    base = base.astype(_F64) if hasattr(base, "astype") else _F64.type(base)
    return np.power(base, expo)


def pw_pow(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a ^ v."""
    out = _prep(r, a)
    if not a.size:
        return
    if not _isint(a):
        if v == 2:
            _mul(a.a, a.a, out=out)
        else:
            np.power(a.a, v, out=out)
    elif float(v).is_integer() and v >= 0:
        np.power(a.a, int(v), out=out)
    else:
        _assign(r, _ipow(a.a, v))


def pw_tpow(r: Tensor, v: Any, a: Tensor) -> None:
    """res = v ^ a (Torch7's `torch.pow(n, x)`)."""
    out = _prep(r, a)
    if not a.size:
        return
    if not _isint(a):
        np.power(v, a.a, out=out)
    else:
        _assign(r, _ipow(v, a.a))


def pw_cpow(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a ^ b element-wise."""
    ba = other(a, b)
    out = _prep(r, a)
    if not a.size:
        return
    if not _isint(a):
        np.power(a.a, ba, out=out)
    else:
        _assign(r, _ipow(a.a, ba))


def pw_cmax(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = max(a, b) element-wise."""
    np.maximum(a.a, other(a, b), out=_prep(r, a))


def pw_cmin(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = min(a, b) element-wise."""
    np.minimum(a.a, other(a, b), out=_prep(r, a))


def pw_cmax_value(r: Tensor, a: Tensor, v: Any) -> None:
    """res = max(a, v)."""
    np.maximum(a.a, scalar(a, v), out=_prep(r, a))


def pw_cmin_value(r: Tensor, a: Tensor, v: Any) -> None:
    """res = min(a, v)."""
    np.minimum(a.a, scalar(a, v), out=_prep(r, a))


def pw_clamp(r: Tensor, a: Tensor, lo: Any, hi: Any) -> None:
    """res = lo where a < lo, hi where a > hi, else a."""
    lo, hi = scalar(a, lo), scalar(a, hi)
    out = _prep(r, a)
    if not a.size:
        return
    if lo <= hi:
        np.clip(a.a, lo, hi, out=out)
    else:  # Torch7 tests the lower bound first
        aa = a.a
        res = a.xp.where(aa < lo, lo, a.xp.where(aa > hi, hi, aa))
        out[...] = res


def pw_atan2(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = atan2(a, b) element-wise."""
    ba = other(a, b)
    out = _prep(r, a)
    if not a.size:
        return
    if _isint(a):
        _assign(r, np.arctan2(a.a.astype(_F64), ba))
    else:
        np.arctan2(a.a, ba, out=out)


def pw_lerp(r: Tensor, a: Tensor, b: Tensor, w: Any) -> None:
    """res = a + w * (b - a)."""
    ba = other(a, b)
    out = _prep(r, a)
    if not a.size:
        return
    if _isint(a):
        aa = a.a.astype(_F64)
        _assign(r, aa + w * (ba - aa))
    else:
        tmp = _sub(ba, a.a)
        tmp *= w
        _add(a.a, tmp, out=out)


# -- bitwise operations and shifts ---------------------------------------------------------------
_UNSIGNED = {np.dtype(t): np.dtype("u%d" % np.dtype(t).itemsize)
             for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}
_F16 = np.dtype(np.float16)


def _intonly(name: str, a: Tensor) -> None:
    if a.a.dtype.kind not in "iu":
        raise TorchError(f"{name} is only supported for integer type tensors")


def _make_bitop(name: str, uf: Callable, tensor_arg: bool) -> Callable:
    def k(r: Tensor, a: Tensor, b: Any) -> None:
        _intonly(name, a)
        bb = other(a, b) if tensor_arg else ival(a.a.dtype, b)
        out = _prep(r, a)
        if a.size:
            uf(a.a, bb, out=out)

    k.__name__ = "pw_" + name
    k.__doc__ = f"res = {name}(a, b), b a {'tensor' if tensor_arg else 'number'} (integers only)."
    return k


def _shift(name: str, r: Tensor, a: Tensor, b: Any, left: bool) -> None:
    """Shift `a` by `b` (a number or tensor): integers shift their unsigned bits, as Torch7
    casts to `unsigned real` first (so >> is logical); floats multiply or divide by 2^b."""
    dt = a.a.dtype
    if dt == _F16:
        raise TorchError(f"{name} is not supported for torch.HalfTensor")
    bb = other(a, b) if isinstance(b, Tensor) else b
    out = _prep(r, a)
    if not a.size:
        return
    if dt.kind == "f":
        if not hasattr(bb, "dtype"):
            bb = dt.type(bb)  # Torch7 passes the count as `real` (powf for floats)
        p = np.power(dt.type(2), bb, dtype=dt)
        (_mul if left else _div)(a.a, p, out=out)
        return
    ut = _UNSIGNED[dt]
    if hasattr(bb, "dtype"):
        cnt = bb.view(ut)
    else:
        cnt = ut.type(ival(dt, bb) & ((1 << (8 * ut.itemsize)) - 1))
    (np.left_shift if left else np.right_shift)(a.a.view(ut), cnt, out=out.view(ut))


def pw_lshift(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a << v (floats: a * 2^v)."""
    _shift("lshift", r, a, v, True)


def pw_rshift(r: Tensor, a: Tensor, v: Any) -> None:
    """res = a >> v, logical for integers (floats: a / 2^v)."""
    _shift("rshift", r, a, v, False)


def pw_clshift(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a << b element-wise (floats: a * 2^b)."""
    _shift("clshift", r, a, b, True)


def pw_crshift(r: Tensor, a: Tensor, b: Tensor) -> None:
    """res = a >> b element-wise, logical for integers (floats: a / 2^b)."""
    _shift("crshift", r, a, b, False)


_BITOPS = {"bitand": np.bitwise_and, "bitor": np.bitwise_or, "bitxor": np.bitwise_xor}


# -- comparisons and logic ------------------------------------------------------------------------
def _make_cmp(name: str, uf: Callable) -> Callable:
    def k(r: Tensor | None, a: Tensor, b: Any) -> Tensor:
        if isinstance(b, Tensor):
            bb = other(a, b)
        else:
            bb = scalar(a, b)
        if r is None:  # a new ByteTensor, made here to save a crossing and a resize
            r = Tensor.empty(a.size, _U8, a.storage.device)
        out = _prep(r, a)
        if a.size:
            uf(a.a, bb, out=out)
        return r

    k.__name__ = "pw_" + name
    k.__doc__ = f"res = (a {name} b) as 0/1 (res None: a new ByteTensor), b tensor or number."
    return k


_CMP = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
        "eq": np.equal, "ne": np.not_equal}


def pw_all(a: Tensor) -> bool:
    """True when every element is non-zero (an empty tensor counts as true)."""
    return bool(a.a.all()) if a.size else True


def pw_any(a: Tensor) -> bool:
    """True when some element is non-zero."""
    return bool(a.a.any()) if a.size else False


def pw_equal(a: Tensor, b: Tensor) -> bool:
    """Same sizes and same elements."""
    if a.size != b.size:
        return False
    if not a.size:
        return True
    return bool(a.xp.array_equal(a.a, b.a))


# -- operators: a new result in one crossing ------------------------------------------------------
def _new_like(a: Tensor) -> Tensor:
    return Tensor.empty(a.size, a.dtype, a.storage.device)


def pw_op_add(a: Tensor, b: Any) -> Tensor:
    """`a + b`, b a tensor of a's type or a number."""
    r = _new_like(a)
    if isinstance(b, Tensor):
        pw_add(r, a, b)
    else:
        pw_add_scalar(r, a, b)
    return r


def pw_op_sub(a: Tensor, b: Any) -> Tensor:
    """`a - b`."""
    r = _new_like(a)
    if isinstance(b, Tensor):
        pw_sub(r, a, b)
    else:
        pw_sub_scalar(r, a, b)
    return r


def pw_op_rsub(v: Any, a: Tensor) -> Tensor:
    """`v - a` for a number v."""
    r = _new_like(a)
    pw_rsub_scalar(r, v, a)
    return r


def pw_op_mul(a: Tensor, v: Any) -> Tensor:
    """`a * v` for a number v."""
    r = _new_like(a)
    pw_mul(r, a, v)
    return r


def pw_op_div(a: Tensor, v: Any) -> Tensor:
    """`a / v` for a number v."""
    r = _new_like(a)
    pw_div(r, a, v)
    return r


def pw_op_mod(a: Tensor, v: Any) -> Tensor:
    """`a % v` for a number v (Torch7 uses remainder: the divisor's sign)."""
    r = _new_like(a)
    pw_remainder(r, a, v)
    return r


def pw_op_unm(a: Tensor) -> Tensor:
    """`-a`."""
    r = _new_like(a)
    if a.size:
        np.negative(a.a, out=r.a)
    return r


# -- constructors ---------------------------------------------------------------------------------
def _check_sizes(sizes: Sequence[Any]) -> tuple:
    out = []
    for s in sizes:
        if not isinstance(s, (int, float)) or s < 0 or s != int(s):
            raise TorchError("invalid size: sizes must be non-negative integers")
        out.append(int(s))
    return tuple(out)


def pw_fill_sized(r: Tensor, v: Any, *sizes: Any) -> None:
    """Resize `r` to `sizes` and fill it with `v` (zeros / ones)."""
    size = _check_sizes(sizes)
    if r.size != size:
        r.resize(size)
    if r.size:
        r.a.fill(scalar(r, v))


def _fill_seq(r: Tensor, n: int, vals: Any) -> None:
    """Write `n` values into `r` in index order; `r` keeps its shape when it has n elements
    (Torch7 resizes only on a count mismatch, so a 2x2 view takes 4 values)."""
    if r.numel() != n:
        r.resize((n,))
    if n:
        r.a[...] = vals.reshape(r.a.shape)


def pw_range(r: Tensor, xmin: Any, xmax: Any, step: Any = 1) -> None:
    """Torch7's range: floor((xmax - xmin) / step) + 1 values xmin, xmin + step, ..."""
    if _isint(r):  # the bounds are C longs for integer tensors
        xmin, xmax, step = int(xmin), int(xmax), int(step)
    if step == 0:
        raise TorchError("bad argument #3 to 'range' (step must be a non-null number)")
    if (step > 0 and xmax < xmin) or (step < 0 and xmax > xmin):
        raise TorchError("bad argument #2 to 'range' (upper bound and larger bound incoherent "
                         "with step sign)")
    n = int((xmax - xmin) / step + 1)
    xp = r.xp
    if _isint(r):
        vals = xp.arange(n, dtype=np.int64) * step + xmin
    else:
        vals = xp.arange(n, dtype=_F64) * step + xmin
    _fill_seq(r, n, vals)


def _spaced(fname: str, r: Tensor, a: Any, b: Any, n: Any) -> Any:
    """Torch7's a + i*(b-a)/(n-1) for i = 0..n-1, in the tensor's own type (C integer
    division for integer types), or None when n is 1."""
    n = int(n)
    if not (n > 1 or (n == 1 and a == b)):
        raise TorchError(f"bad argument #3 to '{fname}' (invalid number of points)")
    if n == 1:
        return None
    dt = r.a.dtype
    if dt.kind in "iu":
        av, bv = np.int64(ival(dt, a)), np.int64(ival(dt, b))
        return _idiv(r.xp.arange(n, dtype=np.int64) * (bv - av), n - 1, False) + av
    a, b = dt.type(a), dt.type(b)
    return a + r.xp.arange(n, dtype=dt) * (b - a) / dt.type(n - 1)


def pw_linspace(r: Tensor, a: Any, b: Any, n: int = 100) -> None:
    """`n` equally spaced points from `a` to `b`."""
    vals = _spaced("linspace", r, a, b, n)
    if vals is None:
        _fill_seq(r, 1, r.xp.full(1, a, _F64))
    else:
        _fill_seq(r, int(n), vals)


def pw_logspace(r: Tensor, a: Any, b: Any, n: int = 100) -> None:
    """`n` points from 10^a to 10^b, equally spaced in the exponent."""
    e = _spaced("logspace", r, a, b, n)
    if e is None:
        _fill_seq(r, 1, r.xp.full(1, 10.0 ** a, _F64))
        return
    if e.dtype.kind in "iu":
        e = e.astype(_F64)
    _fill_seq(r, int(n), r.xp.power(e.dtype.type(10), e))


def pw_eye(r: Tensor, n: int, m: int = 0) -> None:
    """An n x m matrix with ones on the diagonal (m defaults to n)."""
    if n <= 0:
        raise TorchError("bad argument #1 to 'eye' (invalid argument)")
    if m <= 0:
        m = n
    n, m = int(n), int(m)
    if r.size != (n, m):
        r.resize((n, m))
    r.a.fill(0)
    k = min(n, m)
    idx = r.xp.arange(k)
    r.a[idx, idx] = 1


def pw_diag(r: Tensor, x: Tensor, k: int = 0) -> None:
    """1-D x: a matrix with x on diagonal k; 2-D x: its diagonal k as a vector."""
    k = int(k)
    nd = len(x.size)
    if nd == 1:
        n = x.size[0] + abs(k)
        src = x.a.copy() if r.storage is x.storage else x.a
        if r.size != (n, n):
            r.resize((n, n))
        r.a.fill(0)
        i = r.xp.arange(x.size[0])
        if k >= 0:
            r.a[i, i + k] = src
        else:
            r.a[i - k, i] = src
    elif nd == 2:
        rows, cols = x.size
        if k >= 0:
            n = min(rows, cols - k)
        else:
            n = min(rows + k, cols)
        if n <= 0:
            raise TorchError("bad argument #2 to 'diag' (diagonal out of range)")
        i = x.xp.arange(n)
        vals = x.a[i, i + k] if k >= 0 else x.a[i - k, i]
        if r.size != (n,):
            r.resize((n,))
        r.a[...] = vals
    else:
        raise TorchError("bad argument #1 to 'diag' (matrix or a vector expected)")


def _tri(r: Tensor, x: Tensor, k: int, fname: str, lower: bool) -> None:
    if len(x.size) != 2:
        raise TorchError(f"bad argument #1 to '{fname}' (expected a matrix)")
    xp = x.xp
    mask_fn = xp.tril if lower else xp.triu
    vals = mask_fn(x.a, int(k))
    if r.size != x.size:
        r.resize(x.size)
    r.a[...] = vals


def pw_tril(r: Tensor, x: Tensor, k: int = 0) -> None:
    """The elements of matrix x on and below diagonal k, zeros elsewhere."""
    _tri(r, x, k, "tril", True)


def pw_triu(r: Tensor, x: Tensor, k: int = 0) -> None:
    """The elements of matrix x on and above diagonal k, zeros elsewhere."""
    _tri(r, x, k, "triu", False)


def _histc_setup(fname: str, x: Tensor, nbins: Any, lo: Any, hi: Any) -> tuple:
    """Torch7's histogram range: [lo, hi], the data's range when equal, widened by one each
    way when still equal; values and bounds in the tensor's `real` (double for integers)."""
    nbins = int(nbins)
    if nbins <= 0:
        raise TorchError(f"bad argument #2 to '{fname}' (number of bins must be positive)")
    a = x.a
    dt = a.dtype if a.dtype.kind == "f" else _F64
    lo, hi = dt.type(lo), dt.type(hi)
    if lo == hi and x.size:
        lo, hi = a.min().astype(dt), a.max().astype(dt)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return nbins, dt, lo, hi


def _bin_of(v: Any, dt: np.dtype, lo: Any, hi: Any, nbins: int) -> tuple:
    """(mask of values in [lo, hi], their bins): (int)((v - lo) / (hi - lo) * nbins), the top
    edge counted in the last bin."""
    v = v.astype(dt, copy=False)
    keep = (v >= lo) & (v <= hi)
    b = ((v[keep] - lo) / (hi - lo) * dt.type(nbins)).astype(np.int64)
    np.minimum(b, nbins - 1, out=b)
    return keep, b


def pw_histc(r: Tensor, x: Tensor, nbins: int = 100, lo: Any = 0, hi: Any = 0) -> None:
    """Histogram of x's elements in `nbins` equal bins over [lo, hi] (data range when equal)."""
    nbins, dt, lo, hi = _histc_setup("histc", x, nbins, lo, hi)
    if r.size != (nbins,):
        r.resize((nbins,))
    r.a.fill(0)
    if not x.size:
        return
    _, b = _bin_of(x.a.reshape(-1), dt, lo, hi, nbins)
    r.a[...] = x.xp.bincount(b, minlength=nbins)[:nbins]


def pw_bhistc(r: Tensor, x: Tensor, nbins: int = 100, lo: Any = 0, hi: Any = 0) -> None:
    """Row by row histograms of a matrix (one range for all rows, as histc finds it)."""
    nd = len(x.size)
    if nd >= 3:
        raise TorchError(f"bad argument #2 to 'bhistc' (invalid dimension {nd}, the input must "
                         "be a 2d tensor)")
    if nd < 2:
        raise TorchError("bad argument #2 to 'bhistc' (invalid dimension 2)")
    nbins, dt, lo, hi = _histc_setup("bhistc", x, nbins, lo, hi)
    rows = x.size[0]
    if r.size != (rows, nbins):
        r.resize((rows, nbins))
    keep, b = _bin_of(x.a, dt, lo, hi, nbins)
    # one bincount over all rows: row i's bins are numbered i*nbins .. i*nbins + nbins - 1
    b += x.xp.nonzero(keep)[0] * nbins
    r.a[...] = x.xp.bincount(b, minlength=rows * nbins).reshape(rows, nbins)


def pw_repeat(r: Tensor, x: Tensor, *reps: Any) -> None:
    """Torch7's repeatTensor: x tiled reps[i] times along dimension i."""
    reps = _check_sizes(reps)
    nd = len(x.size)
    if len(reps) < nd:
        raise TorchError("Number of dimensions of repeat dims can not be smaller than number "
                         "of dimensions of tensor")
    if not x.size:
        raise TorchError("bad argument #1 to 'repeatTensor' (non-empty tensor expected)")
    shape = (1,) * (len(reps) - nd) + x.size
    tiled = x.xp.tile(x.a.reshape(shape), reps)
    if r.size != tiled.shape:
        r.resize(tiled.shape)
    _assign(r, tiled)


def _numstr(v: float) -> str:
    """A number as Lua prints it (%.14g)."""
    return "%.14g" % v


def pw_cat(r: Tensor, dim: int | None, *ts: Tensor) -> None:
    """Concatenate `ts` along 1-based `dim` (None: the last dimension of the largest input)."""
    if not ts:
        raise TorchError("bad argument #2 to 'cat' (invalid number of inputs 0)")
    maxdim = max(len(t.size) for t in ts)
    if dim is None:
        d = max(maxdim - 1, 0)
    else:
        # NOTE: the result has at least `dim` dimensions, so a huge one (2^31, inf, nan)
        # is refused before anything loops over them; NumPy holds at most 64
        if not 1 <= dim <= 64:
            raise TorchError(f"bad argument #3 to 'cat' (invalid dimension {_numstr(dim)})")
        d = int(dim) - 1
    ndim = max(maxdim, d + 1)

    def sz(t: Tensor, i: int) -> int:
        # a missing dimension counts as 1 (0 for an empty tensor, which is skipped)
        return t.size[i] if i < len(t.size) else (1 if t.size else 0)

    size = []
    for i in range(ndim):
        if i == d:
            size.append(sum(sz(t, i) for t in ts))
            continue
        s = 0
        for t in ts:
            ts_i = sz(t, i)
            if s and ts_i and s != ts_i:
                raise TorchError("inconsistent tensor sizes")
            s = s or ts_i
        size.append(s)
    parts = [t.a.reshape(tuple(sz(t, i) for i in range(ndim))) for t in ts if t.size]
    if not parts:
        r.resize(())
        return
    xp = ts[0].xp
    joined = xp.concatenate(parts, axis=d) if len(parts) > 1 else parts[0].copy()
    size_t = tuple(size)
    if r.size != size_t:
        r.resize(size_t)
    r.a[...] = joined


EXPORTS = {k: v for k, v in dict(globals()).items() if k.startswith("pw_") and callable(v)}
for _name, _fn in _UNARY.items():
    EXPORTS["pw_" + _name] = _make_unary(_name, _fn)
for _name, _uf in _CMP.items():
    EXPORTS["pw_" + _name] = _make_cmp(_name, _uf)
for _name, _uf in _BITOPS.items():
    EXPORTS["pw_" + _name] = _make_bitop(_name, _uf, False)
    EXPORTS["pw_c" + _name] = _make_bitop("c" + _name, _uf, True)
