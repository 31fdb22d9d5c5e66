-- tds.AtomicCounter(): a counter with inc(), get() and set(v). Its value lives outside the Lua
-- state, behind a lock, so that worker states given it by threads.sharedserialize count with
-- this one, as tds's C counter shared between Torch7's threads; other serializations (and
-- torch.save) write its value, and the reader gets a counter of its own.
local tds = require 'tds'

local door = torch._door
local new_counter, inc, get, set = door.thr_counter_new, door.thr_counter_inc,
   door.thr_counter_get, door.thr_counter_set

local counters = setmetatable({}, {__mode = 'k'})
local mt

local function wrap(c)
   local a = newproxy(false)
   debug.setmetatable(a, mt)
   counters[a] = c
   return a
end

local function new() return wrap(new_counter(0)) end

mt = torch._newclass('tds.AtomicCounter', nil, function() return new() end, tds)
mt.__version = 0
mt.__factory = new

local methods = {}
--- Add one; returns the value before the increment.
function methods:inc() return inc(counters[self]) end
function methods:get() return get(counters[self]) end
function methods:set(v)
   if type(v) ~= 'number' then torch._error('tds.AtomicCounter:set: a number expected') end
   set(counters[self], v)
end

mt.__index = function(_, k) return methods[k] end
mt.__newindex = function() torch._error('tds.AtomicCounter: no fields can be set') end
mt.__tostring__ = function(a) return string.format('tds.AtomicCounter(%d)', get(counters[a])) end
mt.write = function(a, f) f:writeLong(get(counters[a])) end
mt.read = function(a, f) counters[a] = new_counter(f:readLong()) end

-- for threads.sharedserialize: the counter's Python object, and a counter around one
tds._counter = function(a) return counters[a] end
tds._wrapcounter = wrap

return tds.AtomicCounter
