"""A missing optional dependency is one Lua error line naming the extra to install."""

from __future__ import annotations

import pytest

from luatorch.packages import MissingExtra, need
from luatorch.runtime import LuaError, Runtime


def test_need_imports_present_module() -> None:
    assert need("json", "x").dumps([1]) == "[1]"


def test_need_names_the_extra() -> None:
    with pytest.raises(MissingExtra) as info:
        need("luatorch_surely_absent_module", "image", "Pillow", "image")
    assert str(info.value) == 'image requires Pillow: pip install "luatorch[image]"'


def test_lua_sees_one_line_at_the_callers_place() -> None:
    rt = Runtime()
    with pytest.raises(LuaError) as info:
        rt.execute("torch._door.sys_need_extra('luatorch_surely_absent_module', 'gnuplot', "
                   "'matplotlib', 'plot')", "@user.lua")
    assert info.value.message == ('user.lua:1: gnuplot requires matplotlib: '
                                  'pip install "luatorch[plot]"')
