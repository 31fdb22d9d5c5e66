-- threads.serialize: jobs and their results cross between states as torch serializations
-- (tensors copied).  save gives the Python handle of a CharStorage, load takes one back.
require 'torch'

local door = torch._door
local H = torch._H
local wrapstorage = torch._wrapstorage

local serialize = {}

function serialize.save(obj)
   return H[torch.serializeToStorage(obj)]
end

function serialize.load(h)
   -- jobs are the user's own code: their functions load
   return torch.deserializeFromStorage(wrapstorage(h, 'Char'), 'binary',
      {trustFunctions = true})
end

return serialize
