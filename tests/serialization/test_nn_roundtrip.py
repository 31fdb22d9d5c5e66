"""Every nn (and cudnn) module and criterion type survives torch.save/torch.load, both formats."""

from __future__ import annotations

import pytest

from luatorch.runtime import Runtime

# Constructor arguments tried in order; the first that builds the module is used.
BUILD = r"""
require 'nn'
require 'cudnn'
local tries = {
   {}, {3}, {3, 3}, {2, 3, 3}, {3, 3, 3, 3}, {3, 3, 3, 3, 3}, {2, 3, 3, 3, 1, 1},
   {3, 3, 3, 3, 3, 3, 3}, {2, 2, 3, 3, 3, 1, 1, 1, 1},
   {nn.Linear(3, 3)}, {nn.tables and nn.tables.full(2, 3) or nil, 3, 3},
   {2, torch.ones(3, 3)}, {nn.MSECriterion()}, {{nn.Linear(3, 3)}},
   {nn.SpatialMaxPooling(2, 2)}, {nn.VolumetricMaxPooling(2, 2, 2)},
}
local skip = {['nn.Module'] = true, ['nn.Container'] = true, ['nn.Criterion'] = true,
   ['nn.Jacobian'] = true, ['nn.StochasticGradient'] = true}
local names = {}
for name in pairs(torch._registry) do
   if (name:match('^nn%.') or name:match('^cudnn%.')) and not skip[name] then
      names[#names + 1] = name
   end
end
table.sort(names)
built, failed = {}, {}
for _, name in ipairs(names) do
   local ctor = torch.getmetatable(name).__constructor
   local obj
   for _, args in ipairs(tries) do
      local ok, m = pcall(ctor, unpack(args))
      if ok and m ~= nil then obj = m break end
   end
   if obj then built[#built + 1] = {name, obj} else failed[#failed + 1] = name end
end
"""

CHECK = r"""
local name, obj, fmt = ...
local copy = torch.deserialize(torch.serialize(obj, fmt), fmt)
assert(torch.type(copy) == name, 'type changed to ' .. torch.type(copy))
local function same(a, b, path, seen)
   if seen[a] then return end
   seen[a] = true
   if torch.isTensor(a) then
      assert(torch.isTensor(b) and torch.type(a) == torch.type(b), path .. ': tensor type')
      assert(a:isSameSizeAs(b), path .. ': tensor size')
      if a:nElement() > 0 then
         assert(a:clone():double():add(-1, b:clone():double()):abs():max() == 0, path)
      end
   elseif type(a) == 'table' then
      assert(type(b) == 'table', path .. ': table expected')
      for k, v in pairs(a) do same(v, b[k], path .. '.' .. tostring(k), seen) end
   elseif type(a) == 'number' and a ~= a then
      assert(b ~= b, path)
   elseif type(a) ~= 'function' and type(a) ~= 'userdata' then
      assert(a == b, path .. ': ' .. tostring(a) .. ' ~= ' .. tostring(b))
   end
end
same(obj, copy, name, {})
return true
"""


@pytest.fixture(scope="module")
def built():
    rt = Runtime()
    rt.execute(BUILD)
    n = int(rt.eval("#built"))
    items = [(rt.eval(f"built[{i}][1]"), i) for i in range(1, n + 1)]
    failed = [rt.eval(f"failed[{i}]") for i in range(1, int(rt.eval("#failed")) + 1)]
    return rt, items, failed


def test_every_module_type_is_covered(built):
    rt, items, failed = built
    assert len(items) >= 150, f"only {len(items)} module types built"
    assert not failed, failed


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_roundtrip_every_module_type(built, fmt):
    rt, items, _ = built
    check = rt.lua.eval("function(...) " + CHECK + " end")
    bad = []
    for name, i in items:
        try:
            rt.call(check, name, rt.eval(f"built[{i}][2]"), fmt)
        except Exception as e:  # collect them all, then report
            bad.append(f"{name}: {e}")
    assert not bad, "\n".join(bad)
