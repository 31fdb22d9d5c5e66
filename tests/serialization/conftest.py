"""Fixtures for the serialization tests: a runtime with nn, fixture paths, Lua helpers."""

from __future__ import annotations

import os

import pytest

from luatorch.runtime import LuaError, Runtime

FIXTURES = "/work/shared/fixtures/t7"
REAL = os.path.join(FIXTURES, "real")


def fixture_files() -> list:
    """Every .t7 fixture (both folders)."""
    out = []
    for d in (FIXTURES, REAL):
        if os.path.isdir(d):
            out += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".t7"))
    return out


@pytest.fixture(scope="module")
def srt() -> Runtime:
    """A runtime with nn loaded and the fixture classes (Blah, A) defined."""
    r = Runtime()
    try:
        r.require("nn")
    except LuaError:
        pass
    r.execute("if not torch.getmetatable('Blah') then torch.class('Blah') end "
              "if not torch.getmetatable('A') then torch.class('A') end")
    return r


def lua_bytes(rt: Runtime, expr: str) -> bytes:
    """The bytes of a Lua string expression (lupa would decode them as UTF-8)."""
    return rt.eval(f"torch._door.tf_pybytes(torch._strptr({expr}), #({expr}))").data


def to_lua_string(rt: Runtime, data: bytes, name: str = "__data") -> None:
    """Set global `name` to a Lua string holding `data`."""
    rt.lua.globals()[name] = data
