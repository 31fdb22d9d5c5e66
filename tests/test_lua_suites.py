"""Run every Lua-side suite in tests/lua/ (torch.Tester) under pytest."""

from __future__ import annotations

import pathlib

import pytest

from luatorch.runtime import Runtime

SUITES = sorted((pathlib.Path(__file__).parent / "lua").glob("*_suite.lua"))


@pytest.mark.parametrize("path", SUITES, ids=[p.stem for p in SUITES])
def test_lua_suite(path):
    # Tester:run raises a Lua error when any assert failed, which fails this test
    Runtime(script_dir=str(path.parent)).run_file(str(path))
