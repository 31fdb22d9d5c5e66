-- Small torch utilities: pointers, equality, threads, environment.

local torch = torch
local door = torch._door
local H = torch._H

local set_threads, get_threads = door.th_set_num_threads, door.th_get_num_threads

function torch.setnumthreads(n)
   if type(n) ~= 'number' then
      torch._argerror(1, 'setnumthreads', 'number expected, got ' .. torch._typeof(n))
   end
   set_threads(n)
end

function torch.getnumthreads()
   return get_threads()
end

--- A number identifying the object (equal for two wrappers of the same tensor or storage).
function torch.pointer(obj)
   local h = H[obj]
   if h ~= nil then return door.t_pointer(h) end
   if type(obj) == 'table' or type(obj) == 'userdata' or type(obj) == 'function'
      or type(obj) == 'thread' then
      local s = tostring(obj):match('0x%x+')
      return s and tonumber(s) or 0
   end
   return 0
end

--- luaT's `==` for torch objects without __eq__: the same underlying object.
function torch._same(a, b)
   if rawequal(a, b) then return true end
   local ha, hb = H[a], H[b]
   return ha ~= nil and hb ~= nil and door.t_pointer(ha) == door.t_pointer(hb)
end

--- True when a and b are the same object (tensors: same storage, offset, sizes and strides).
function torch.isequal(a, b)
   if torch.isTensor(a) and torch.isTensor(b) then
      return a:isSetTo(b)
   end
   if torch.isStorage(a) and torch.isStorage(b) then
      return torch.pointer(a) == torch.pointer(b)
   end
   return a == b
end

function torch.getenv(obj)
   return debug.getfenv(obj)
end

function torch.setenv(obj, env)
   return debug.setfenv(obj, env)
end

function torch.version()
   return 'luatorch'
end

return torch
