-- threads.Mutex([id]): a mutex every state of the process can reach by its id.
require 'torch'

local door = torch._door
local mutex_new, mutex_lock, mutex_unlock = door.thr_mutex_new, door.thr_mutex_lock,
   door.thr_mutex_unlock
local exists, free = door.thr_exists, door.thr_free

local Mutex = {}
Mutex.__index = Mutex

local function new(_, id)
   if id ~= nil then
      if type(id) ~= 'number' or not exists('mutex', id) then
         error('threads.Mutex: no mutex with id ' .. tostring(id), 2)
      end
   else
      id = mutex_new()
   end
   return setmetatable({__id = id}, Mutex)
end

function Mutex:lock() mutex_lock(self.__id) end
function Mutex:unlock() mutex_unlock(self.__id) end
function Mutex:id() return self.__id end
function Mutex:free() free('mutex', self.__id) end

return setmetatable(Mutex, {__call = new})
