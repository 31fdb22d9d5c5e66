-- tds.Hash([tbl]): a hash table with Lua's `d[k]`, `d[k] = v` (nil removes), `#d` (the number
-- of pairs) and `pairs(d)`; Lua tables given to it become Vecs or Hashes.
local tds = require 'tds'
local shared = require 'tds.shared'

local door = torch._door
local hnew, hfill, hget, hset, hlen, hkeys, hnext = door.tds_hash_new, door.tds_hash_fill,
   door.tds_hash_get, door.tds_hash_set, door.tds_hash_len, door.tds_hash_keys,
   door.tds_hash_next
local encode, decode = shared.encode, shared.decode

-- contents by handle: the key -> value table and the pair count while this state alone uses
-- the Hash (plain Lua, fastest); once threads.sharedserialize has shared it, {store = s, id =
-- id}: the pairs live in Python, where every state's handle on it reads and writes them
local contents = setmetatable({}, {__mode = 'k'})
local mt

local new, adopt, share = shared.constructors(contents, function() return mt end, hnew,
   function(s, c) hfill(s, shared.export(c.data)) end)

local set
local function construct(tbl)
   local h = new()
   if tbl ~= nil then
      if type(tbl) ~= 'table' or torch.typename(tbl) then
         torch._error('tds.Hash: lua table or nothing expected')
      end
      for k, v in next, tbl do set(h, k, v) end
   end
   return h
end

-- the class first (it installs torch's default metamethods), then tds' own over them
mt = torch._newclass('tds.Hash', nil, function(...) return construct(...) end, tds)
mt.__version = 0
mt.__factory = new
-- files from tds' first versions name the class 'tds_hash'
local legacy = torch._newclass('tds_hash', nil, new, {})
legacy.__factory = new

function set(h, k, v)
   if k == nil then torch._error('tds.Hash: hash index is nil') end
   local c = contents[h]
   if type(k) == 'table' then k = tds._convert(k) end
   tds._checkelem(k, 'key')
   if type(v) == 'table' then v = tds._convert(v) end
   if v ~= nil then tds._checkelem(v, 'value') end
   local s = c.store
   if s then return hset(s, encode(k), encode(v)) end
   local old = c.data[k]
   if old == nil and v ~= nil then
      c.n = c.n + 1
   elseif old ~= nil and v == nil then
      c.n = c.n - 1
   end
   c.data[k] = v
end

mt.__index = function(h, k)
   if k == nil then torch._error('tds.Hash: hash index is nil') end
   local c = contents[h]
   local s = c.store
   if s then return decode(hget(s, encode(k))) end
   return c.data[k]
end
mt.__newindex = function(h, k, v) set(h, k, v) end
mt.__len = function(h)
   local c = contents[h]
   local s = c.store
   if s then return hlen(s) end
   return c.n
end
mt.__pairs = function(h)
   local c = contents[h]
   local s = c.store
   if s then
      -- the keys of the moment; a key removed meanwhile is skipped
      local keys, i = hkeys(s), 0
      return function()
         local j, k, kk, kt, v, vk, vt = hnext(s, keys, i)
         if j == nil then return nil end
         i = j
         return decode(k, kk, kt), decode(v, vk, vt)
      end, h, nil
   end
   local data = c.data
   return function(_, k) return next(data, k) end, h, nil
end

-- the pairs as a Lua table, and their count
local function snapshot(h)
   local c = contents[h]
   if not c.store then return c.data, c.n end
   local data, n = {}, 0
   for k, v in mt.__pairs(h) do
      data[k] = v
      n = n + 1
   end
   return data, n
end

mt.__tostring__ = function(h)
   local data, count = snapshot(h)
   local keys = {}
   for k in next, data do keys[#keys + 1] = k end
   table.sort(keys, function(a, b)
      if type(a) == type(b) and (type(a) == 'number' or type(a) == 'string') then return a < b end
      return type(a) < type(b)
   end)
   local width = 0
   for _, k in ipairs(keys) do width = math.max(width, #tostring(k)) end
   local lines = {string.format('tds.Hash[%d]{', count)}
   for _, k in ipairs(keys) do
      local name = tostring(k)
      local pad = string.rep(' ', width - #name)
      lines[#lines + 1] = name .. pad .. ' : ' ..
         tds._elemstring(data[k], string.rep(' ', width + 3))
   end
   lines[#lines + 1] = '}'
   return table.concat(lines, '\n')
end

-- Torch7's serialized form: the pair count as a long, then each key and value as objects
mt.write = function(h, f)
   local data, n = snapshot(h)
   f:writeLong(n)
   for k, v in next, data do
      f:writeObject(k)
      f:writeObject(v)
   end
end
mt.read = function(h, f)
   local n = f:readLong()
   for _ = 1, n do
      local k = f:readObject()
      local v = f:readObject()
      set(h, k, v)
   end
end

shared.kind_of[mt], shared.share.h, shared.adopt.h = 'h', share, adopt

return tds.Hash
