-- threads.serialize: jobs and their results cross between states as torch serializations
-- (tensors copied).  save gives a CharStorage, as threads' README says; load takes one back (or
-- the Python handle of one, which is how a storage crosses between states).
require 'torch'

local wrapstorage = torch._wrapstorage

local serialize = {}

function serialize.save(obj)
   return torch.serializeToStorage(obj)
end

function serialize.load(st)
   if torch.type(st) ~= 'torch.CharStorage' then st = wrapstorage(st, 'Char') end
   -- jobs are the user's own code: their functions load; key order is not remembered, or
   -- every job and result table (and the tensors in them) would stay alive
   return torch.deserializeFromStorage(st, 'binary', {trustFunctions = true,
      keepOrder = false})
end

return serialize
