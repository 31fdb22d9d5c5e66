-- threads.Queue(N [, serialization]): a thread-safe queue of at most N jobs that any state of
-- the process can use.  addjob(callback, ...) puts a job (waiting while the queue is full);
-- dojob() takes one (waiting while it is empty), runs it and returns what it returns.  A queue
-- crosses into a job (as an upvalue or an argument) as itself: only its id is written.
require 'torch'

local door = torch._door
local queue_new, queue_put, queue_take, queue_count = door.thr_queue_new, door.thr_queue_put,
   door.thr_queue_take, door.thr_queue_count
local unpack = unpack or table.unpack

local owner = {}
local Queue = torch.class('threads.Queue', owner)

local function pack(...)
   return {n = select('#', ...), ...}
end

function Queue:__init(n, serialization)
   if type(n) ~= 'number' or n < 1 or n % 1 ~= 0 then
      error('threads.Queue: queue size (a positive integer) expected', 4)
   end
   serialization = serialization or 'threads.serialize'
   if type(serialization) ~= 'string' then
      error('threads.Queue: serialization package name expected', 4)
   end
   require(serialization)
   self.__serialization = serialization
   self.__size = n
   self.__id = queue_new(n)
end

--- Queue:addjob(callback, ...): put a job, waiting while the queue holds N jobs.
function Queue:addjob(callback, ...)
   if type(callback) ~= 'function' then error('function callback expected', 2) end
   local ser = require(self.__serialization)
   queue_put(self.__id, torch._H[ser.save({callback, pack(...)})])
end

--- Queue:dojob(): take the oldest job (waiting for one), run it here, return its results.
function Queue:dojob()
   local ser = require(self.__serialization)
   local job = ser.load(queue_take(self.__id))
   local f, args = job[1], job[2]
   return f(unpack(args, 1, args.n))
end

function Queue:id() return self.__id end
function Queue:size() return self.__size end
function Queue:isempty() return queue_count(self.__id) == 0 end
function Queue:isfull() return queue_count(self.__id) >= self.__size end

-- the constructor table (calling it makes a queue), as torch.class leaves it in `owner`
return owner.Queue
