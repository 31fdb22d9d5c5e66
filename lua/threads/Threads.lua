-- threads.Threads(N, f1, f2, ...): a pool of N worker states, each its own LuaJIT state in its
-- own thread.  Jobs (a function, its upvalues and arguments) cross by the serialization package
-- chosen with Threads.serialization; endcallbacks run here, in the main state.
require 'torch'

local door = torch._door
local pool_new, put, accepts, take, terminate = door.thr_pool_new, door.thr_put,
   door.thr_accepts, door.thr_take, door.thr_terminate
local unpack = unpack or table.unpack
local H = torch._H

local Threads = {__serialization = 'threads.serialize'}
Threads.__index = Threads

local function pack(...)
   return {n = select('#', ...), ...}
end

local function checkrunning(self)
   if not self.__running then error('threads: the pool has been terminated', 3) end
end

local function checkid(self, idx)
   if type(idx) ~= 'number' or idx < 1 or idx > self.N or idx % 1 ~= 0 then
      error('thread index expected', 3)
   end
end

--- Threads.serialization(pkgname): the serialization package of pools made from now on.
function Threads.serialization(name)
   if name ~= nil then
      if type(name) ~= 'string' then error('serialization package name expected', 2) end
      require(name)
      Threads.__serialization = name
   end
   return Threads.__serialization
end

local function new(_, N, ...)
   if type(N) ~= 'number' or N < 1 then error('number of threads expected', 2) end
   local funcs = pack(...)
   for i = 1, funcs.n do
      if type(funcs[i]) ~= 'function' then
         error(string.format('threads.Threads: argument %d is not a function', i + 1), 2)
      end
   end
   local self = setmetatable({N = N, endcallbacks = {n = 0}, __specific = true,
      __running = true, __serialization = Threads.__serialization}, Threads)
   self.__ser = require(self.__serialization)
   self.__pid = pool_new(N, self.__serialization)
   -- NOTE: no __gc terminate: a finalizer calling Python while the state closes crashed
   -- LuaJIT at exit; idle workers are daemon threads and do not hold the process up.
   local initres = {}
   for j = 1, funcs.n do
      local last = j == funcs.n
      for i = 1, N do
         self:addjob(i, funcs[j], last and function(...) initres[i] = {...} end or nil, i)
      end
   end
   self:specific(false)
   return self, initres
end

function Threads:isrunning()
   return self.__running
end

--- Threads:specific([flag]): with a flag, switch modes (after a synchronize); the mode.
function Threads:specific(flag)
   checkrunning(self)
   if flag ~= nil then
      flag = flag and true or false
      if flag ~= self.__specific then
         self:synchronize()
         self.__specific = flag
      end
   end
   return self.__specific
end

function Threads:acceptsjob(idx)
   checkrunning(self)
   if self.__specific then
      checkid(self, idx)
      return accepts(self.__pid, idx)
   end
   return accepts(self.__pid, 0)
end

function Threads:hasjob()
   checkrunning(self)
   return self.endcallbacks.n > 0
end

-- errors are raised where they are found (as Torch7's since 2016): nothing is pending
function Threads:haserror()
   return false
end

--- Threads:addjob([id], callback, [endcallback], [...])
function Threads:addjob(...)
   checkrunning(self)
   local idx, callback, endcallback, r
   if self.__specific then
      idx = select(1, ...)
      checkid(self, idx)
      callback, endcallback, r = select(2, ...), select(3, ...), 4
   else
      idx = 0
      callback, endcallback, r = select(1, ...), select(2, ...), 3
   end
   if type(callback) ~= 'function' then error('function callback expected', 2) end
   if endcallback ~= nil and type(endcallback) ~= 'function' then
      error('function (or nil) endcallback expected', 2)
   end
   -- the serialization first: a job that cannot be written is refused before it is counted
   local payload = H[self.__ser.save({callback, pack(select(r, ...))})]
   -- a full queue is drained from this side, as in Torch7
   while not accepts(self.__pid, idx) do
      self:dojob()
   end
   local ecbs = self.endcallbacks
   local id = #ecbs + 1
   ecbs[id] = endcallback or function() end
   ecbs.n = ecbs.n + 1
   put(self.__pid, idx, id, payload)
end

--- Threads:dojob(): wait for one finished job and run its endcallback here.
function Threads:dojob()
   checkrunning(self)
   local ok, out, id, tid = take(self.__pid)
   local ecbs = self.endcallbacks
   local endcallback = ecbs[id]
   ecbs[id] = nil
   ecbs.n = ecbs.n - 1
   if not ok then
      error(string.format('[thread %d callback] %s', tid, tostring(out)), 0)
   end
   local res = self.__ser.load(out)
   local status, msg = xpcall(function() return endcallback(unpack(res, 1, res.n)) end,
      debug.traceback)
   if not status then
      error(string.format('[thread %d endcallback] %s', tid, tostring(msg)), 0)
   end
end

--- Threads:synchronize(): run every pending job; the first error is raised once all are done.
function Threads:synchronize()
   if not self.__running then return end
   local first
   while self.endcallbacks.n > 0 do
      local ok, err = pcall(self.dojob, self)
      if not ok and first == nil then first = err end
   end
   if first ~= nil then error(first, 0) end
end

function Threads:terminate()
   if not self.__running then return end
   local ok, err = pcall(self.synchronize, self)
   self.__running = false
   terminate(self.__pid)
   if not ok then error(err, 0) end
end

return setmetatable(Threads, {__call = new})
