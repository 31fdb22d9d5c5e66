"""Torch7-style text for a Python exception that escapes a door function.

Arguments are checked where Torch7 checked them (the overload tables in Lua, the kernels);
what still escapes is a bug in luatorch or an argument nobody checked.  Either way the script
sees Torch7's kind of message naming the Lua function it called, never Python's words; the
Python traceback is kept for `--debug`.
"""

from __future__ import annotations

import re
import traceback
from typing import Any, Optional

import lupa.luajit21 as lupa

from luatorch.tensor import TorchError

# Wording of Python, NumPy and lupa: an exception whose text matches is not shown as is.
_PYTHON_WORDING = re.compile(
    r"Error\b|NoneType|_Lua(Table|Object|Function)|lupa|numpy|ndarray|dtype|"
    r"invalid literal|unsupported operand|not supported between|object is not|"
    r"has no attribute|positional argument|keyword argument|interpreted as an integer|"
    r"array is too big|Cannot cast|broadcast|\bint\(\)|\bfloat\(\)|"
    r"'(int|float|str|bool|list|tuple|dict|method|function|Tensor|Storage)' object|"
    r"not '\w+'|ufunc|out of bounds for axis|\baxis\b|Python|\bself\b|\bNone\b|\bTrue\b|"
    r"\bFalse\b|\bkwargs?\b|\bargs\b|\bslice\b|iterable|subscriptable|callable"
)

_last_traceback = ""

# Python's names for Lua's types, in messages such as "(got _LuaTable)"
_LUA_NAMES = {"_LuaTable": "table", "_LuaFunction": "function", "_LuaObject": "userdata",
              "_LuaThread": "thread", "NoneType": "nil", "str": "string", "bytes": "string",
              "bool": "boolean", "int": "number", "float": "number"}
_GOT = re.compile(r"\bgot (_Lua\w+|NoneType|str|bytes|bool|int|float)\b")


def lua_type_name(v: Any) -> str:
    """Lua's name for the type of a value that crossed the door (`table`, `number`, ...)."""
    kind = lupa.lua_type(v)
    if kind:
        return str(kind)
    return _LUA_NAMES.get(type(v).__name__, type(v).__name__)


def _lua_words(text: str) -> str:
    return _GOT.sub(lambda m: "got " + _LUA_NAMES.get(m.group(1), m.group(1)), text)


def last_python_traceback() -> str:
    """The Python traceback of the last exception translated (for `--debug`), then forget it."""
    global _last_traceback
    tb, _last_traceback = _last_traceback, ""
    return tb


def translate(exc: Any, fname: Optional[str] = None) -> Optional[str]:
    """The message a Lua script sees for `exc`, raised while Lua called `fname`."""
    global _last_traceback
    if isinstance(exc, TorchError):
        return _lua_words(str(exc))
    if not isinstance(exc, BaseException):
        return None
    name = type(exc).__name__
    if isinstance(exc, MemoryError):
        # a full GPU, real (CuPy's OutOfMemoryError) or virtual, in cutorch's words
        if name in ("OutOfMemoryError", "GpuOutOfMemory"):
            return "cuda runtime error (2) : out of memory"
        return "not enough memory"
    text = _lua_words(str(exc))
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: the runtime's own
        return f"{name}: {text}" if text else name
    if (isinstance(exc, (ValueError, IndexError, TypeError)) and text
            and not _PYTHON_WORDING.search(text)):
        return text
    _last_traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, OSError) and exc.strerror:
        # the system's own reason (a full disk, a lost file system) is what the user needs
        return f"I/O error{f' in {fname!r}' if fname else ''}: {exc.strerror}"
    where = f" to '{fname}'" if fname else ""
    if isinstance(exc, OverflowError) or "too big" in text:
        return f"bad argument{where} (number out of range)"
    return f"invalid arguments{where}"
