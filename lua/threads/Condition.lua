-- threads.Condition([id]): a condition variable every state of the process can reach by its id.
require 'torch'

local door = torch._door
local cond_new, cond_wait, cond_signal = door.thr_cond_new, door.thr_cond_wait,
   door.thr_cond_signal
local exists, free = door.thr_exists, door.thr_free

local Condition = {}
Condition.__index = Condition

local function new(_, id)
   if id ~= nil then
      if type(id) ~= 'number' or not exists('cond', id) then
         error('threads.Condition: no condition with id ' .. tostring(id), 2)
      end
   else
      id = cond_new()
   end
   return setmetatable({__id = id}, Condition)
end

function Condition:wait(mutex)
   if type(mutex) ~= 'table' or type(mutex.id) ~= 'function' then
      error('threads.Condition:wait: mutex expected', 2)
   end
   cond_wait(self.__id, mutex:id())
end

function Condition:signal() cond_signal(self.__id, false) end
function Condition:broadcast() cond_signal(self.__id, true) end
function Condition:id() return self.__id end
function Condition:free() free('cond', self.__id) end

return setmetatable(Condition, {__call = new})
