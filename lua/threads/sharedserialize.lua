-- threads.sharedserialize: as threads.serialize (save gives a CharStorage, load takes one or
-- its handle), but tensors and storages are shared: each is
-- written as a ticket for its Python handle, and the loading state wraps that same handle, so
-- both states see one buffer.  So are tds structures, as Torch7's threads passed tds's C
-- structures by pointer: a Hash or Vec moves its elements to Python the first time, and every
-- state's handle on it reads and writes them there.
require 'torch'

local door = torch._door
local H = torch._H
local wrap, wrapstorage = torch._wrap, torch._wrapstorage
local tensor_mts, tensor_mt_by_name = torch._tensor_mts, torch._tensor_mt_by_name
local storage_mts = torch._storage_mts
local thr_share, thr_claim = door.thr_share, door.thr_claim

local MARK = '__threads_shared'

local sharedserialize = {}

local function ticket(x)
   local mt = getmetatable(x)
   if tensor_mts[mt] then
      return {[MARK] = thr_share(H[x]), tensor = tensor_mts[mt]}
   elseif storage_mts[mt] then
      return {[MARK] = thr_share(H[x]), storage = storage_mts[mt]}
   elseif type(x) == 'userdata' then
      -- tds structures are one for every state, as Torch7's threads shared tds's C memory
      local tds = package.loaded.tds
      if tds and torch.typename(x) == 'tds.AtomicCounter' then
         return {[MARK] = thr_share(tds._counter(x)), counter = true}
      end
      local shared = package.loaded['tds.shared']
      local kind = shared and shared.kind_of[mt]
      if kind then
         local store, id = shared.share[kind](x)
         return {[MARK] = thr_share(store), tds = kind, id = id}
      end
   end
   return x
end

function sharedserialize.save(obj)
   local f = torch.MemoryFile()
   f:binary()
   f:writeObject(obj, nil, ticket)
   local st = f:storage()
   st:resize(st:size() - 1)
   f:close()
   return st
end

local function redeem(m)
   local h = thr_claim(m[MARK])
   if m.tensor then return wrap(h, tensor_mt_by_name[m.tensor]) end
   if m.counter then return require('tds')._wrapcounter(h) end
   if m.tds then
      require 'tds'
      return require('tds.shared').decode(h, m.tds, m.id)
   end
   return wrapstorage(h, m.storage)
end

local function isticket(v)
   return type(v) == 'table' and rawget(v, MARK) ~= nil
end

-- swap every ticket in the loaded graph (table values, function upvalues) for its object
local function visit(x, seen)
   if seen[x] then return end
   seen[x] = true
   if type(x) == 'table' then
      for k, v in next, x do
         if isticket(v) then
            local obj = seen[v] or redeem(v)
            seen[v] = obj
            rawset(x, k, obj)
         elseif type(v) == 'table' or type(v) == 'function' then
            visit(v, seen)
         end
      end
   elseif type(x) == 'function' then
      local i = 1
      while true do
         local name, v = debug.getupvalue(x, i)
         if not name then break end
         if isticket(v) then
            local obj = seen[v] or redeem(v)
            seen[v] = obj
            debug.setupvalue(x, i, obj)
         elseif type(v) == 'table' or type(v) == 'function' then
            visit(v, seen)
         end
         i = i + 1
      end
   end
end

function sharedserialize.load(st)
   if torch.type(st) ~= 'torch.CharStorage' then st = wrapstorage(st, 'Char') end
   -- as threads.serialize: no remembered key order, which would keep each job alive
   local obj = torch.deserializeFromStorage(st, 'binary', {trustFunctions = true,
      keepOrder = false})
   if isticket(obj) then return redeem(obj) end
   visit(obj, {})
   return obj
end

return sharedserialize
