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
import threading
from typing import Any, Dict, List, Optional

import numpy as np

from luatorch.serialization.door import PyBytes as _PyBytes
from luatorch.tensor import Storage, Tensor

_lock = threading.RLock()
_runtime: Any = None
_helpers: Dict[str, Any] = {}

_HELPERS = r"""
local torch = torch
local H, sptr, door = torch._H, torch._strptr, torch._door
local pybytes = door.tf_pybytes
local function sval(v)
   if type(v) == 'string' then return pybytes(sptr(v), #v) end
   return v
end
local M = {}
-- one value, with strings turned into Python bytes (lupa would decode them as UTF-8)
function M.value(v)
   local t = type(v)
   if t == 'string' then return 'string', sval(v) end
   if t == 'number' or t == 'boolean' or t == 'nil' then return t, v end
   local h = H[v]
   if h ~= nil then return (torch.isTensor(v) and 'tensor' or 'storage'), h end
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
local function pack(...) return select('#', ...), {...} end
function M.call(obj, name, ...)
   local f = obj[name]
   if type(f) ~= 'function' then error('no method ' .. tostring(name), 2) end
   local n, r = pack(f(obj, ...))
   if n <= 1 then return M.value(r[1]) end
   return 'multi', r, n  -- several results: a Python tuple
end
function M.callfn(f, ...) return M.value(f(...)) end
function M.tostring(v) return sval(tostring(v)) end
function M.typename(v) return sval(torch.typename(v) or type(v)) end
function M.has(obj, k) return obj[k] ~= nil end
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
return M
"""


def runtime() -> Any:
    """The shared Runtime used by `load`/`save` (created on first use, with nn if present)."""
    global _runtime
    with _lock:
        if _runtime is None:
            from luatorch.runtime import LuaError, Runtime

            rt = Runtime()
            try:
                rt.require("nn")
            except LuaError:
                pass
            _helpers["M"] = rt.execute(_HELPERS, "=[luatorch.api]")
            _runtime = rt
        return _runtime


def _m() -> Any:
    runtime()
    return _helpers["M"]


def _call(fn: Any, *args: Any) -> Any:
    return runtime().call(fn, *args)


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


def _convert(kind: str, v: Any, extra: Any, memo: Dict[Any, Any]) -> Any:
    if kind == "nil":
        return None
    if kind == "number":
        return _num(v)
    if kind == "boolean":
        return bool(v)
    if kind == "string":
        return _pystr(v)
    if kind == "tensor":
        return _tensor_array(v)
    if kind == "storage":
        return v.buf
    if kind == "object":
        return LuaObject(v, _pystr(extra))
    if kind == "multi":
        return tuple(_value(_call(_m().value, v[i]), memo) for i in range(1, int(extra) + 1))
    if kind == "table":
        if extra in memo:
            return memo[extra]
        return _table(v, extra, memo)
    return LuaObject(v, kind)


def _value(kind_tuple: Any, memo: Optional[Dict[Any, Any]] = None) -> Any:
    if not isinstance(kind_tuple, tuple):
        kind_tuple = (kind_tuple,)
    kind, v, extra = (kind_tuple + (None, None))[:3]
    return _convert(kind, v, extra, {} if memo is None else memo)


def _table(tab: Any, ptr: Any, memo: Dict[Any, Any]) -> Any:
    M = _m()
    flat, n = _call(M.entries, tab)
    out: Dict[Any, Any] = {}
    memo[ptr] = out
    for i in range(1, int(n) + 1, 2):
        k = _elem(flat[i], memo)
        v = _elem(flat[i + 1], memo)
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


def _elem(v: Any, memo: Dict[Any, Any]) -> Any:
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
    return _value(_call(_m().value, v), memo)


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


def to_lua(obj: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    """A Python value as a Lua value (NumPy arrays become tensors sharing memory if they can)."""
    from luatorch.tensor import TYPES

    memo = {} if memo is None else memo
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, LuaObject):
        return obj._lua
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        tname = _LUA_TYPE.get(obj.dtype)
        if tname is None:
            raise TypeError(f"no Torch7 tensor type holds NumPy dtype {obj.dtype}")
        if obj.dtype != TYPES[tname]:
            obj = obj.astype(TYPES[tname])
        t = Tensor.wrap(obj) if obj.size else Tensor.empty((), TYPES[tname])
        lt = _call(_m().tensor, t)
        memo[id(obj)] = lt
        return lt
    if isinstance(obj, Tensor):
        return _call(_m().tensor, obj)
    if isinstance(obj, (dict, list, tuple)):
        tab = runtime().lua.table()
        memo[id(obj)] = tab
        items = obj.items() if isinstance(obj, dict) else enumerate(obj, 1)
        for k, v in items:
            if isinstance(k, _Key):
                k = k.obj
            if v is None:
                continue
            tab[to_lua(k, memo)] = to_lua(v, memo)
        return tab
    raise TypeError(f"cannot hand a Python {type(obj).__name__} to Lua")


class LuaObject:
    """A live Lua object (a model, criterion, any class instance or function)."""

    __slots__ = ("_lua", "_type")

    def __init__(self, lua_obj: Any, typename: Optional[str] = None):
        object.__setattr__(self, "_lua", lua_obj)
        object.__setattr__(self, "_type", typename)

    @property
    def typename(self) -> str:
        """Torch7's class name (`torch.typename`)."""
        if self._type is None:
            object.__setattr__(self, "_type", _pystr(_call(_m().typename, self._lua)))
        return self._type

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        M = _m()
        kind_tuple = _call(M.field, self._lua, name)
        kind = kind_tuple[0] if isinstance(kind_tuple, tuple) else kind_tuple
        if kind == "function":
            return _Method(self, name)
        if kind == "nil":
            raise AttributeError(f"{self.typename} has no field {name!r}")
        return _value(kind_tuple)

    def __setattr__(self, name: str, value: Any) -> None:
        self._lua[name] = to_lua(value)

    def __getitem__(self, key: Any) -> Any:
        return _value(_call(_m().field, self._lua, to_lua(key)))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._lua[to_lua(key)] = to_lua(value)

    def __call__(self, *args: Any) -> Any:
        return _value(_call(_m().callfn, self._lua, *[to_lua(a) for a in args]))

    def __str__(self) -> str:
        return str(_pystr(_call(_m().tostring, self._lua)))

    def __repr__(self) -> str:
        return f"<LuaObject {self.typename}>"

    def __dir__(self) -> List[str]:
        keys, n = _call(_m().keys_of, self._lua)
        return sorted(str(_pystr(keys[i])) for i in range(1, int(n) + 1))

    def fields(self) -> Dict[Any, Any]:
        """The object's own fields as Python values."""
        return _table(self._lua, None, {})


class _Method:
    """`obj.method(args)`: calls `obj:method(args)` in Lua with converted arguments."""

    __slots__ = ("obj", "name")

    def __init__(self, obj: LuaObject, name: str):
        self.obj = obj
        self.name = name

    def __call__(self, *args: Any) -> Any:
        M = _m()
        res = _value(_call(M.call, self.obj._lua, self.name, *[to_lua(a) for a in args]))
        # a module's output is a buffer it reuses: the caller gets arrays of its own
        if isinstance(res, np.ndarray):
            return res.copy()
        if isinstance(res, tuple):
            return tuple(v.copy() if isinstance(v, np.ndarray) else v for v in res)
        return res

    def __repr__(self) -> str:
        return f"<method {self.name} of {self.obj.typename}>"


# ------------------------------------------------------------------------------------------------
# load / save / inspect
# ------------------------------------------------------------------------------------------------
def load(path: str, format: Optional[str] = None, trust_functions: bool = False,
         long_size: Optional[int] = None) -> Any:
    """Load a Torch7 file (binary or ascii, detected when `format` is None) as Python values."""
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fspath(path))
    with _lock:
        M = _m()
        res = _call(M.load, os.fspath(path), format, bool(trust_functions), long_size)
        return _value(res)


def _has_lua(obj: Any, seen: Optional[set] = None) -> bool:
    seen = set() if seen is None else seen
    if isinstance(obj, (LuaObject, Tensor)):
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
        _call(_m().save, path, to_lua(obj), format)


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


__all__ = ["load", "save", "inspect_file", "LuaObject", "to_lua", "runtime"]
