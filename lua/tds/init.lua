-- tds: Torch7's data structures outside the Lua heap (tds.Hash, tds.Vec, tds.AtomicCounter).
--
-- NOTE: the original keeps its elements in C memory through the FFI, to escape LuaJIT's
-- 1-2 GB heap limit of its day. Here elements live in Lua tables behind userdata handles:
-- lupa's LuaJIT has no such limit (GC64), and a userdata is what gives `#d` its meaning
-- without Lua 5.2's __len on tables. What scripts see is the same: `d[k]`, `#d`, `pairs(d)`,
-- `ipairs(d)`, only numbers, strings, booleans, tensors, storages and tds structures as
-- elements, printing, and Torch7's serialized form (so .t7 files carrying tds objects load).
require 'torch'

local tds = {}
package.loaded.tds = tds

-- Torch7's LuaJIT was built with Lua 5.2's __pairs and __ipairs, which tds relies on; the
-- global iterators learn them here (tables without those metamethods iterate as before).
local rawpairs, rawipairs = pairs, ipairs
local function honouring(name, raw)
   return function(t)
      local mt = getmetatable(t)
      local f = type(mt) == 'table' and rawget(mt, name)
      if f then return f(t) end
      return raw(t)
   end
end
if not rawget(_G, '__tds_iterators') then
   rawset(_G, '__tds_iterators', true)
   pairs = honouring('__pairs', rawpairs)
   ipairs = honouring('__ipairs', rawipairs)
end

-- element checks shared by Hash and Vec
local structures = {['tds.Hash'] = true, ['tds.Vec'] = true, ['tds.AtomicCounter'] = true}
function tds._checkelem(v, what)
   local t = type(v)
   if t == 'number' or t == 'string' or t == 'boolean' then return v end
   local tn = torch.typename(v)
   if tn and (structures[tn] or torch.isTensor(v) or torch.isStorage(v)) then return v end
   torch._error(string.format('tds: %s of type <%s> cannot be stored (numbers, strings, ' ..
      'booleans, tensors, storages and tds structures can)', what, tn or t))
end

-- a Lua table becomes a Vec when all its keys are numbers, a Hash otherwise
function tds._convert(v)
   if type(v) ~= 'table' or torch.typename(v) then return v end
   for k in rawpairs(v) do
      if type(k) ~= 'number' then return tds.Hash(v) end
   end
   return tds.Vec(v)
end

-- the printed form of one element, indented under its key
function tds._elemstring(v, indent)
   local s
   if type(v) == 'string' then
      s = v
   else
      s = tostring(v)
   end
   return (s:gsub('%s+$', ''):gsub('\n', '\n' .. indent))
end

require 'tds.Hash'
require 'tds.Vec'
require 'tds.AtomicCounter'

tds.hash, tds.vec, tds.atomiccounter = tds.Hash, tds.Vec, tds.AtomicCounter
return tds
