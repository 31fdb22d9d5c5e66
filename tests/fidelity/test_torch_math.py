"""torch maths as Torch7 computes it (issue 11, 'torch': bitwise ops, alias sampling, bhistc,
pstrf, integer wrap-around, gels, range/linspace/logspace into views, logNormal)."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime
from tests.conftest import arr


# -- integer stores and arithmetic wrap as C does --------------------------------------------------
@pytest.mark.parametrize("tname, dtype", [("Byte", np.uint8), ("Char", np.int8),
                                          ("Short", np.int16), ("Int", np.int32)])
def test_integer_stores_wrap(rt: Runtime, tname: str, dtype: type) -> None:
    vals = [256, -1, 257.5, 70000, -129, 2 ** 33 + 3]
    rt.execute(f"x = torch.{tname}Tensor({len(vals)}); m = torch.{tname}Tensor(2, 3)")
    for i, v in enumerate(vals, 1):
        rt.execute(f"x[{i}] = {v!r}")
    ref = np.array([int(v) for v in vals], np.int64).astype(dtype)
    assert arr(rt, "x").tolist() == ref.tolist()
    rt.execute("m:fill(256); m[{2, 3}] = -1; m[1] = 300")
    assert arr(rt, "m").tolist() == np.array([[300] * 3, [256, 256, -1]]).astype(dtype).tolist()
    rt.execute(f"s = torch.{tname}Storage(2):fill(-2); s[1] = 256")
    assert [rt.eval("s[1]"), rt.eval("s[2]")] == np.array([256, -2]).astype(dtype).tolist()


def test_byte_arithmetic_wraps(rt: Runtime) -> None:
    rt.execute("a = torch.ByteTensor({200, 255, 16}); b = torch.ByteTensor({100, 2, 16})")
    a, b = np.array([200, 255, 16], np.uint8), np.array([100, 2, 16], np.uint8)
    assert arr(rt, "torch.add(a, b)").tolist() == (a + b).tolist()
    assert arr(rt, "torch.cmul(a, b)").tolist() == (a * b).tolist()
    assert arr(rt, "torch.mul(a, 2)").tolist() == (a * np.uint8(2)).tolist()
    assert arr(rt, "a:clone():add(300)").tolist() == (a + np.uint8(44)).tolist()
