"""Finite-difference gradient checks for nn modules and criterions driven from Python.

Tensors are made in Python (`put`) and read back as NumPy views (`get`); the module under test
lives in the Lua global `_m`.  The numeric gradient perturbs the input's storage in place.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from luatorch.runtime import LuaError, Runtime
from luatorch.tensor import Tensor

DTYPES = {"Double": np.float64, "Float": np.float32}
# (finite-difference step, tolerance relative to the gradient's scale) per tensor type
STEP = {"Double": 1e-6, "Float": 1e-2}
TOL = {"Double": 1e-6, "Float": 2e-2}


def load_nn(rt: Runtime) -> Runtime:
    """`require 'nn'` once in this runtime."""
    rt.execute("require 'nn'")
    return rt


def put(rt: Runtime, name: str, arr: Any, ttype: str = "Double") -> None:
    """Set Lua global `name` to a new tensor holding `arr` (Long for an integer type name)."""
    dtype = np.int64 if ttype == "Long" else DTYPES[ttype]
    h = Tensor.from_array(np.asarray(arr), dtype)
    rt.lua.globals()[name] = rt.eval("torch._wrapany")(h)


def put_table(rt: Runtime, name: str, arrs: Sequence[Any], ttype: str = "Double") -> None:
    """Set Lua global `name` to a table of new tensors."""
    for i, a in enumerate(arrs):
        put(rt, f"{name}_{i + 1}", a, ttype)
    rt.execute(f"{name} = {{" + ", ".join(f"{name}_{i + 1}" for i in range(len(arrs))) + "}")


def get(rt: Runtime, expr: str) -> np.ndarray:
    """A copy of the array of the Lua tensor `expr` evaluates to."""
    h = rt.eval(f"torch._handle({expr})")
    return np.array(h.a, copy=True) if h.size else np.zeros(0, h.dtype)


def view(rt: Runtime, expr: str) -> np.ndarray:
    """The live array of the Lua tensor `expr` (writes go to the tensor)."""
    return rt.eval(f"torch._handle({expr})").a


def _numeric(f: Any, arr: np.ndarray, step: float) -> np.ndarray:
    """Central differences of scalar f() with respect to each element of the live `arr`."""
    g = np.zeros(arr.shape, np.float64)
    for idx in np.ndindex(*arr.shape):
        old = arr[idx]
        arr[idx] = old + step
        fp = f()
        arr[idx] = old - step
        fm = f()
        arr[idx] = old
        g[idx] = (fp - fm) / (2 * step)
    return g


def _close(analytic: np.ndarray, numeric: np.ndarray, ttype: str, what: str) -> None:
    scale = max(1.0, float(np.abs(numeric).max(initial=0.0)))
    err = float(np.abs(analytic.astype(np.float64) - numeric).max(initial=0.0))
    assert err <= TOL[ttype] * scale, f"{what}: max error {err:g} (scale {scale:g})\n" \
        f"analytic {analytic}\nnumeric {numeric}"


def check_module(rt: Runtime, ctor: str, x: Any, ttype: str = "Double",
                 params: Sequence[tuple] = (), seed: int = 0, table_input: bool = False,
                 setup: str = "") -> None:
    """Compare backward() with finite differences of <forward(x), gradOutput>.

    `params` lists (param, gradParam) field names checked the same way; `setup` is Lua run
    after the module is made (e.g. `_m:evaluate()`).
    """
    rng = np.random.default_rng(seed)
    rt.execute(f"_m = ({ctor}):{ttype.lower()}() {setup}")
    if table_input:
        put_table(rt, "_x", x, ttype)
        xs = [view(rt, f"_x_{i + 1}") for i in range(len(x))]
    else:
        put(rt, "_x", x, ttype)
        xs = [view(rt, "_x")]
    out = get(rt, "_m:forward(_x)")
    put(rt, "_g", rng.standard_normal(out.shape), ttype)
    g = get(rt, "_g").astype(np.float64)
    rt.execute("if _m.zeroGradParameters then _m:zeroGradParameters() end "
               "_gi = _m:backward(_x, _g)")

    def f() -> float:
        return float(np.vdot(get(rt, "_m:forward(_x)").astype(np.float64), g))

    for i, xa in enumerate(xs):
        expr = f"_gi[{i + 1}]" if table_input else "_gi"
        analytic = get(rt, expr)
        _close(analytic, _numeric(f, xa, STEP[ttype]), ttype, f"{ctor} gradInput ({ttype})")
    for p, gp in params:
        analytic = get(rt, f"_m.{gp}")
        _close(analytic, _numeric(f, view(rt, f"_m.{p}"), STEP[ttype]), ttype,
               f"{ctor} {gp} ({ttype})")


def check_criterion(rt: Runtime, ctor: str, x: Any, target: Any, ttype: str = "Double",
                    target_type: str | None = None, table_input: bool = False) -> float:
    """Compare criterion backward() with finite differences of forward(); returns the loss.

    `target` is an array (made a tensor of `target_type`, default the input type), a number,
    or a Lua expression string.
    """
    rt.execute(f"_c = ({ctor}):{ttype.lower()}()")
    if table_input:
        put_table(rt, "_x", x, ttype)
        xs = [view(rt, f"_x_{i + 1}") for i in range(len(x))]
    else:
        put(rt, "_x", x, ttype)
        xs = [view(rt, "_x")]
    if isinstance(target, str):
        rt.execute(f"_t = {target}")
    elif isinstance(target, (int, float)):
        rt.execute(f"_t = {target!r}")
    else:
        put(rt, "_t", target, target_type or ttype)
    loss = rt.eval("_c:forward(_x, _t)")
    loss = float(loss[0] if isinstance(loss, tuple) else loss)
    rt.execute("_gi = _c:backward(_x, _t)")

    def f() -> float:
        v = rt.eval("_c:forward(_x, _t)")
        return float(v[0] if isinstance(v, tuple) else v)

    for i, xa in enumerate(xs):
        expr = f"_gi[{i + 1}]" if table_input else "_gi"
        analytic = get(rt, expr)
        _close(analytic, _numeric(f, xa, STEP[ttype]), ttype, f"{ctor} gradInput ({ttype})")
    return loss


def lua_error(rt: Runtime, code: str) -> str:
    """The message of the error `code` raises, run as the user's file `user.lua`."""
    try:
        rt.execute(code, name="@user.lua")
    except LuaError as e:
        return e.message
    raise AssertionError(f"no error from: {code}")
