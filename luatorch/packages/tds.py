"""The Python half of tds.Hash and tds.Vec once shared between Lua states.

A Hash or Vec keeps its elements in a Lua table while one state uses it.  When
threads.sharedserialize hands it to another state it moves here, once, into a store (a dict
for a Hash, a list for a Vec) that every state's handle then reads and writes through these
functions, as Torch7's threads shared tds's C structures by pointer.

Elements cross as Lua gives them: numbers, booleans and strings as plain values (a string
with bytes 128-255 comes boxed as `_Raw`, because lupa would decode it as UTF-8), anything
else as a `_Box` of its Python object: a tensor's or storage's handle, a counter, a nested
store.  Functions give a boxed element back as three values, object, kind and tag, which the
Lua side wraps again in its own state.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import threading
from typing import Any, Dict, List, Optional, Tuple

from luatorch.tensor import TorchError

_ids = itertools.count(1)


class _Raw:
    """A Lua string that holds bytes 128-255: str when it is UTF-8, else bytes, which is the
    form lupa gives such a string when it decodes (so one Lua string is always one key)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Box:
    """An element that is not a plain Lua value; equal to another box of the same object."""

    __slots__ = ("obj", "kind", "tag")

    def __init__(self, obj: Any, kind: str, tag: Any) -> None:
        self.obj = obj
        self.kind = kind
        self.tag = tag

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Box) and other.obj is self.obj

    def out(self) -> Tuple[Any, str, Any]:
        return self.obj, self.kind, self.tag


# True and False as Hash keys: Python's dict would take True for the key 1
_TRUE, _FALSE = _Box(True, "b", None), _Box(False, "b", None)


class HashStore:
    """A shared tds.Hash: its pairs, and the lock its writers take."""

    __slots__ = ("data", "lock", "id", "__weakref__")

    def __init__(self) -> None:
        self.data: Dict[Any, Any] = {}
        self.lock = threading.Lock()
        self.id = next(_ids)


class VecStore:
    """A shared tds.Vec: its elements (None for nil), and the lock its writers take."""

    __slots__ = ("data", "lock", "id", "__weakref__")

    def __init__(self) -> None:
        self.data: List[Any] = []
        self.lock = threading.Lock()
        self.id = next(_ids)


def _key(k: Any) -> Any:
    c = k.__class__
    if c is bool:
        return _TRUE if k else _FALSE
    if c is _Raw:
        return k.value
    return k


def _value(v: Any) -> Any:
    return v.value if v.__class__ is _Raw else v


def _out(v: Any) -> Any:
    """An element as the Lua side takes it: the value, or object, kind and tag."""
    return v.out() if v.__class__ is _Box else v


def tds_raw(addr: int, n: int) -> _Raw:
    """A Lua string's bytes (given as address and length) as a key or value."""
    b = ctypes.string_at(int(addr), int(n)) if n else b""
    try:
        return _Raw(b.decode("utf-8"))
    except UnicodeDecodeError:
        return _Raw(b)


def tds_box(obj: Any, kind: str, tag: Any = None) -> _Box:
    """An element that is a Python object: a tensor ('t') or storage ('s') handle with its
    type name as tag, a counter ('c'), a nested Hash ('h') or Vec ('v') store."""
    if kind in ("h", "v"):
        tag = obj.id
    return _Box(obj, kind, tag)


# ---------------------------------------------------------------------------------------------
# Hash
# ---------------------------------------------------------------------------------------------

def tds_hash_new() -> Tuple[HashStore, int]:
    """An empty shared Hash, and its id."""
    s = HashStore()
    return s, s.id


def tds_hash_fill(s: HashStore, plain: Any, special: Any, nspecial: int) -> None:
    """Add a Lua table's pairs (`plain`: plain keys and values only) and the pairs listed in
    `special` as k1, v1, k2, v2, ... (`nspecial` entries): a whole Hash in one call."""
    with s.lock:
        data = s.data
        if plain is not None:
            data.update(plain.items())
        for i in range(1, int(nspecial) + 1, 2):
            data[_key(special[i])] = _value(special[i + 1])


def tds_hash_get(s: HashStore, k: Any) -> Any:
    """The value under key `k` (nil when none)."""
    v = s.data.get(_key(k))
    return v.out() if v.__class__ is _Box else v


def tds_hash_set(s: HashStore, k: Any, v: Any) -> None:
    """Set `k` to `v`; a nil `v` removes the key."""
    k = _key(k)
    if k.__class__ is float and k != k:
        raise TorchError("tds.Hash: hash index is NaN")
    with s.lock:
        if v is None:
            s.data.pop(k, None)
        else:
            s.data[k] = _value(v)


def tds_hash_len(s: HashStore) -> int:
    """The number of pairs."""
    return len(s.data)


def tds_hash_keys(s: HashStore) -> List[Any]:
    """The keys as they are now, for one iteration."""
    with s.lock:
        return list(s.data)


def tds_hash_next(s: HashStore, keys: List[Any], i: int) -> Optional[Tuple[Any, ...]]:
    """From position `i` of `keys`, the next key still present: the new position, the key and
    the value (each as object, kind and tag); nil at the end."""
    i = int(i)
    data = s.data
    n = len(keys)
    while i < n:
        k = keys[i]
        i += 1
        v = data.get(k)
        if v is not None:
            ko = k.out() if k.__class__ is _Box else (k, None, None)
            vo = v.out() if v.__class__ is _Box else (v, None, None)
            return (i,) + ko + vo
    return None


# ---------------------------------------------------------------------------------------------
# Vec
# ---------------------------------------------------------------------------------------------

def tds_vec_new() -> Tuple[VecStore, int]:
    """An empty shared Vec, and its id."""
    s = VecStore()
    return s, s.id


def tds_vec_assign(s: VecStore, plain: Any, n: int, special: Any, nspecial: int) -> None:
    """Make the Vec `n` elements: those of a Lua table (`plain`: plain values only) and those
    listed in `special` as i1, v1, i2, v2, ... (`nspecial` entries), nil elsewhere."""
    data: List[Any] = [None] * int(n)
    if plain is not None:
        for i, v in plain.items():
            data[int(i) - 1] = v
    for j in range(1, int(nspecial) + 1, 2):
        data[int(special[j]) - 1] = _value(special[j + 1])
    with s.lock:
        s.data = data


def tds_vec_get(s: VecStore, i: float) -> Any:
    """Element `i` (1-based; nil past the end)."""
    data = s.data
    i = int(i)
    if i > len(data):
        return None
    v = data[i - 1]
    return v.out() if v.__class__ is _Box else v


def tds_vec_set(s: VecStore, i: float, v: Any) -> None:
    """Set element `i`, growing the Vec with nils up to it."""
    i = int(i)
    v = _value(v)
    with s.lock:
        data = s.data
        if i > len(data):
            data.extend([None] * (i - len(data)))
        data[i - 1] = v


def tds_vec_len(s: VecStore) -> int:
    """The size (nil elements count)."""
    return len(s.data)


def tds_vec_insert(s: VecStore, i: Optional[float], v: Any) -> None:
    """Insert `v` at `i` (nil: at the end); past the end, the Vec grows with nils."""
    v = _value(v)
    with s.lock:
        data = s.data
        if i is None:
            data.append(v)
            return
        i = int(i)
        if i > len(data):
            data.extend([None] * (i - 1 - len(data)))
            data.append(v)
        else:
            data.insert(i - 1, v)


def tds_vec_remove(s: VecStore, i: Optional[float]) -> None:
    """Remove element `i` (nil: the last); nothing past the end."""
    with s.lock:
        data = s.data
        if i is None:
            if data:
                data.pop()
            return
        i = int(i)
        if i <= len(data):
            del data[i - 1]


def tds_vec_resize(s: VecStore, n: float) -> None:
    """Cut the Vec to `n` elements, or grow it with nils."""
    n = int(math.floor(n))
    with s.lock:
        data = s.data
        if n < len(data):
            del data[n:]
        else:
            data.extend([None] * (n - len(data)))


def tds_vec_next(s: VecStore, i: float) -> Optional[Tuple[Any, ...]]:
    """Position i + 1 and its element (object, kind, tag); nil past the end."""
    i = int(i) + 1
    data = s.data
    if i > len(data):
        return None
    v = data[i - 1]
    return (i,) + (v.out() if v.__class__ is _Box else (v, None, None))


EXPORTS = {name: fn for name, fn in list(globals().items())
           if name.startswith("tds_") and callable(fn)}
