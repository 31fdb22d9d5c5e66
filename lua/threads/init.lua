-- threads: pools of worker LuaJIT states (threads.Threads), the serializations jobs cross by
-- (threads.serialize, threads.sharedserialize), threads.Mutex, threads.Condition, the
-- thread-safe job queue threads.Queue (also require 'threads.queue') and the bare
-- threads.Thread.
require 'torch'

local unpack = unpack or table.unpack

local function pack(...)
   return {n = select('#', ...), ...}
end

local threads = {}
package.loaded.threads = threads

threads.Threads = require 'threads.Threads'
threads.Mutex = require 'threads.Mutex'
threads.Condition = require 'threads.Condition'
threads.Queue = require 'threads.queue'
threads.serialize = require 'threads.serialize'
threads.sharedserialize = require 'threads.sharedserialize'
threads.serialization = threads.Threads.serialization

--- threads.safe(func [, mutex]): func run under a mutex (one caller at a time, in any state).
-- Its only upvalues are func and the mutex's id, so a safe function crosses into jobs.
function threads.safe(func, mutex)
   if type(func) ~= 'function' then error('function, [mutex] expected', 2) end
   mutex = mutex or threads.Mutex()
   local mutexid = mutex:id()
   return function(...)
      local m = require('threads').Mutex(mutexid)
      m:lock()
      local res = (function(...) return {n = select('#', ...), ...} end)(pcall(func, ...))
      m:unlock()
      if not res[1] then error(res[2], 0) end
      return (table.unpack or _G.unpack)(res, 2, res.n)     -- globals: no upvalue to write
   end
end

-- threads.Thread(code): a thread running the Lua code string once in a state of its own; the
-- code talks to others through Mutex/Condition ids. thread:free() waits for it to end.
local Thread = {}
Thread.__index = Thread

function threads.Thread(code)
   if type(code) ~= 'string' then error('threads.Thread: a string of Lua code expected', 2) end
   return setmetatable({__id = torch._door.thr_thread_new(code)}, Thread)
end

function Thread:free()
   if self.__id then
      torch._door.thr_thread_free(self.__id)
      self.__id = nil
   end
end

-- what a threads.Thread runs (called from Python, in its new state); failures are printed as
-- Torch7's threads printed them, since nobody waits for a result
function threads._lowlevel(code)
   local f, err = loadstring(code)
   if not f then
      print('FATAL THREAD PANIC: (loadstring) ' .. tostring(err))
      return
   end
   local ok, msg = pcall(f)
   if not ok then print('FATAL THREAD PANIC: (pcall) ' .. tostring(msg)) end
end

-- The loop body of a worker state (called from Python): load a job, run it, give back its
-- serialized results, or false and the error with its traceback.
function threads._worker(tid, mode)
   __threadid = tid
   local ser = require(mode)
   return function(h)
      local ok, job = pcall(ser.load, h)
      if not ok then return false, job end
      local f, args = job[1], job[2]
      local r = pack(xpcall(function() return f(unpack(args, 1, args.n)) end,
         debug.traceback))
      if not r[1] then return false, r[2] end
      local out = {n = r.n - 1}
      for i = 2, r.n do out[i - 1] = r[i] end
      local sok, st = pcall(ser.save, out)
      if not sok then return false, st end
      return true, torch._H[st]
   end
end

-- `local Threads = require 'threads'; Threads(4)` is the older form, still used
return setmetatable(threads, {__call = function(_, ...) return threads.Threads(...) end})
