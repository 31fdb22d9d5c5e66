local torch = torch

-- Cached once: the door never changes after start-up, and timing calls are hot.
local clock = torch._door.sys_clock
local walltime = torch._door.sys_time

local Timer = torch.class('torch.Timer')

function Timer:__init()
   self._totalReal, self._totalUser, self._totalSys = 0, 0, 0
   self._running = true
   self._startReal, self._startUser, self._startSys = clock()
end

-- Torch7 keeps a stopped timer stopped on reset; only a running one restarts now.
function Timer:reset()
   self._totalReal, self._totalUser, self._totalSys = 0, 0, 0
   self._startReal, self._startUser, self._startSys = clock()
   return self
end

function Timer:stop()
   if self._running then
      local real, user, sys = clock()
      self._totalReal = self._totalReal + (real - self._startReal)
      self._totalUser = self._totalUser + (user - self._startUser)
      self._totalSys = self._totalSys + (sys - self._startSys)
      self._running = false
   end
   return self
end

function Timer:resume()
   if not self._running then
      self._startReal, self._startUser, self._startSys = clock()
      self._running = true
   end
   return self
end

function Timer:time()
   local real, user, sys = self._totalReal, self._totalUser, self._totalSys
   if self._running then
      local nowReal, nowUser, nowSys = clock()
      real = real + (nowReal - self._startReal)
      user = user + (nowUser - self._startUser)
      sys = sys + (nowSys - self._startSys)
   end
   return {real = real, user = user, sys = sys}
end

-- tic/toc live in Torch7's C utilities and use the epoch clock, so a tic value can be
-- printed or compared with os.time(); toc insists on a number like luaL_checknumber.
function torch.tic()
   return walltime()
end

function torch.toc(t)
   if type(t) ~= 'number' then
      error(string.format("bad argument #1 to 'toc' (number expected, got %s)",
                          t == nil and 'no value' or type(t)), 2)
   end
   return walltime() - t
end

return Timer
