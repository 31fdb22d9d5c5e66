"""A tensor's Python handle stays attached to it under heavy collection.

Handles used to live in a weak-keyed side table; LuaJIT's collector freed values of that table
while their keys were alive, and a storage's handle turned into an unrelated Python object after
minutes of gradient checks on nn.SpatialContrastiveNormalization.  That run is too slow and too
timing-dependent for the suite; this is a cheaper smoke test of the same workload.  The same
collector behaviour is caught deterministically by
tests/serialization/test_fixtures.py::test_serialize_matches_file (the `.t7` key-order table).
"""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime
from luatorch.tensor import Tensor


@pytest.mark.slow
def test_handles_survive_collection_cycles():
    rt = Runtime()
    rt.execute("require 'nn'")
    wrap = rt.eval("torch._wrapany")
    g = rt.lua.globals()
    rng = np.random.default_rng(0)
    g._k = wrap(Tensor.from_array(np.ones((3, 5)), np.float64))
    for _ in range(120):
        for ttype in ("Double", "Float"):
            x = rng.standard_normal((2, 2, 5, 4)) + 0.5
            g._x = wrap(Tensor.from_array(x, np.float32 if ttype == "Float" else np.float64))
            rt.execute(f"""
              local m = nn.SpatialContrastiveNormalization(2, _k:clone()):{ttype.lower()}()
              local y = m:forward(_x)
              m:backward(_x, y:clone():fill(1))
              local s = _x:storage()
              assert(torch.isStorage(s) and s:size() == _x:nElement(), 'storage handle lost')
            """)
            h = rt.eval("torch._handle(_x)")
            assert isinstance(h, Tensor)
