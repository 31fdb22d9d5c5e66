-- tds.AtomicCounter(): a counter with inc(), get() and set(v). One Lua state runs a script's
-- code, so plain arithmetic is atomic here; threads get a copy, as with every tds structure.
local tds = require 'tds'

local counts = setmetatable({}, {__mode = 'k'})
local mt

local function new()
   local a = newproxy(false)
   debug.setmetatable(a, mt)
   counts[a] = 0
   return a
end

mt = torch._newclass('tds.AtomicCounter', nil, function() return new() end, tds)
mt.__version = 0
mt.__factory = new

local methods = {}
--- Add one; returns the value before the increment.
function methods:inc()
   local v = counts[self]
   counts[self] = v + 1
   return v
end
function methods:get() return counts[self] end
function methods:set(v)
   if type(v) ~= 'number' then torch._error('tds.AtomicCounter:set: a number expected') end
   counts[self] = v
end

mt.__index = function(_, k) return methods[k] end
mt.__newindex = function() torch._error('tds.AtomicCounter: no fields can be set') end
mt.__tostring__ = function(a) return string.format('tds.AtomicCounter(%d)', counts[a]) end
mt.write = function(a, f) f:writeLong(counts[a]) end
mt.read = function(a, f) counts[a] = f:readLong() end

return tds.AtomicCounter
