"""Python API for Torch7 files: `load`, `save`, and `inspect_file` (which runs nothing).

`load` reads a .t7 file with the Lua runtime (so classes get their read hooks, CUDA classes load
as CPU ones, shared objects stay shared) and hands back Python values: tables become dicts (or
lists when their keys are 1..n), tensors NumPy arrays sharing memory with the Lua tensors, and
instances of Lua classes (models, criterions...) live `LuaObject`s: `model.forward(array)`
returns an array, `model.modules` a list, `str(model)` prints Torch7's tree.
"""

from __future__ import annotations

import errno
import os
import re
import threading
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

import numpy as np

from luatorch.runtime import LuaError
from luatorch.serialization.door import PyBytes as _PyBytes
from luatorch.tensor import Storage, Tensor

_lock = threading.RLock()
_shared: Any = None

_HELPERS = r"""
local torch = torch
local H, sptr, door = torch._H, torch._strptr, torch._door
local pybytes = door.tf_pybytes
local function sval(v)
   if type(v) == 'string' then return pybytes(sptr(v), #v) end
   return v
end
local M = {}
-- one value, with strings turned into Python bytes (lupa would decode them as UTF-8); a
-- tensor or storage also hands back its Lua proxy, for live wrappers
function M.value(v)
   local t = type(v)
   if t == 'string' then return 'string', sval(v) end
   if t == 'number' or t == 'boolean' or t == 'nil' then return t, v end
   local h = H[v]
   if h ~= nil then
      return (torch.isTensor(v) and 'tensor' or 'storage'), h, sval(torch.typename(v)), v
   end
   local tn = torch.typename(v)
   if tn and t == 'table' then return 'object', v, sval(tn) end
   if t == 'table' then return 'table', v, torch.pointer(v) end
   return t, v
end
-- a table's entries as a flat array {k1, v1, k2, v2, ...} with strings made Python bytes
function M.entries(tab)
   local out, n = {}, 0
   for k, v in pairs(tab) do
      out[n + 1] = sval(k)
      out[n + 2] = sval(v)
      n = n + 2
   end
   return out, n
end
function M.field(obj, k) return M.value(obj[k]) end
-- whether obj.k is a function of the object itself (called without self) or a method
function M.isown(obj, k) return type(obj) == 'table' and rawget(obj, k) ~= nil end
function M.setfield(obj, k, v) obj[k] = v end
local function pack(...) return select('#', ...), {...} end
local function results(n, r)
   if n <= 1 then return M.value(r[1]) end
   return 'multi', r, n  -- several results: a Python tuple
end
function M.call(obj, name, ...)
   local f = obj[name]
   if type(f) ~= 'function' and not (getmetatable(f) or {}).__call then
      error('no method ' .. tostring(name), 2)
   end
   return results(pack(f(obj, ...)))
end
function M.callfn(f, ...) return results(pack(f(...))) end
function M.tostring(v) return sval(tostring(v)) end
function M.typename(v) return sval(torch.typename(v) or type(v)) end
function M.has(obj, k) return obj[k] ~= nil end
function M.len(v) return #v end
function M.tensor(h) return torch._wrapany(h) end
function M.storage(h, tname) return torch._wrapstorage(h, tname) end
function M.load(path, mode, trust, longSize)
   return M.value(torch.load(path, mode, {trustFunctions = trust, longSize = longSize}))
end
function M.save(path, obj, mode) torch.save(path, obj, mode) end
function M.keys_of(tab)
   local out, n = {}, 0
   for k in pairs(tab) do n = n + 1; out[n] = sval(k) end
   return out, n
end
function M.globals() return _G end
return M
"""


class _Ctx:
    """A runtime with its helper functions; `live` says how Lua values come back.

    `luatorch.load` uses a shared context that converts (tables to dicts and lists, tensors to
    NumPy arrays); a `Runtime` made by the user hands back live wrappers (`LuaObject`,
    `LuaTensor`) that index as Lua does.
    """

    __slots__ = ("rt", "M", "live")

    def __init__(self, rt: Any, live: bool):
        self.rt = rt
        self.M = rt.execute(_HELPERS, "=[luatorch.api]")
        self.live = live

    def call(self, fn: Any, *args: Any) -> Any:
        return self.rt.call(fn, *args)


def _shared_ctx() -> _Ctx:
    global _shared
    with _lock:
        if _shared is None:
            from luatorch.runtime import LuaError, Runtime as Engine

            rt = Engine()
            try:
                rt.require("nn")
            except LuaError:
                pass
            _shared = _Ctx(rt, live=False)
        return _shared


def runtime() -> Any:
    """The shared engine used by `load`/`save` (created on first use, with nn if present)."""
    return _shared_ctx().rt


# ------------------------------------------------------------------------------------------------
# Lua -> Python
# ------------------------------------------------------------------------------------------------
def _pystr(b: Any) -> Any:
    if isinstance(b, _PyBytes):
        b = b.data
    if isinstance(b, bytes):
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b
    return b


def _num(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return int(v)
    return v


def _tensor_array(h: Tensor) -> np.ndarray:
    if not h.size:
        return np.zeros((0,), h.dtype)
    a = h.a
    return a.get() if hasattr(a, "get") else a


def _convert(ctx: _Ctx, kind: str, v: Any, extra: Any, proxy: Any,
             memo: Dict[Any, Any]) -> Any:
    if kind == "nil":
        return None
    if kind == "number":
        return _num(v)
    if kind == "boolean":
        return bool(v)
    if kind == "string":
        return _pystr(v)
    if kind == "tensor":
        if ctx.live:
            return LuaTensor(proxy, ctx, v, _pystr(extra))
        return _tensor_array(v)
    if kind == "storage":
        return v.buf
    if kind == "object":
        return LuaObject(v, ctx, _pystr(extra))
    if kind == "multi":
        return tuple(_value(ctx, ctx.call(ctx.M.value, v[i]), memo)
                     for i in range(1, int(extra) + 1))
    if kind == "table":
        if ctx.live:
            return LuaObject(v, ctx, "table")
        if extra in memo:
            return memo[extra]
        return _table(ctx, v, extra, memo)
    return LuaObject(v, ctx, kind)


def _value(ctx: _Ctx, kind_tuple: Any, memo: Optional[Dict[Any, Any]] = None) -> Any:
    if not isinstance(kind_tuple, tuple):
        kind_tuple = (kind_tuple,)
    kind, v, extra, proxy = (kind_tuple + (None, None, None))[:4]
    return _convert(ctx, kind, v, extra, proxy, {} if memo is None else memo)


def _table(ctx: _Ctx, tab: Any, ptr: Any, memo: Dict[Any, Any]) -> Any:
    flat, n = ctx.call(ctx.M.entries, tab)
    out: Dict[Any, Any] = {}
    memo[ptr] = out
    for i in range(1, int(n) + 1, 2):
        k = _elem(ctx, flat[i], memo)
        v = _elem(ctx, flat[i + 1], memo)
        try:
            out[k] = v
        except TypeError:  # a table used as a key
            out[_Key(k)] = v
    keys = list(out.keys())
    if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys) and \
            sorted(keys) == list(range(1, len(keys) + 1)):
        lst = [out[i] for i in range(1, len(keys) + 1)]
        memo[ptr] = lst
        return lst
    return out


def _elem(ctx: _Ctx, v: Any, memo: Dict[Any, Any]) -> Any:
    """An entry already fetched from a mirror table (strings arrive as _PyBytes)."""
    if isinstance(v, _PyBytes):
        return _pystr(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _num(v)
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, Tensor):
        return _tensor_array(v)
    if isinstance(v, Storage):
        return v.buf
    return _value(ctx, ctx.call(ctx.M.value, v), memo)


def _entry(ctx: _Ctx, v: Any) -> Any:
    """A key or value from `M.entries`, converted as `ctx` converts (live or not)."""
    if isinstance(v, _PyBytes):
        return _pystr(v)
    if isinstance(v, float):
        return _num(v)
    if v is None or isinstance(v, (bool, int)):
        return v
    return _value(ctx, ctx.call(ctx.M.value, v))


class _Key:
    """An unhashable value (dict, list) used as a table key."""

    def __init__(self, obj: Any):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Key) and other.obj is self.obj


# ------------------------------------------------------------------------------------------------
# Python -> Lua
# ------------------------------------------------------------------------------------------------
_LUA_TYPE = {np.dtype(np.float64): "Double", np.dtype(np.float32): "Float",
             np.dtype(np.float16): "Half", np.dtype(np.int64): "Long",
             np.dtype(np.int32): "Int", np.dtype(np.int16): "Short", np.dtype(np.int8): "Char",
             np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Byte"}


def _array_tensor(ctx: _Ctx, obj: np.ndarray) -> Any:
    """A Lua tensor sharing `obj`'s memory when its dtype and strides allow, else a copy."""
    from luatorch.tensor import TYPES

    tname = _LUA_TYPE.get(obj.dtype)
    if tname is None or tname not in TYPES:
        raise TypeError(f"no Torch7 tensor type holds NumPy dtype {obj.dtype} "
                        "(use float64, float32, int64, int32, int16, int8 or uint8)")
    if obj.dtype != TYPES[tname]:
        obj = obj.astype(TYPES[tname])
    t = Tensor.wrap(obj) if obj.size else Tensor.empty((), TYPES[tname])
    return ctx.call(ctx.M.tensor, t)


def to_lua(obj: Any, memo: Optional[Dict[int, Any]] = None, ctx: Optional[_Ctx] = None) -> Any:
    """A Python value as a Lua value (NumPy arrays become tensors sharing memory if they can)."""
    ctx = _shared_ctx() if ctx is None else ctx
    memo = {} if memo is None else memo
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, LuaTensor) and obj._ctx.rt is not ctx.rt and not obj.is_cuda:
        obj = obj.numpy()  # a tensor of another runtime: the same memory, wrapped here
    if isinstance(obj, (LuaObject, LuaTensor)):
        if obj._ctx.rt is not ctx.rt:
            raise ValueError("this Lua object belongs to another luatorch Runtime")
        return obj._lua
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        lt = _array_tensor(ctx, obj)
        memo[id(obj)] = lt
        return lt
    if isinstance(obj, Tensor):
        return ctx.call(ctx.M.tensor, obj)
    if isinstance(obj, (dict, list, tuple)):
        tab = ctx.rt.lua.table()
        memo[id(obj)] = tab
        items = obj.items() if isinstance(obj, dict) else enumerate(obj, 1)
        for k, v in items:
            if isinstance(k, _Key):
                k = k.obj
            if v is None:
                continue
            tab[to_lua(k, memo, ctx)] = to_lua(v, memo, ctx)
        return tab
    if hasattr(obj, "__dlpack__") or hasattr(obj, "__array_interface__"):
        return to_lua(np.from_dlpack(obj) if hasattr(obj, "__dlpack__") else np.asarray(obj),
                      memo, ctx)
    raise TypeError(f"cannot hand a Python {type(obj).__name__} to Lua")


class LuaObject:
    """A live Lua value: a class instance (model, criterion), a table, a function.

    Attribute access reads fields (`model.weight`); a function field found through the
    class is a method, called with `self` supplied (`model.forward(x)`), one stored in the
    table itself is called as is (`nn.Linear(3, 2)`, `torch.rand(2)`). Item access is Lua's
    own (1-based for sequences); `len` is Lua's `#`; iteration yields keys, as a dict's does.
    """

    __slots__ = ("_lua", "_ctx", "_type")

    def __init__(self, lua_obj: Any, ctx: Optional[_Ctx] = None, typename: Optional[str] = None):
        object.__setattr__(self, "_lua", lua_obj)
        object.__setattr__(self, "_ctx", _shared_ctx() if ctx is None else ctx)
        object.__setattr__(self, "_type", typename)

    def _call(self, fn: Any, *args: Any) -> Any:
        return self._ctx.call(fn, *args)

    def _conv(self, kind_tuple: Any) -> Any:
        return _value(self._ctx, kind_tuple)

    @property
    def typename(self) -> str:
        """Torch7's class name (`torch.typename`), else Lua's type name."""
        if self._type is None:
            object.__setattr__(self, "_type", _pystr(self._call(self._ctx.M.typename,
                                                                  self._lua)))
        return self._type

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        M = self._ctx.M
        kind_tuple = self._call(M.field, self._lua, name)
        kind = kind_tuple[0] if isinstance(kind_tuple, tuple) else kind_tuple
        if kind == "function" and not self._call(M.isown, self._lua, name):
            return _Method(self, name)
        if kind == "nil":
            raise AttributeError(f"{self.typename} has no field {name!r}")
        return self._conv(kind_tuple)

    def __setattr__(self, name: str, value: Any) -> None:
        self._call(self._ctx.M.setfield, self._lua, name, to_lua(value, ctx=self._ctx))

    def __delattr__(self, name: str) -> None:
        self._call(self._ctx.M.setfield, self._lua, name, None)

    def __getitem__(self, key: Any) -> Any:
        M = self._ctx.M
        kind_tuple = self._call(M.field, self._lua, to_lua(key, ctx=self._ctx))
        if self._ctx.live and (kind_tuple == "nil" or kind_tuple[0] == "nil"):
            raise KeyError(key)
        return self._conv(kind_tuple)

    def __setitem__(self, key: Any, value: Any) -> None:
        ctx = self._ctx
        self._call(ctx.M.setfield, self._lua, to_lua(key, ctx=ctx), to_lua(value, ctx=ctx))

    def __delitem__(self, key: Any) -> None:
        self._call(self._ctx.M.setfield, self._lua, to_lua(key, ctx=self._ctx), None)

    def get(self, key: Any, default: Any = None) -> Any:
        """`self[key]`, or `default` when the field is nil."""
        v = self._conv(self._call(self._ctx.M.field, self._lua, to_lua(key, ctx=self._ctx)))
        return default if v is None else v

    def __contains__(self, key: Any) -> bool:
        return bool(self._call(self._ctx.M.has, self._lua, to_lua(key, ctx=self._ctx)))

    def __len__(self) -> int:
        return int(self._call(self._ctx.M.len, self._lua))

    def _entries(self) -> List[tuple]:
        ctx = self._ctx
        flat, n = self._call(ctx.M.entries, self._lua)
        return [(_entry(ctx, flat[i]), _entry(ctx, flat[i + 1])) for i in range(1, int(n) + 1, 2)]

    def keys(self) -> List[Any]:
        """The table's keys (Lua's `pairs` order)."""
        return [k for k, _ in self._entries()]

    def values(self) -> List[Any]:
        """The table's values (Lua's `pairs` order)."""
        return [v for _, v in self._entries()]

    def items(self) -> List[tuple]:
        """(key, value) pairs (Lua's `pairs` order)."""
        return self._entries()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __call__(self, *args: Any) -> Any:
        ctx = self._ctx
        return self._conv(self._call(ctx.M.callfn, self._lua,
                                     *[to_lua(a, ctx=ctx) for a in args]))

    def __str__(self) -> str:
        return str(_pystr(self._call(self._ctx.M.tostring, self._lua)))

    def __repr__(self) -> str:
        tn = self.typename
        if tn in ("table", "function", "userdata", "thread", "cdata"):
            return f"<Lua {str(self).replace(': ', ' at ', 1)}>"
        return f"<LuaObject {tn}>"

    def __dir__(self) -> List[str]:
        keys, n = self._call(self._ctx.M.keys_of, self._lua)
        return sorted(str(_pystr(keys[i])) for i in range(1, int(n) + 1))

    def fields(self) -> Dict[Any, Any]:
        """The object's own fields as Python values (dicts, lists, NumPy arrays): a copy."""
        return _table(_dead(self._ctx), self._lua, None, {})

    to_python = fields


def _dead(ctx: _Ctx) -> _Ctx:
    """A converting (not live) view of `ctx`, for deep copies into Python values."""
    if not ctx.live:
        return ctx
    c = _Ctx.__new__(_Ctx)
    c.rt, c.M, c.live = ctx.rt, ctx.M, False
    return c


class _Method:
    """`obj.method(args)`: calls `obj:method(args)` in Lua with converted arguments."""

    __slots__ = ("obj", "name")

    def __init__(self, obj: Any, name: str):
        self.obj = obj
        self.name = name

    def __call__(self, *args: Any) -> Any:
        ctx = self.obj._ctx
        try:
            res = _value(ctx, ctx.call(ctx.M.call, self.obj._lua, self.name,
                                       *[to_lua(a, ctx=ctx) for a in args]))
        except LuaError as e:
            raise _python_terms(e) from None
        if isinstance(self.obj, LuaTensor):
            return res
        # a module's output is a buffer it reuses: the caller gets arrays of its own
        if isinstance(res, (np.ndarray, LuaTensor)):
            return _owned(res)
        if isinstance(res, tuple):
            return tuple(_owned(v) if isinstance(v, (np.ndarray, LuaTensor)) else v for v in res)
        return res

    def __repr__(self) -> str:
        return f"<method {self.name} of {self.obj.typename}>"


_DTYPE_OF = {"Double": "float64", "Float": "float32", "Half": "float16", "Long": "int64",
             "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8"}
_MISMATCH = re.compile(r"(\w+) is a torch\.(?:Cuda)?(\w*?)Tensor but the module holds "
                       r"torch\.(?:Cuda)?(\w*?)Tensors")


def _python_terms(e: Exception) -> Exception:
    """A tensor-type mismatch from Python as a TypeError about dtypes; other errors as they are."""
    m = _MISMATCH.search(str(e))
    if not m:
        return e
    what, got, want = m.group(1), _DTYPE_OF.get(m.group(2) or "Float"), \
        _DTYPE_OF.get(m.group(3) or "Float")
    return TypeError(f"{what} has dtype {got} but the model's parameters are {want}: pass "
                     f"x.astype(np.{want}), or convert the model with .type('torch."
                     f"{m.group(2) or 'Float'}Tensor')")


def _owned(v: Any) -> Any:
    if isinstance(v, LuaTensor):
        a = v.numpy()
        return a.copy()
    return v.copy()


_CUDA_TYPES = ("torch.CudaTensor", "torch.CudaDoubleTensor", "torch.CudaLongTensor",
               "torch.CudaHalfTensor", "torch.CudaIntTensor", "torch.CudaByteTensor")


class LuaTensor:
    """A live Torch7 tensor held by a `Runtime`.

    `numpy()` (and `np.asarray(t)`) is a NumPy view of the same memory for CPU tensors, a CuPy
    array for CUDA ones; `__dlpack__` hands the same memory to `torch.from_dlpack` or
    `np.from_dlpack`. Indexing, `len` and iteration are Torch7's: `t[1]` is the first row.
    Other attributes are the tensor's methods, called with `self` (`t.add(1)`, `t.size(1)`).
    """

    __slots__ = ("_lua", "_ctx", "_h", "_type")

    def __init__(self, lua_obj: Any, ctx: _Ctx, handle: Tensor, typename: str):
        object.__setattr__(self, "_lua", lua_obj)
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_h", handle)
        object.__setattr__(self, "_type", typename)

    @property
    def typename(self) -> str:
        """Torch7's type name, e.g. `torch.FloatTensor`."""
        return self._type

    @property
    def shape(self) -> tuple:
        """The sizes, as a tuple (`()` for an empty tensor)."""
        return tuple(self._h.size)

    @property
    def dtype(self) -> np.dtype:
        """The element type as a NumPy dtype."""
        return self._h.dtype

    @property
    def is_cuda(self) -> bool:
        """True for a CUDA tensor (on a real or a virtual GPU)."""
        return self._type in _CUDA_TYPES

    def numpy(self) -> Any:
        """The tensor's memory as an array, no copy: NumPy for CPU tensors, CuPy for GPU ones."""
        h = self._h
        if not h.size:
            return h.storage.buf[0:0]
        return h.a

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        a = self.numpy()
        if not isinstance(a, np.ndarray):
            raise TypeError(f"a {self._type} lives on the GPU: t.numpy() gives a CuPy array "
                            "(its .get() copies it to the host)")
        if copy:
            a = a.copy()
        return a if dtype is None else a.astype(dtype, copy=bool(copy))

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.numpy().__dlpack__(**kwargs)

    def __dlpack_device__(self) -> Any:
        return self.numpy().__dlpack_device__()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        ctx = self._ctx
        kind_tuple = ctx.call(ctx.M.field, self._lua, name)
        kind = kind_tuple[0] if isinstance(kind_tuple, tuple) else kind_tuple
        if kind == "function":
            return _Method(self, name)
        if kind == "nil":  # what IPython and others probe for (`_repr_html_`) is not there
            raise AttributeError(f"{self._type} has no method {name!r}")
        return _value(ctx, kind_tuple)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set attribute {name!r} of a {self._type}")

    def __getitem__(self, key: Any) -> Any:
        ctx = self._ctx
        return _value(ctx, ctx.call(ctx.M.field, self._lua, to_lua(key, ctx=ctx)))

    def __setitem__(self, key: Any, value: Any) -> None:
        ctx = self._ctx
        ctx.call(ctx.M.setfield, self._lua, to_lua(key, ctx=ctx), to_lua(value, ctx=ctx))

    def __len__(self) -> int:
        return self._h.size[0] if self._h.size else 0

    def __iter__(self) -> Iterator[Any]:
        for i in range(1, len(self) + 1):
            yield self[i]

    def __str__(self) -> str:
        return str(_pystr(self._ctx.call(self._ctx.M.tostring, self._lua)))

    __repr__ = __str__


# ------------------------------------------------------------------------------------------------
# Runtime: a LuaJIT state for Python programs
# ------------------------------------------------------------------------------------------------
class Runtime:
    """A LuaJIT state with torch loaded, for Python programs.

    `execute`, `eval`, `require`, `call` and `globals` hand back Python values: numbers,
    strings, booleans and None as themselves, several results as a tuple, tensors as
    `LuaTensor`s and tables, class instances and functions as live `LuaObject`s.
    `device='cuda'` loads cutorch and makes `tensor()` put arrays on the current GPU (real, or
    virtual with `virtual_gpus=N`).
    """

    def __init__(self, device: str = "cpu", virtual_gpus: Optional[int] = None,
                 load_torch: bool = True, script_dir: Optional[str] = None,
                 extra_paths: Iterable[str] = ()):
        from luatorch.runtime import Runtime as Engine

        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        self.device = device
        self.engine = Engine(script_dir=script_dir, load_torch=load_torch or device == "cuda",
                             extra_paths=extra_paths, virtual_gpus=virtual_gpus)
        self.engine.make_interruptible()
        self._ctx: Optional[_Ctx] = None
        if device == "cuda":
            from luatorch.backend import real_gpus_possible

            if not self.engine.virtual_gpus and not real_gpus_possible():
                raise RuntimeError("device='cuda' needs a GPU with CuPy installed "
                                   "(pip install 'luatorch[cuda]'), or virtual_gpus=N")
            self.engine.require("cutorch")

    @property
    def lua(self) -> Any:
        """The underlying lupa LuaRuntime (low level: its values are not converted)."""
        return self.engine.lua

    @property
    def virtual_gpus(self) -> int:
        """How many virtual GPUs this runtime simulates."""
        return self.engine.virtual_gpus

    def _c(self) -> _Ctx:
        if self._ctx is None:
            if not self.engine.lua.eval("package.loaded.torch"):
                self.engine.require("torch")
            self._ctx = _Ctx(self.engine, live=True)
        return self._ctx

    def _out(self, vals: Any) -> Any:
        if vals is None:
            return None
        if not isinstance(vals, tuple):
            vals = (vals,)
        ctx = self._c()
        out = tuple(_value(ctx, ctx.call(ctx.M.value, v)) for v in vals)
        return out[0] if len(out) == 1 else out

    def execute(self, code: str, name: str = "=(command line)") -> Any:
        """Run a chunk of Lua source; returns what it returns (a tuple when several values)."""
        return self._out(self.engine.execute(code, name))

    def eval(self, expr: str) -> Any:
        """The value(s) of a Lua expression."""
        return self._out(self.engine.execute("return " + expr, "=(eval)"))

    def require(self, name: str) -> Any:
        """`require(name)`: the module table, live (`nn = rt.require('nn'); nn.Linear(3, 2)`)."""
        return self._out(self.engine.require(name))

    def run_file(self, path: str, args: Sequence[str] = ()) -> None:
        """Run a script with Torch7's global `arg` table (`arg[1]` is `args[0]`)."""
        if not os.path.isfile(path):
            why = errno.EISDIR if os.path.isdir(path) else errno.ENOENT
            raise (IsADirectoryError if why == errno.EISDIR else FileNotFoundError)(
                why, os.strerror(why), os.fspath(path))
        self.engine.run_file(os.fspath(path), [str(a) for a in args])

    def call(self, fn: Any, *args: Any) -> Any:
        """Call a Lua function (a `LuaObject` or a global's name) with Python arguments."""
        ctx = self._c()
        if isinstance(fn, str):
            fn = self.globals[fn]
        return fn(*args) if isinstance(fn, LuaObject) else self._out(
            ctx.call(fn, *[to_lua(a, ctx=ctx) for a in args]))

    @property
    def globals(self) -> LuaObject:
        """Lua's global table, live: `rt.globals.x = 1`, `rt.globals['x']`, `'x' in rt.globals`."""
        ctx = self._c()
        return LuaObject(ctx.call(ctx.M.globals), ctx, "table")

    def tensor(self, array: Any) -> LuaTensor:
        """A Torch7 tensor over `array`'s memory (a copy only when its dtype or strides need one;
        on `device='cuda'` a copy on the current GPU)."""
        ctx = self._c()
        if isinstance(array, LuaTensor):
            return array
        if not isinstance(array, np.ndarray):
            array = np.from_dlpack(array) if hasattr(array, "__dlpack__") else np.asarray(array)
        if array.ndim == 0:
            array = array.reshape(1)
        lt = _array_tensor(ctx, array)
        if self.device == "cuda":
            lt = self.engine.call(self.engine.lua.eval("function(t) return t:cuda() end"), lt)
        return _value(ctx, ctx.call(ctx.M.value, lt))

    def __repr__(self) -> str:
        extra = f", virtual_gpus={self.virtual_gpus}" if self.virtual_gpus else ""
        return f"luatorch.Runtime(device={self.device!r}{extra})"


# ------------------------------------------------------------------------------------------------
# load / save / inspect
# ------------------------------------------------------------------------------------------------
def load(path: str, format: Optional[str] = None, trust_functions: bool = False,
         long_size: Optional[int] = None) -> Any:
    """Load a Torch7 file (binary or ascii, detected when `format` is None) as Python values."""
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fspath(path))
    with _lock:
        ctx = _shared_ctx()
        res = ctx.call(ctx.M.load, os.fspath(path), format, bool(trust_functions), long_size)
        return _value(ctx, res)


def _has_lua(obj: Any, seen: Optional[set] = None) -> bool:
    seen = set() if seen is None else seen
    if isinstance(obj, (LuaObject, LuaTensor, Tensor)):
        return True
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in seen:
            return False
        seen.add(id(obj))
        items = obj.items() if isinstance(obj, dict) else enumerate(obj)
        return any(_has_lua(k, seen) or _has_lua(v, seen) for k, v in items)
    return False


def save(path: str, obj: Any, format: str = "binary") -> None:
    """Save NumPy arrays, dicts/lists, numbers, strings and models as a Torch7 file (atomic)."""
    if format not in ("binary", "ascii"):
        raise ValueError("format must be 'binary' or 'ascii'")
    path = os.fspath(path)
    if not _has_lua(obj):
        from luatorch.serialization.writer import save_python

        save_python(path, obj, format)
        return
    with _lock:
        ctx = _shared_ctx()
        ctx.call(ctx.M.save, path, to_lua(obj, ctx=ctx), format)


def inspect_file(path: str, max_items: int = 40) -> str:
    """What a .t7 file holds (model tree, tensors, parameter count), parsed without running it."""
    from luatorch.serialization.fileio import open_disk
    from luatorch.serialization.reader import (LuaFunction, LuaTable, TorchObject, detect_binary,
                                               read_python)

    f = open_disk(os.fspath(path), "r")
    assert f is not None
    try:
        binary = detect_binary(f)
        f.binary = binary
        obj = read_python(f, "numpy")
        end = f.pos()
        size = f.backend.length()
    finally:
        f.close()

    lines = [f"{os.path.basename(path)}: {'binary' if binary else 'ascii'} Torch7 file, "
             f"{size} bytes" + ("" if end == size else f" ({size - end} trailing bytes)")]
    params: Dict[int, int] = {}
    counts = {"tensors": 0, "elements": 0}
    seen_t: set = set()

    def tdesc(a: np.ndarray) -> str:
        tn = {np.dtype(np.float64): "Double", np.dtype(np.float32): "Float",
              np.dtype(np.int64): "Long", np.dtype(np.int32): "Int", np.dtype(np.int16): "Short",
              np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte"}.get(a.dtype, str(a.dtype))
        shape = "x".join(str(s) for s in a.shape) if a.size else "empty"
        return f"{tn}Tensor {shape}"

    def key(k: Any) -> str:
        return _pystr(k) if isinstance(k, bytes) else repr(_num(k))

    def scalar(v: Any) -> Optional[str]:
        if v is None or isinstance(v, bool):
            return str(v).lower() if v is not None else "nil"
        if isinstance(v, float):
            return repr(_num(v))
        if isinstance(v, bytes):
            s = _pystr(v)
            s = repr(s) if isinstance(s, str) else repr(v)
            return s if len(s) <= 60 else s[:57] + "..."
        if isinstance(v, np.ndarray):
            return tdesc(v)
        if isinstance(v, LuaFunction):
            return f"function ({len(v.bytecode)} bytes of bytecode, not loaded)"
        return None

    def is_module(o: Any) -> bool:
        if not (isinstance(o, TorchObject) and isinstance(o.fields, dict)):
            return False
        return o.typename.startswith(("nn.", "cudnn.", "cunn.")) or any(
            k in o.fields for k in (b"modules", b"weight", b"output"))

    def module_line(o: TorchObject) -> str:
        parts = []
        for name in (b"weight", b"bias"):
            v = o.fields.get(name)
            if isinstance(v, np.ndarray):
                parts.append(f"{name.decode()}: {tdesc(v)}")
                if v.size and id(v) not in params:
                    params[id(v)] = v.size
        extra = ", ".join(parts)
        return o.typename + (f"  [{extra}]" if extra else "")

    visiting: set = set()

    def walk(o: Any, indent: str, out: List[str], depth: int) -> None:
        if id(o) in visiting or depth > 30:
            out.append(indent + "<reference to an enclosing object>")
            return
        visiting.add(id(o))
        try:
            if is_module(o):
                mods = o.fields.get(b"modules")
                out.append(indent + module_line(o))
                if isinstance(mods, dict):
                    for i, m in enumerate(mods.values()):
                        if i >= max_items:
                            out.append(indent + f"  ... ({len(mods) - max_items} more)")
                            break
                        sub: List[str] = []
                        walk(m, indent + "    ", sub, depth + 1)
                        if sub:
                            sub[0] = indent + f"  ({i + 1}): " + sub[0].lstrip()
                        out.extend(sub)
                return
            if isinstance(o, TorchObject) and not isinstance(o.fields, dict):
                out.append(indent + o.typename)
                return
            if isinstance(o, (LuaTable, TorchObject)):
                fields = o.fields if isinstance(o, TorchObject) else o
                head = o.typename if isinstance(o, TorchObject) else "table"
                out.append(indent + f"{head} ({len(fields)} entries)")
                for i, (k, v) in enumerate(fields.items()):
                    if i >= max_items:
                        out.append(indent + f"  ... ({len(fields) - max_items} more)")
                        break
                    s = scalar(v)
                    if s is not None:
                        out.append(indent + f"  {key(k)}: {s}")
                    else:
                        sub = []
                        walk(v, indent + "    ", sub, depth + 1)
                        if sub:
                            sub[0] = indent + f"  {key(k)}: " + sub[0].lstrip()
                        out.extend(sub)
                return
            out.append(indent + (scalar(o) or repr(o)))
        finally:
            visiting.discard(id(o))

    # every tensor reachable, each counted once
    stack, seen_o = [obj], set()
    while stack:
        o = stack.pop()
        if id(o) in seen_o:
            continue
        seen_o.add(id(o))
        if isinstance(o, np.ndarray):
            if id(o) not in seen_t:
                seen_t.add(id(o))
                counts["tensors"] += 1
                counts["elements"] += o.size
        elif isinstance(o, TorchObject):
            stack.append(o.fields)
        elif isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, LuaFunction) and o.upvalues is not None:
            stack.append(o.upvalues)

    body: List[str] = []
    walk(obj, "", body, 0)
    lines.extend(body)
    if params:
        lines.append(f"parameters: {sum(params.values())} (weight/bias elements)")
    lines.append(f"tensors: {counts['tensors']} holding {counts['elements']} elements")
    return "\n".join(lines)


__all__ = ["load", "save", "inspect_file", "LuaObject", "LuaTensor", "Runtime", "to_lua",
           "runtime"]
