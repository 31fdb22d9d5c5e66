"""Regression: module:type() on a module holding a LongTensor (its storage is not a size list)."""

from __future__ import annotations


def test_type_converts_long_tensor_fields(rt):
    rt.execute("""
      require 'nn'
      m = nn.Sequential()
      m.idx = torch.LongTensor({4, 5, 6})
      m:float()
    """)
    assert rt.eval("torch.type(m.idx)") == "torch.FloatTensor"
    assert rt.eval("m.idx[3]") == 6
