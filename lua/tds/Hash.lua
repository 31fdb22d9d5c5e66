-- tds.Hash([tbl]): a hash table with Lua's `d[k]`, `d[k] = v` (nil removes), `#d` (the number
-- of pairs) and `pairs(d)`; Lua tables given to it become Vecs or Hashes.
local tds = require 'tds'

-- contents by handle: the key -> value table and the pair count
local contents = setmetatable({}, {__mode = 'k'})
local mt

local function new()
   local h = newproxy(false)
   debug.setmetatable(h, mt)
   contents[h] = {data = {}, n = 0}
   return h
end

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
   return contents[h].data[k]
end
mt.__newindex = function(h, k, v) set(h, k, v) end
mt.__len = function(h) return contents[h].n end
mt.__pairs = function(h)
   local data = contents[h].data
   return function(_, k) return next(data, k) end, h, nil
end

mt.__tostring__ = function(h)
   local c = contents[h]
   local keys = {}
   for k in next, c.data do keys[#keys + 1] = k end
   table.sort(keys, function(a, b)
      if type(a) == type(b) and (type(a) == 'number' or type(a) == 'string') then return a < b end
      return type(a) < type(b)
   end)
   local width = 0
   for _, k in ipairs(keys) do width = math.max(width, #tostring(k)) end
   local lines = {string.format('tds.Hash[%d]{', c.n)}
   for _, k in ipairs(keys) do
      local name = tostring(k)
      local pad = string.rep(' ', width - #name)
      lines[#lines + 1] = name .. pad .. ' : ' ..
         tds._elemstring(c.data[k], string.rep(' ', width + 3))
   end
   lines[#lines + 1] = '}'
   return table.concat(lines, '\n')
end

-- Torch7's serialized form: the pair count as a long, then each key and value as objects
mt.write = function(h, f)
   local c = contents[h]
   f:writeLong(c.n)
   for k, v in next, c.data do
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

return tds.Hash
